//! Petitions end to end, with the real FranceConnect-like provider (npm
//! `oidc-provider` on 127.0.0.1): an admin sets up a type; a citizen files a draft,
//! submits it; the admin rejects one with a reason and publishes another; people sign
//! through FranceConnect anonymously, once each; the threshold moves the petition to
//! its examination; the admin answers. Refused on the way: a second signature by the
//! same person, a signature outside the period or on an unpublished petition, an ID
//! token without `eidas1`. Then the signature tables are read column by column: no
//! subject, name, email or address in them.
use std::collections::BTreeMap;

use hmac::{KeyInit, Mac};
use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::names::Locale;
use tenant_core::{Db, Tenant};

use crate::support::browser::{form_value, path_of, Browser};
use crate::support::http::Resp;
use crate::support::oidc::Provider;
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";
const SLUG: &str = "senat";
const CLIENT: &str = "civitas-senat";

/// Confirmed accounts: auteur, autre, admin (an administrator).
fn accounts(db: &Db, tenant: &Tenant) -> BTreeMap<&'static str, i64> {
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(tenant, |conn| {
        let mut ids = BTreeMap::new();
        for (nick, role) in
            [("auteur", UserRole::Participant), ("autre", UserRole::Participant), ("admin", UserRole::Admin)]
        {
            let email = format!("{nick}@{SLUG}.fr");
            let new = NewUser {
                nickname: nick,
                email: Some(&email),
                password_hash: Some(&phc),
                locale: Locale::Fr,
                email_confirmed: true,
                role,
            };
            ids.insert(nick, users::create(conn, &new)?.unwrap());
        }
        Ok(ids)
    })
    .unwrap()
}

fn sign_in(app: &TestApp, host: &str, nick: &str) -> Browser {
    let mut b = Browser::new(app.http, host);
    let csrf = b.csrf("/sign-in");
    let r = b.post("/sign-in", &[("csrf", &csrf), ("email", &format!("{nick}@{SLUG}.fr")), ("password", PASSWORD)]);
    assert_eq!(r.status, 303, "{nick} signs in: {}", r.body);
    b
}

/// The test provider's pairwise subject of `login` for our client (see
/// tests/oidc/provider.mjs): what FranceConnect would send as `sub`.
fn subject(login: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"civitas-test-oidc-provider").unwrap();
    mac.update(format!("{CLIENT}\n{login}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}v1")
}

/// Files a draft as `b`; returns its id.
fn file(b: &mut Browser, type_id: i64, title: &str) -> i64 {
    let form = b.get("/petitions/new");
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form_value(&form.body, "csrf").expect("csrf");
    let submission = form_value(&form.body, "submission").expect("submission key");
    let body = "Nous demandons que les séances publiques soient retransmises en direct, avec sous-titres, \
                pour que chacun puisse suivre les débats.";
    let fields = [
        ("csrf", csrf.as_str()),
        ("type", &type_id.to_string()),
        ("title", title),
        ("body", body),
        ("submission", submission.as_str()),
    ];
    let r = b.post("/petitions/new", &fields);
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").expect("location").to_owned();
    // The same form sent twice saves one draft.
    let again = b.post("/petitions/new", &fields);
    assert_eq!(again.status, 303);
    let id: i64 = location
        .trim_start_matches("/petitions/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("petition id in {location}"));
    assert_eq!(again.header("location"), Some(format!("/petitions/{id}").as_str()));
    id
}

fn post_csrf(b: &mut Browser, page: &str, action: &str, extra: &[(&str, &str)]) -> Resp {
    let csrf = b.csrf(page);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(extra);
    b.post(action, &fields)
}

/// Signs petition `id` through FranceConnect as `login`, from the petition's page,
/// in a fresh browser: the answer of the signature request, or the callback's when
/// the provider's answer is refused.
fn sign_fc(app: &TestApp, p: &Provider, host: &str, id: i64, login: &str) -> Resp {
    let mut b = Browser::new(app.http, host);
    sign_fc_in(&mut b, p, id, login)
}

fn sign_fc_in(b: &mut Browser, p: &Provider, id: i64, login: &str) -> Resp {
    let had_session = b.cookies.contains_key("civitas_session");
    let page = b.get(&format!("/petitions/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    // A closed petition's page has no sign button: the flow then starts as one
    // started just before the end would have.
    let csrf = form_value(&page.body, "csrf").unwrap_or_else(|| b.csrf("/sign-in"));
    let next = format!("/petitions/{id}/signature");
    let purpose = format!("petition:{id}");
    let r = b.post("/auth/fc/anonymous", &[("csrf", &csrf), ("purpose", &purpose), ("next", &next)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.header("location").expect("authorize").to_owned();
    assert!(url.contains("scope=openid&") || url.ends_with("scope=openid"), "only the subject is asked for: {url}");
    let back = p.authorize(&mut p.browser(), &url, login);
    let r = b.get(&path_of(&back));
    if r.status != 303 {
        return r;
    }
    assert_eq!(r.header("location"), Some(next.as_str()));
    assert_eq!(b.cookies.contains_key("civitas_session"), had_session, "signing opens no session");
    let r = b.get(&next);
    if r.status != 303 {
        return r;
    }
    // Recorded (or found there): the answer is the petition's page, with its notice.
    let to = r.header("location").expect("the petition").to_owned();
    assert!(
        to == format!("/petitions/{id}?notice=petition_signed")
            || to == format!("/petitions/{id}?notice=petition_already_signed"),
        "{to}"
    );
    b.get(&to)
}

fn state_of(conn: &mut diesel::PgConnection, id: i64) -> String {
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
    }
    let s: S = diesel::RunQueryDsl::get_result(
        diesel::sql_query(format!("SELECT state FROM t_{SLUG}.petitions WHERE id = {id}")),
        conn,
    )
    .unwrap();
    s.state
}

/// Today as the pages print it (Tera escapes `/`).
fn today() -> String {
    chrono::Utc::now().format("%d&#x2F;%m&#x2F;%Y").to_string()
}

#[test]
fn petitions_are_reviewed_published_signed_once_through_franceconnect_and_answered() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, SLUG, &["senat.test"], &["petitions"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let port = app.http.port();
    let host = format!("senat.test:{port}");
    let p = Provider::start(&[crate::oidc::client("senat.test", port, CLIENT)]);
    crate::oidc::configure(&app, SLUG, &p.issuer, CLIENT);
    let ids = accounts(&db, &tenant);
    let mut conn = tdb.conn();

    // The admin sets up a type: 2 signatures within 30 days, FranceConnect anonymously.
    let mut admin = sign_in(&app, &host, "admin");
    let type_fields = |threshold: &'static str| {
        vec![
            ("title_fr", "Pétition au Sénat"),
            ("title_en", "Petition to the Senate"),
            ("description_fr", "Soumise à l'examen du Sénat si elle atteint le seuil."),
            ("threshold", threshold),
            ("period_days", "30"),
            ("file_requires", "account"),
            ("sign_requires", "franceconnect_anonymous"),
            ("comments_enabled", "1"),
            ("active", "1"),
        ]
    };
    let bad =
        post_csrf(&mut admin, "/admin/petitions/types/new", "/admin/petitions/types/new", &type_fields("beaucoup"));
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("threshold: a whole number"), "{}", bad.body);
    let r = post_csrf(&mut admin, "/admin/petitions/types/new", "/admin/petitions/types/new", &type_fields("2"));
    assert_eq!(r.status, 303, "{}", r.body);
    let type_id: i64 = count(&mut conn, &format!("SELECT max(id) AS n FROM t_{SLUG}.petition_types"));
    let types_page = admin.get("/admin/petitions/types");
    assert!(types_page.body.contains("Pétition au Sénat"));

    // A citizen files a draft: only they (and admins) see it.
    let mut author = sign_in(&app, &host, "auteur");
    let short = post_csrf(
        &mut author,
        "/petitions/new",
        "/petitions/new",
        &[("type", &type_id.to_string()), ("title", "Court"), ("body", "Un texte.")],
    );
    assert_eq!(short.status, 422);
    assert!(short.body.contains("title: at least 10 characters"), "{}", short.body);
    let first = file(&mut author, type_id, "Retransmettre toutes les séances publiques");
    assert_eq!(
        count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.petitions")),
        1,
        "one draft for two sends"
    );
    assert_eq!(state_of(&mut conn, first), "draft");
    let mut anonymous = Browser::new(app.http, &host);
    assert_eq!(anonymous.get(&format!("/petitions/{first}")).status, 404, "a draft is not public");
    let draft_page = author.get(&format!("/petitions/{first}"));
    assert!(draft_page.body.contains("Envoyer à l&#x27;examen de recevabilité"), "{}", draft_page.body);

    // A FranceConnect proof for an unpublished petition signs nothing.
    let refused = sign_fc_in(&mut author, &p, first, "angela");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("not published"), "{}", refused.body);

    // Submitted: the admins are told; it can no longer be edited.
    let r = post_csrf(&mut author, &format!("/petitions/{first}"), &format!("/petitions/{first}/submit"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(state_of(&mut conn, first), "submitted");
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM t_{SLUG}.notifications WHERE user_id = {} AND event = 'petition' AND data->>'state' = 'submitted'",
                ids["admin"]
            )
        ),
        1
    );
    let edit = post_csrf(
        &mut author,
        &format!("/petitions/{first}"),
        &format!("/petitions/{first}/edit"),
        &[("type", &type_id.to_string()), ("title", "Un autre titre assez long"), ("body", &"x".repeat(60))],
    );
    assert_eq!(edit.status, 409, "{}", edit.body);

    // A second one is not admissible: the reason is required, then shown to its author.
    let second = file(&mut author, type_id, "Une pétition qui sera jugée irrecevable");
    post_csrf(&mut author, &format!("/petitions/{second}"), &format!("/petitions/{second}/submit"), &[]);
    let page = format!("/admin/petitions/{second}");
    let no_reason = post_csrf(&mut admin, &page, &format!("/admin/petitions/{second}/reject"), &[("reason", "")]);
    assert_eq!(no_reason.status, 422);
    let r = post_csrf(
        &mut admin,
        &page,
        &format!("/admin/petitions/{second}/reject"),
        &[("reason", "Doublon de la pétition n° 1.")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(state_of(&mut conn, second), "rejected");
    assert!(author.get(&format!("/petitions/{second}")).body.contains("Doublon de la pétition n° 1."));
    assert_eq!(anonymous.get(&format!("/petitions/{second}")).status, 404);

    // The first is admissible: published, open for signatures, in the public list.
    let r =
        post_csrf(&mut admin, &format!("/admin/petitions/{first}"), &format!("/admin/petitions/{first}/publish"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(state_of(&mut conn, first), "open");
    let list = anonymous.get("/petitions");
    assert!(list.body.contains("Retransmettre toutes les séances publiques"), "{}", list.body);
    assert!(!list.body.contains("irrecevable"));
    let public = anonymous.get(&format!("/petitions/{first}"));
    assert!(public.body.contains("button-franceconnect"), "a FranceConnect sign button");
    assert!(public.body.contains("Qu&#x27;est-ce que FranceConnect ?"));

    // Angela signs through FranceConnect: recorded, dated, counted.
    let signed = sign_fc(&app, &p, &host, first, "angela");
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert!(signed.body.contains(&format!("votre signature est enregistrée le {}", today())), "{}", signed.body);
    assert!(signed.body.contains("seulement une empreinte chiffrée, propre à cette pétition"), "{}", signed.body);
    assert_eq!(signed.body.matches("votre signature est enregistrée").count(), 1, "one notice: {}", signed.body);
    assert!(signed.body.contains("<strong class=\"petition-count\">1</strong>"));
    // The petition page, in that browser, remembers it (the site does not).
    let mut angela = Browser::new(app.http, &host);
    let first_sign = sign_fc_in(&mut angela, &p, first, "angela");
    assert!(first_sign.body.contains("Vous avez déjà signé"), "{}", first_sign.body);
    let page = angela.get(&format!("/petitions/{first}"));
    assert!(page.body.contains(&format!("Vous avez signé cette pétition le {}", today())), "{}", page.body);
    assert!(!anonymous.get(&format!("/petitions/{first}")).body.contains("Vous avez signé"));
    // Reloading the signature's link, once its proof is spent, leads back to the
    // petition, which says it; a link with the notice tells no one else they signed.
    let reload = angela.get(&format!("/petitions/{first}/signature"));
    assert_eq!((reload.status, reload.header("location")), (303, Some(format!("/petitions/{first}").as_str())));
    for notice in ["petition_signed", "petition_already_signed"] {
        let crafted = anonymous.get(&format!("/petitions/{first}?notice={notice}"));
        assert_eq!(crafted.status, 200);
        assert!(!crafted.body.contains("signature est enregistrée"), "{}", crafted.body);
        assert!(!crafted.body.contains("Vous avez déjà signé"), "{}", crafted.body);
    }
    // Again, from another browser: recognised, nothing added.
    let again = sign_fc(&app, &p, &host, first, "angela");
    assert_eq!(again.status, 200);
    assert!(again.body.contains(&format!("Vous avez déjà signé cette pétition le {}", today())), "{}", again.body);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.petition_signatures")), 1);
    // An ID token below eidas1, or without acr: refused at the callback, nothing signed.
    for login in ["low-acr", "no-acr"] {
        let r = sign_fc(&app, &p, &host, first, login);
        assert_eq!(r.status, 400, "{login}: {}", r.body);
        assert!(r.body.contains("Niveau de garantie insuffisant"), "{}", r.body);
    }
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.petition_signatures")), 1);
    // The signature page without a proof records nothing.
    let bare = anonymous.get(&format!("/petitions/{first}/signature"));
    assert_eq!(bare.status, 403);

    // Pierre's signature reaches the threshold: the petition goes to examination.
    let r = sign_fc(&app, &p, &host, first, "pierre");
    assert!(r.body.contains("<strong class=\"petition-count\">2</strong>"), "{}", r.body);
    assert_eq!(state_of(&mut conn, first), "examination");
    let timeline = anonymous.get(&format!("/petitions/{first}/timeline.json")).json();
    let kinds: Vec<&str> =
        timeline["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "submitted", "published", "threshold_reached"]);
    let roles: Vec<&str> =
        timeline["timeline"].as_array().unwrap().iter().map(|e| e["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["author", "author", "admin", "system"]);
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM t_{SLUG}.notifications WHERE user_id = {} AND data->>'state' = 'threshold_reached'",
                ids["auteur"]
            )
        ),
        1,
        "the author is told"
    );

    // The same person on another petition: accepted (a signature per petition).
    let third = file(&mut author, type_id, "Publier les votes de chaque sénateur en données ouvertes");
    post_csrf(&mut author, &format!("/petitions/{third}"), &format!("/petitions/{third}/submit"), &[]);
    post_csrf(&mut admin, &format!("/admin/petitions/{third}"), &format!("/admin/petitions/{third}/publish"), &[]);
    let r = sign_fc(&app, &p, &host, third, "angela");
    assert!(r.body.contains("votre signature est enregistrée"), "{}", r.body);
    // The two signatures of Angela cannot be linked.
    assert_eq!(count(&mut conn, &format!("SELECT count(DISTINCT signer) AS n FROM t_{SLUG}.petition_signatures")), 3);

    // The period ends: signing is refused, the sweep closes it (below its threshold).
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE t_{SLUG}.petitions SET signatures_end_at = now() - interval '1 second' WHERE id = {third}"
        )),
        &mut conn,
    )
    .unwrap();
    let late = sign_fc(&app, &p, &host, third, "aicha");
    assert_eq!(late.status, 403, "{}", late.body);
    assert!(late.body.contains("signature period"), "{}", late.body);
    let swept = db.tenant(&tenant, |c| tenant_core::petitions::sweep(c, chrono::Utc::now())).unwrap();
    assert_eq!(swept.closed, 1);
    assert_eq!(state_of(&mut conn, third), "closed");
    let again = db.tenant(&tenant, |c| tenant_core::petitions::sweep(c, chrono::Utc::now())).unwrap();
    assert_eq!(again.closed, 0, "a sweep does nothing twice");

    // The institution answers the first: public, notified, no more signatures.
    let empty =
        post_csrf(&mut admin, &format!("/admin/petitions/{first}"), &format!("/admin/petitions/{first}/answer"), &[]);
    assert_eq!(empty.status, 422);
    let r = post_csrf(
        &mut admin,
        &format!("/admin/petitions/{first}"),
        &format!("/admin/petitions/{first}/answer"),
        &[("answer", "Le Sénat retransmettra ses séances publiques à partir de janvier.")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(state_of(&mut conn, first), "answered");
    let answered = anonymous.get(&format!("/petitions/{first}"));
    assert!(answered.body.contains("Le Sénat retransmettra ses séances publiques"));
    assert!(answered.body.contains("Cette pétition est close"), "{}", answered.body);
    let late = sign_fc(&app, &p, &host, first, "marie");
    assert_eq!(late.status, 403);

    // Open data: counts per day, in CSV and JSON, equal to the stored rows.
    let csv = anonymous.get(&format!("/petitions/{first}/signatures.csv"));
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(csv.body, format!("day,signatures\n{},2\n", chrono::Utc::now().format("%Y-%m-%d")));
    let json = anonymous.get(&format!("/petitions/{first}/signatures.json")).json();
    assert_eq!(json["total"], 2);
    assert_eq!(json["threshold"], 2);
    assert_eq!(anonymous.get(&format!("/petitions/{second}/signatures.csv")).status, 404, "not published");
    for id in [first, third] {
        let (rows, kept) = db.tenant(&tenant, |c| tenant_core::petitions::signatures::audit(c, id)).unwrap();
        assert_eq!(rows, kept, "petition {id}: the count is the rows");
    }

    // The admin's export lists every petition with its count.
    let export = admin.get("/admin/petitions/export.csv");
    assert_eq!(export.status, 200);
    assert_eq!(export.body.lines().count(), 4, "{}", export.body);
    assert!(export.body.contains(",answered,2,2,"), "{}", export.body);

    // Nothing personal in the signature tables: every column of every row.
    let mut forbidden: Vec<String> = Vec::new();
    for login in ["angela", "pierre", "aicha", "marie", "low-acr", "no-acr"] {
        let sub = subject(login);
        forbidden.push(sub.clone());
        forbidden.push(sub[..64].to_owned());
        forbidden.push(login.to_owned());
    }
    forbidden.extend(
        ["DUBOIS", "MERCIER", "Angela", "Pierre", "dubois", "mercier", "example.fr", "@", "127.0.0.1", "::1"]
            .map(str::to_owned),
    );
    #[derive(diesel::QueryableByName)]
    struct Cell {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    for table in ["petition_signatures", "petition_signature_counts"] {
        let columns: Vec<Cell> = diesel::RunQueryDsl::load(
            diesel::sql_query(format!(
                "SELECT column_name::text AS v FROM information_schema.columns
                 WHERE table_schema = 't_{SLUG}' AND table_name = '{table}'"
            )),
            &mut conn,
        )
        .unwrap();
        assert!(!columns.is_empty());
        for column in columns {
            let cells: Vec<Cell> = diesel::RunQueryDsl::load(
                diesel::sql_query(format!("SELECT coalesce({}::text, '') AS v FROM t_{SLUG}.{table}", column.v)),
                &mut conn,
            )
            .unwrap();
            for cell in cells {
                for f in &forbidden {
                    assert!(!cell.v.contains(f.as_str()), "{table}.{} holds {f:?}: {}", column.v, cell.v);
                }
            }
        }
    }
    // Signers are hashes, not subjects; no account or session was made by signing.
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.users")), 3);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.user_identities")), 0);
}

/// A published petition of a type signed with an account (no FranceConnect): returns
/// its id. `sign_requires` is `account` or a verification kind.
fn account_petition(db: &Db, tenant: &Tenant, author: i64, admin: i64, sign_requires: &str) -> i64 {
    db.tenant(tenant, |conn| {
        use tenant_core::petitions::{self, types, Created, Draft, TypeInput};
        let t = types::check(
            &TypeInput {
                title: vec![(Locale::Fr, format!("Pétition locale ({sign_requires})"))],
                threshold: "500".into(),
                period_days: "90".into(),
                file_requires: "account".into(),
                sign_requires: sign_requires.into(),
                show_signers: true,
                comments_enabled: true,
                active: true,
                ..TypeInput::default()
            },
            &[Locale::Fr, Locale::En],
        )?;
        let type_id = types::save(conn, None, &t)?;
        let checked = petitions::check(&Draft {
            type_id,
            title: format!("Rouvrir le bureau de poste de la Gare ({sign_requires})"),
            body: "Le bureau de poste du quartier a fermé en septembre : les habitants âgés prennent le bus pour un colis."
                .into(),
        })?;
        let Created::New(id) = petitions::create(conn, author, &checked, None)? else { unreachable!() };
        petitions::submit(conn, id, author)?;
        petitions::publish(conn, id, admin, chrono::Utc::now())?;
        Ok(id)
    })
    .unwrap()
}

#[test]
fn petitions_signed_with_an_account_show_consenting_signers_and_take_comments_reports_and_moderation() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, SLUG, &["senat.test"], &["petitions"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let host = format!("senat.test:{}", app.http.port());
    let ids = accounts(&db, &tenant);
    let mut conn = tdb.conn();
    let open = account_petition(&db, &tenant, ids["auteur"], ids["admin"], "account");
    let verified = account_petition(&db, &tenant, ids["auteur"], ids["admin"], "franceconnect");

    // Not signed in: the page asks to sign in; a signature needs an account.
    let mut anonymous = Browser::new(app.http, &host);
    let page = anonymous.get(&format!("/petitions/{open}"));
    assert!(page.body.contains("/sign-in?next="), "{}", page.body);
    assert!(!page.body.contains("button-franceconnect"));

    // Signed in: one signature, the nickname shown only when asked for.
    let mut autre = sign_in(&app, &host, "autre");
    let r = post_csrf(
        &mut autre,
        &format!("/petitions/{open}"),
        &format!("/petitions/{open}/sign"),
        &[("show_nickname", "1")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some(format!("/petitions/{open}?notice=petition_signed").as_str()));
    let signed = autre.get(&format!("/petitions/{open}?notice=petition_signed"));
    assert!(signed.body.contains(&format!("votre signature est enregistrée le {}", today())), "{}", signed.body);
    assert!(!signed.body.contains("empreinte chiffrée"), "no word of FranceConnect for an account's signature");
    let again = post_csrf(&mut autre, &format!("/petitions/{open}"), &format!("/petitions/{open}/sign"), &[]);
    assert_eq!(again.header("location"), Some(format!("/petitions/{open}?notice=petition_already_signed").as_str()));
    let again = autre.get(&format!("/petitions/{open}?notice=petition_already_signed"));
    assert!(again.body.contains(&format!("Vous avez déjà signé cette pétition le {}", today())), "{}", again.body);
    let page = autre.get(&format!("/petitions/{open}"));
    assert!(page.body.contains(&format!("Vous avez signé cette pétition le {}", today())), "{}", page.body);
    let mut admin = sign_in(&app, &host, "admin");
    let r = post_csrf(&mut admin, &format!("/petitions/{open}"), &format!("/petitions/{open}/sign"), &[]);
    assert_eq!(r.status, 303);
    let public = anonymous.get(&format!("/petitions/{open}"));
    assert!(public.body.contains("Signataires ayant choisi d&#x27;apparaître"), "{}", public.body);
    assert!(public.body.contains(">autre <"), "the consenting signer appears: {}", public.body);
    assert!(!public.body.contains(">admin <"), "the other does not");
    assert_eq!(
        count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.petition_signatures WHERE petition_id = {open}")),
        2
    );
    // The hash names no account: not the id, not the nickname.
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM t_{SLUG}.petition_signatures WHERE signer = '{}' OR signer LIKE '%autre%'",
                ids["autre"]
            )
        ),
        0
    );
    // The anonymous route does not sign a petition of an account type.
    assert_eq!(anonymous.get(&format!("/petitions/{open}/signature")).status, 403);

    // A type that needs a FranceConnect verification: an unverified account is told what it needs.
    let refused = post_csrf(&mut autre, &format!("/petitions/{verified}"), &format!("/petitions/{verified}/sign"), &[]);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("needs a franceconnect verification"), "{}", refused.body);
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM t_{SLUG}.petition_signatures WHERE petition_id = {verified}")
        ),
        0
    );

    // Comments: a signed-in person comments; the author, who follows it, is told; the count goes up.
    let r = post_csrf(
        &mut autre,
        &format!("/petitions/{open}"),
        "/comments",
        &[
            ("resource_kind", "petition"),
            ("resource_id", &open.to_string()),
            ("body", "Le bus 12 ne passe plus qu'une fois par heure : la fermeture pèse lourd."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(anonymous.get(&format!("/petitions/{open}")).body.contains("Le bus 12 ne passe plus"));
    assert_eq!(
        count(&mut conn, &format!("SELECT comments_count::int8 AS n FROM t_{SLUG}.petitions WHERE id = {open}")),
        1
    );
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM t_{SLUG}.notifications WHERE user_id = {} AND event = 'comment' AND resource_kind = 'petition'",
                ids["auteur"]
            )
        ),
        1
    );

    // Reports and moderation: the petition is reported, then hidden by an administrator.
    let r = post_csrf(
        &mut autre,
        &format!("/petitions/{verified}"),
        "/reports",
        &[("resource_kind", "petition"), ("resource_id", &verified.to_string()), ("reason", "does_not_belong")],
    );
    assert!(r.status == 303 || r.status == 200, "{}: {}", r.status, r.body);
    let queue = admin.get("/admin/moderation");
    assert!(queue.body.contains("Rouvrir le bureau de poste de la Gare (franceconnect)"), "{}", queue.body);
    let r = post_csrf(
        &mut admin,
        "/admin/moderation",
        "/admin/moderation/hide",
        &[("resource_kind", "petition"), ("resource_id", &verified.to_string())],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(anonymous.get(&format!("/petitions/{verified}")).status, 404, "hidden from the public");
    assert!(!anonymous.get("/petitions").body.contains("de la Gare (franceconnect)"), "and from the list");
    assert_eq!(admin.get(&format!("/petitions/{verified}")).status, 200, "admins still see it");
}

/// Waits (up to 10 s) until `check` holds: the server's directory follows the catalog.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "{what} did not happen");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn while_a_tenant_is_read_only_the_gets_that_write_answer_503_and_signed_in_pages_are_served_without_writing() {
    use diesel::RunQueryDsl;
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, SLUG, &["senat.test"], &["petitions"]);
    let ids = accounts(&db, &tenant);
    let id = account_petition(&db, &tenant, ids["auteur"], ids["admin"], "account");
    let app = TestApp::start(&tdb, TestConfig { page_cache_ms: 0, ..TestConfig::default() });
    let mut autre = sign_in(&app, "senat.test", "autre");
    let schema = tenant.schema.quoted();
    let set_seen = format!("UPDATE {schema}.user_sessions SET last_seen_at = '2020-01-01T00:00:00Z'");
    let seen = format!("SELECT count(*) AS n FROM {schema}.user_sessions WHERE last_seen_at = '2020-01-01T00:00:00Z'");

    // As `civitas tenant move` does while it copies the tenant.
    diesel::sql_query(format!("UPDATE catalog.tenants SET read_only = true WHERE slug = '{SLUG}'"))
        .execute(&mut tdb.conn())
        .unwrap();
    let signature = format!("/petitions/{id}/signature");
    eventually("the signature return answering 503", || autre.get(&signature).status == 503);
    diesel::sql_query(&set_seen).execute(&mut tdb.conn()).unwrap();
    let r = autre.get(&signature);
    assert!(r.header("retry-after").is_some(), "{}", r.body);
    assert_eq!(autre.get("/auth/franceconnect/callback?code=x&state=y").status, 503);
    // Pages are served to the signed-in visitor, and the visit writes nothing.
    let page = autre.get(&format!("/petitions/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("autre"), "not shown as signed in");
    assert_eq!(count(&mut tdb.conn(), &seen), 1, "the session was marked seen on a read-only tenant");

    diesel::sql_query(format!("UPDATE catalog.tenants SET read_only = false WHERE slug = '{SLUG}'"))
        .execute(&mut tdb.conn())
        .unwrap();
    // Writable again: the request reaches the handler (no proof here, so refused).
    eventually("the signature return reaching its handler", || autre.get(&signature).status == 403);
    assert_eq!(autre.get(&format!("/petitions/{id}")).status, 200);
    assert_eq!(count(&mut tdb.conn(), &seen), 0, "the session is marked seen again once writable");
}
