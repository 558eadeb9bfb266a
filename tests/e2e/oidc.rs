//! Sign-in through FranceConnect-like providers, for real: the npm `oidc-provider`
//! on 127.0.0.1 with one client per tenant, and the full authorization code flow over
//! HTTP. The happy path on two tenants, then each thing that must be refused with a
//! clear page and no session: a tampered state, a replayed code, a wrong nonce, a code
//! for the other tenant's client, an expired ID token, an acr below eidas1, the
//! provider's own refusal, and the provider being down. Sign-out goes through the
//! provider's end-session endpoint.
use provisioning::identity_providers::{self, ProviderInput, ProviderKind};
use provisioning::Actor;
use tenant_core::names::TenantSlug;
use tenant_core::secrets::SecretString;

use crate::support::browser::{path_of, Browser};
use crate::support::http::Resp;
use crate::support::oidc::{Client, Provider};
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const FLOW_COOKIE: &str = "civitas_oidc";

pub(crate) fn client(host: &str, port: u16, id: &str) -> Client {
    Client {
        client_id: id.into(),
        client_secret: format!("{id}-secret-for-tests-only"),
        redirect_uri: format!("http://{host}:{port}/auth/fc/callback"),
        post_logout_redirect_uri: format!("http://{host}:{port}/auth/fc/signed-out"),
    }
}

pub(crate) fn configure(app: &TestApp, slug: &str, issuer: &str, client_id: &str) {
    identity_providers::put(
        &app.state.db,
        &app.state.identity.keyring,
        &TenantSlug::parse(slug).expect("slug"),
        "fc",
        ProviderInput {
            kind: ProviderKind::FranceConnect,
            label: Some("FranceConnect".into()),
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: Some(SecretString::new(format!("{client_id}-secret-for-tests-only"))),
            scopes: None,
            acr_values: Some("eidas1".into()),
            enabled: true,
        },
        &Actor::system(),
    )
    .expect("provider configured");
}

/// Starts the flow on the tenant site; returns the provider's authorization URL.
fn start(b: &mut Browser) -> String {
    let page = b.get("/sign-in");
    assert!(page.body.contains("button-franceconnect"), "FranceConnect button shown");
    // Browsers apply form-action to where a form's redirect leads: the provider's
    // origin must be allowed, and only it.
    let csp = page.header("content-security-policy").expect("CSP").to_owned();
    assert!(csp.contains("form-action 'self' http://127.0.0.1:"), "{csp}");
    assert!(
        page.body.contains("Qu&#x27;est-ce que FranceConnect ?") || page.body.contains("Qu'est-ce que FranceConnect ?")
    );
    let csrf = crate::support::browser::form_value(&page.body, "csrf").expect("csrf");
    let r = b.post("/auth/fc/login", &[("csrf", &csrf), ("next", "/account")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.header("location").expect("location").to_owned();
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("acr_values=eidas1") && url.contains("nonce="),
        "{url}"
    );
    url
}

/// The whole round trip for `login`; returns our callback's answer.
fn round_trip(b: &mut Browser, p: &Provider, login: &str) -> Resp {
    let url = start(b);
    let back = p.authorize(&mut p.browser(), &url, login);
    b.get(&path_of(&back))
}

fn refused(r: &Resp, status: u16, text: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.body.contains(text), "expected {text:?} in {}", r.body);
    assert!(
        !r.headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("set-cookie")
            && v.starts_with("civitas_session=")
            && !v.contains("Max-Age=0")),
        "no session may be opened"
    );
}

fn welcome(b: &mut Browser, nickname: &str) -> Resp {
    let csrf = b.csrf("/auth/welcome");
    b.post("/auth/welcome", &[("csrf", &csrf), ("nickname", nickname), ("terms", "1")])
}

#[test]
fn franceconnect_sign_in_on_two_tenants_and_every_refusal() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "fca", &["fca.test"], &["pages"]);
    tenants::create(&db, "fcb", &["fcb.test"], &["pages"]);
    tenants::create(&db, "fcdown", &["fcdown.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let port = app.http.port();
    let p = Provider::start(&[client("fca.test", port, "civitas-fca"), client("fcb.test", port, "civitas-fcb")]);
    configure(&app, "fca", &p.issuer, "civitas-fca");
    configure(&app, "fcb", &p.issuer, "civitas-fcb");
    let (host_a, host_b) = (format!("fca.test:{port}"), format!("fcb.test:{port}"));
    let mut conn = tdb.conn();

    // First sign-in on A: a nickname and the terms, then signed in and verified.
    let mut a = Browser::new(app.http, &host_a);
    let r = round_trip(&mut a, &p, "angela");
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/auth/welcome"));
    assert!(!a.cookies.contains_key(FLOW_COOKIE), "the flow is used up");
    let r = welcome(&mut a, "Angèle");
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/account"));
    let account = a.get("/account");
    assert_eq!(account.status, 200);
    assert!(account.body.contains("Identité vérifiée par FranceConnect"), "{}", account.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_fca.verifications WHERE kind = 'franceconnect' AND details->>'given_name' IS NOT NULL AND details->>'acr' = 'eidas1'"), 1);
    // Only a keyed hash of the subject is kept (FranceConnect's subs end in "v1").
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM t_fca.user_identities WHERE provider = 'fc' AND subject_hash ~ '^[0-9a-f]{64}$'"
        ),
        1
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM t_fca.user_sessions WHERE method = 'fc' AND id_token IS NOT NULL"),
        1
    );

    // Sign-out goes through the provider's end-session endpoint and comes back.
    let csrf = a.csrf("/account");
    let out = a.post("/sign-out", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    let end = out.header("location").expect("end-session").to_owned();
    assert!(end.starts_with(&format!("{}/session/end?", p.issuer)), "{end}");
    assert!(
        end.contains("id_token_hint=") && end.contains("state=") && end.contains("post_logout_redirect_uri="),
        "{end}"
    );
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_fca.user_sessions"), 0, "the local session ends first");
    let back = p.browser().get(&path_of(&end));
    assert_eq!(back.status, 303, "{}", back.body);
    let back_url = back.header("location").expect("back").to_owned();
    assert!(back_url.starts_with(&format!("http://{host_a}/auth/fc/signed-out?state=")), "{back_url}");
    let done = a.get(&path_of(&back_url));
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location"), Some("/?notice=signed_out"));
    // A sign-out return nobody started is told apart.
    let stray = Browser::new(app.http, &host_a).get("/auth/fc/signed-out?state=forged");
    assert_eq!(stray.status, 400);

    // A second provider (another oidc-provider, a generic OpenID Connect one) linked to
    // the same account from the account page: one account, two identities.
    let sso_client = |host: &str, id: &str| Client {
        client_id: id.into(),
        client_secret: format!("{id}-secret-for-tests-only"),
        redirect_uri: format!("http://{host}:{port}/auth/sso/callback"),
        post_logout_redirect_uri: format!("http://{host}:{port}/auth/sso/signed-out"),
    };
    let p2 = Provider::start(&[sso_client("fca.test", "sso-fca"), sso_client("fcb.test", "sso-fcb")]);
    for (slug, id) in [("fca", "sso-fca"), ("fcb", "sso-fcb")] {
        identity_providers::put(
            &app.state.db,
            &app.state.identity.keyring,
            &TenantSlug::parse(slug).expect("slug"),
            "sso",
            ProviderInput {
                kind: ProviderKind::Oidc,
                label: Some("Compte agent".into()),
                issuer: p2.issuer.clone(),
                client_id: id.into(),
                client_secret: Some(SecretString::new(format!("{id}-secret-for-tests-only"))),
                scopes: Some(vec!["openid".into(), "email".into(), "profile".into()]),
                acr_values: None,
                enabled: true,
            },
            &Actor::system(),
        )
        .expect("second provider");
    }
    let r = round_trip(&mut a, &p, "angela");
    assert_eq!(r.header("location"), Some("/account"));
    let page = a.get("/account");
    assert!(page.body.contains("action=\"/auth/sso/login\""), "the unlinked provider is offered");
    assert!(!page.body.contains("action=\"/auth/fc/login\""), "the linked one is not");
    let csrf = crate::support::browser::form_value(&page.body, "csrf").expect("csrf");
    let r = a.post("/auth/sso/login", &[("csrf", &csrf), ("next", "/account")]);
    assert_eq!(r.status, 303);
    let back = p2.authorize(&mut p2.browser(), r.header("location").expect("authorize"), "pierre");
    let linked = a.get(&path_of(&back));
    assert_eq!(linked.status, 303, "{}", linked.body);
    assert_eq!(linked.header("location"), Some("/account?notice=identity_linked"));
    let page = a.get("/account");
    assert!(page.body.contains("Compte agent") && page.body.contains("FranceConnect"), "two linked identities");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_fca.user_identities"), 2);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM t_fca.verifications WHERE kind = 'oidc' AND source = 'sso'"),
        1
    );
    // Signing in with the second provider now opens the same account.
    let mut s2 = Browser::new(app.http, &host_a);
    let page = s2.get("/sign-in");
    let csrf = crate::support::browser::form_value(&page.body, "csrf").expect("csrf");
    let r = s2.post("/auth/sso/login", &[("csrf", &csrf), ("next", "/account")]);
    let back = p2.authorize(&mut p2.browser(), r.header("location").expect("authorize"), "pierre");
    let r = s2.get(&path_of(&back));
    assert_eq!(r.header("location"), Some("/account"));
    assert!(s2.get("/account").body.contains("Angèle"));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_fca.users"), 1);
    // On B, the generic provider alone makes a new account (no acr asked of it).
    let mut sb = Browser::new(app.http, &host_b);
    let page = sb.get("/sign-in");
    let csrf = crate::support::browser::form_value(&page.body, "csrf").expect("csrf");
    let r = sb.post("/auth/sso/login", &[("csrf", &csrf)]);
    let url = r.header("location").expect("authorize").to_owned();
    assert!(!url.contains("acr_values"), "{url}");
    let back = p2.authorize(&mut p2.browser(), &url, "marie");
    assert_eq!(sb.get(&path_of(&back)).header("location"), Some("/auth/welcome"));
    assert_eq!(welcome(&mut sb, "Marie L.").status, 303);
    drop(p2);
    let csrf = a.csrf("/account");
    assert_eq!(a.post("/sign-out", &[("csrf", &csrf)]).status, 303);

    // Second sign-in of the same person: straight in, no questions.
    let r = round_trip(&mut a, &p, "angela");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/account"));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_fca.users"), 1);

    // The same person on B is a new, unrelated account, with another subject hash.
    let mut b = Browser::new(app.http, &host_b);
    let r = round_trip(&mut b, &p, "angela");
    assert_eq!(r.header("location"), Some("/auth/welcome"));
    assert_eq!(welcome(&mut b, "Angèle").status, 303);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_fca.user_identities a JOIN t_fcb.user_identities b ON a.subject_hash = b.subject_hash"), 0);

    // A tampered state: refused, no session.
    let mut c = Browser::new(app.http, &host_a);
    let url = start(&mut c);
    let back = p.authorize(&mut p.browser(), &url, "pierre");
    let tampered = back.replace("state=", "state=x");
    refused(&c.get(&path_of(&tampered)), 400, "ne correspond pas");

    // A replayed code: the first use signs in; the same answer again (even with the
    // flow cookie put back) is refused by the provider, and no session is opened.
    let mut d = Browser::new(app.http, &host_a);
    let url = start(&mut d);
    let flow = d.cookies.get(FLOW_COOKIE).cloned().expect("flow cookie");
    let back = p.authorize(&mut p.browser(), &url, "angela");
    assert_eq!(d.get(&path_of(&back)).status, 303);
    let mut replay = Browser::new(app.http, &host_a);
    replay.cookies.insert(FLOW_COOKIE.into(), flow);
    refused(&replay.get(&path_of(&back)), 502, "Connexion refusée");
    // And without the flow cookie: an interrupted sign-in.
    refused(&Browser::new(app.http, &host_a).get(&path_of(&back)), 400, "Connexion interrompue");

    // A wrong nonce: the flow cookie re-sealed with another nonce (only the server's key
    // can do that) makes the ID token's nonce mismatch.
    let mut e = Browser::new(app.http, &host_a);
    let url = start(&mut e);
    let tenant_a =
        app.state.directory.lookup(&tenant_core::names::HostName::parse("fca.test").expect("host")).expect("a").tenant;
    let context = format!("oidc_flow:{}:fc", tenant_a.id);
    let keyring = &app.state.identity.keyring;
    let opened = keyring.open(&e.cookies[FLOW_COOKIE], &context).expect("open");
    let mut flow: serde_json::Value = serde_json::from_slice(&opened).expect("flow");
    flow["nonce"] = serde_json::json!("a-nonce-that-the-provider-never-saw-0000000");
    let forged = keyring.seal(flow.to_string().as_bytes(), &context).expect("seal");
    e.cookies.insert(FLOW_COOKIE.into(), forged);
    let back = p.authorize(&mut p.browser(), &url, "angela");
    refused(&e.get(&path_of(&back)), 400, "passé nos contrôles");

    // A code issued to B's client, brought to A's callback with A's own state: A's
    // client cannot redeem it.
    let mut f = Browser::new(app.http, &host_a);
    let url_a = start(&mut f);
    let state_a = query_value(&url_a, "state");
    let mut g = Browser::new(app.http, &host_b);
    let url_b = start(&mut g);
    let back_b = p.authorize(&mut p.browser(), &url_b, "pierre");
    let code_b = query_value(&back_b, "code");
    refused(&f.get(&format!("/auth/fc/callback?code={code_b}&state={state_a}")), 502, "Connexion refusée");
    // B's whole answer brought to A: A's flow cookie does not match it.
    let mut h = Browser::new(app.http, &host_a);
    let _ = start(&mut h);
    let url_b = start(&mut g);
    let back_b = p.authorize(&mut p.browser(), &url_b, "pierre");
    refused(
        &h.get(&format!("/auth/fc/callback?{}", back_b.split_once('?').map(|(_, q)| q).unwrap_or(""))),
        400,
        "ne correspond pas",
    );

    // An expired ID token, an acr below eidas1 or none at all, the provider's refusal.
    refused(&round_trip(&mut Browser::new(app.http, &host_a), &p, "expired"), 400, "passé nos contrôles");
    refused(&round_trip(&mut Browser::new(app.http, &host_a), &p, "low-acr"), 400, "Niveau de garantie insuffisant");
    refused(&round_trip(&mut Browser::new(app.http, &host_a), &p, "no-acr"), 400, "Niveau de garantie insuffisant");
    let denied = round_trip(&mut Browser::new(app.http, &host_a), &p, "deny");
    refused(&denied, 400, "access_denied");
    assert!(denied.body.contains("Connexion annulée"));
    // None of these made an account or a session.
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_fca.users"), 1);

    // A provider that does not answer: a clear page, no crash, the site still serves.
    configure(&app, "fcdown", "http://127.0.0.1:9/api/v2", "civitas-down");
    let mut z = Browser::new(app.http, &format!("fcdown.test:{port}"));
    let page = z.get("/sign-in");
    let csrf = crate::support::browser::form_value(&page.body, "csrf").expect("csrf");
    refused(&z.post("/auth/fc/login", &[("csrf", &csrf)]), 503, "identité indisponible");
    assert_eq!(z.get("/").status, 200);
    // The provider going away between the start and the callback.
    let mut y = Browser::new(app.http, &host_a);
    let url = start(&mut y);
    let back = p.authorize(&mut p.browser(), &url, "angela");
    drop(p);
    refused(&y.get(&path_of(&back)), 503, "identité indisponible");
}

fn query_value(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .to_owned()
}

/// Runs an anonymous verification for `purpose` as `login`; returns the keyed hash the
/// server handed back (opened with the server's key, as the module would).
fn anonymous_hash(app: &TestApp, p: &Provider, host: &str, slug: &str, purpose: &str, login: &str) -> String {
    let mut b = Browser::new(app.http, host);
    let page = b.get("/sign-in");
    let csrf = crate::support::browser::form_value(&page.body, "csrf").expect("csrf");
    let r = b.post("/auth/fc/anonymous", &[("csrf", &csrf), ("purpose", purpose), ("next", "/pages")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.header("location").expect("authorize").to_owned();
    assert!(url.contains("scope=openid&") || url.ends_with("scope=openid"), "only the subject is asked for: {url}");
    let back = p.authorize(&mut p.browser(), &url, login);
    let r = b.get(&path_of(&back));
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/pages"));
    assert!(!b.cookies.contains_key("civitas_session"), "no session");
    let sealed = b.cookies.get("civitas_anon").expect("proof cookie").clone();
    let host_name = host.split(':').next().expect("host");
    let tenant = app
        .state
        .directory
        .lookup(&tenant_core::names::HostName::parse(host_name).expect("host"))
        .expect("tenant")
        .tenant;
    assert_eq!(tenant.slug.as_str(), slug);
    let opened =
        app.state.identity.keyring.open(&sealed, &format!("anonymous_proof:{}:{purpose}", tenant.id)).expect("opens");
    let proof: serde_json::Value = serde_json::from_slice(&opened).expect("json");
    assert_eq!(proof["purpose"], purpose);
    proof["subject_hash"].as_str().expect("hash").to_owned()
}

#[test]
fn anonymous_proofs_recognise_a_person_per_purpose_and_link_nothing() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "anona", &["anona.test"], &["pages"]);
    tenants::create(&db, "anonb", &["anonb.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let port = app.http.port();
    let p =
        Provider::start(&[client("anona.test", port, "civitas-anona"), client("anonb.test", port, "civitas-anonb")]);
    configure(&app, "anona", &p.issuer, "civitas-anona");
    configure(&app, "anonb", &p.issuer, "civitas-anonb");
    let (a, b) = (format!("anona.test:{port}"), format!("anonb.test:{port}"));

    let first = anonymous_hash(&app, &p, &a, "anona", "petition:1", "angela");
    let again = anonymous_hash(&app, &p, &a, "anona", "petition:1", "angela");
    assert_eq!(first, again, "the same person is recognised for the same purpose");
    let other_purpose = anonymous_hash(&app, &p, &a, "anona", "petition:2", "angela");
    assert_ne!(first, other_purpose, "two purposes cannot be linked");
    let other_person = anonymous_hash(&app, &p, &a, "anona", "petition:1", "pierre");
    assert_ne!(first, other_person);
    let other_tenant = anonymous_hash(&app, &p, &b, "anonb", "petition:1", "angela");
    assert_ne!(first, other_tenant, "two tenants cannot be linked");

    // What a petition does with it: one claim per person and purpose.
    let tenant =
        app.state.directory.lookup(&tenant_core::names::HostName::parse("anona.test").unwrap()).unwrap().tenant;
    let claims = |hash: &str| {
        db.tenant(&tenant, |conn| tenant_core::accounts::verifications::claim_anonymous(conn, "petition:1", hash))
            .unwrap()
    };
    assert!(claims(&first));
    assert!(!claims(&again), "signed once");
    assert!(claims(&other_person));

    // Nothing else was kept: no account, identity, session or verification.
    let mut conn = tdb.conn();
    for table in ["users", "user_identities", "user_sessions", "verifications"] {
        assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_anona.{table}")), 0, "{table}");
    }
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_anona.anonymous_proofs"), 2);

    // A malformed purpose is a clear 400.
    let mut x = Browser::new(app.http, &a);
    let page = x.get("/sign-in");
    let csrf = crate::support::browser::form_value(&page.body, "csrf").expect("csrf");
    let bad = x.post("/auth/fc/anonymous", &[("csrf", &csrf), ("purpose", "Petition 1 <x>")]);
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("purpose"));
}
