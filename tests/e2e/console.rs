//! The staff console over real HTTP: setup link, password plus TOTP, sessions,
//! CSRF, and the pages staff use (overview, create form, job, audit).
use std::time::{Duration, Instant};

use provisioning::auth::TotpSecret;
use provisioning::staff::{create_staff, StaffEmail};
use provisioning::Actor;

use crate::support::http::{send, Resp};
use crate::support::{TestApp, TestConfig, TestDb};

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// The value of `name="<field>" value="..."` in a page.
#[track_caller]
fn hidden(page: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    let Some(at) = page.find(&marker) else { panic!("no {field} in page: {}", &page[..page.len().min(1500)]) };
    let start = at + marker.len();
    page[start..].split('"').next().unwrap_or("").to_owned()
}

/// `name=value` of a Set-Cookie header.
fn cookie(r: &Resp, name: &str) -> String {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.split(';').next().filter(|c| c.starts_with(&format!("{name}="))).map(str::to_owned))
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

struct Browser<'a> {
    app: &'a TestApp,
    cookies: Vec<String>,
}

impl Browser<'_> {
    fn get(&self, path: &str) -> Resp {
        let c = self.cookies.join("; ");
        send(self.app.prov, "GET", path, &[("Cookie", &c), ("Accept-Language", "fr")], b"")
    }

    fn post(&self, path: &str, body: &str) -> Resp {
        let c = self.cookies.join("; ");
        send(
            self.app.prov,
            "POST",
            path,
            &[("Cookie", &c), ("Content-Type", "application/x-www-form-urlencoded"), ("Accept-Language", "fr")],
            body.as_bytes(),
        )
    }

    fn keep(&mut self, r: &Resp, name: &str) {
        let c = cookie(r, name);
        self.cookies.retain(|k| !k.starts_with(&format!("{name}=")));
        self.cookies.push(c);
    }
}

#[test]
fn staff_set_up_sign_in_with_password_and_totp_and_use_the_console() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let email = StaffEmail::parse("agent@hebergeur.test").unwrap();
    let invitation = create_staff(&tdb.db(1), &email, &Actor::system()).unwrap();
    let mut b = Browser { app: &app, cookies: Vec::new() };

    // Nothing but sign-in and setup answers without a session.
    for path in ["/tenants", "/tenants/new", "/audit", "/jobs/00000000-0000-0000-0000-000000000000", "/tenants/x"] {
        let r = b.get(path);
        assert_eq!((r.status, r.header("location")), (303, Some("/sign-in")), "{path}");
    }

    // Setup: password and TOTP enrolment, confirmed with a code.
    let setup_path = format!("/setup/{}", invitation.setup_token);
    let page = b.get(&setup_path);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("agent@hebergeur.test") && page.body.contains("otpauth:"));
    b.keep(&page, "civitas_console_csrf");
    let secret = hidden(&page.body, "secret");
    let totp = TotpSecret::from_base32(&secret).unwrap();
    let csrf = hidden(&page.body, "csrf");
    let password = "un mot de passe solide";
    let wrong = b.post(
        &setup_path,
        &form(&[
            ("csrf", &csrf),
            ("secret", &secret),
            ("password", password),
            ("password2", password),
            ("code", "000000"),
        ]),
    );
    assert_eq!(wrong.status, 422);
    b.keep(&wrong, "civitas_console_csrf");
    let csrf = hidden(&wrong.body, "csrf");
    let code = totp.code_at(now());
    let done = b.post(
        &setup_path,
        &form(&[
            ("csrf", &csrf),
            ("secret", &secret),
            ("password", password),
            ("password2", password),
            ("code", &code),
        ]),
    );
    assert_eq!((done.status, done.header("location")), (303, Some("/sign-in")), "{}", done.body);
    assert_eq!(b.get(&setup_path).status, 404, "a setup link works once");

    // Sign in: a wrong password says nothing about the account.
    let page = b.get("/sign-in");
    b.keep(&page, "civitas_console_csrf");
    let csrf = hidden(&page.body, "csrf");
    let bad = b.post(
        "/sign-in",
        &form(&[("csrf", &csrf), ("email", "agent@hebergeur.test"), ("password", "not the password!")]),
    );
    assert_eq!(bad.status, 401);
    assert!(bad.body.contains("Adresse ou mot de passe incorrect"));
    let unknown = b.post(
        "/sign-in",
        &form(&[
            ("csrf", &hidden(&bad.body, "csrf")),
            ("email", "nobody@hebergeur.test"),
            ("password", "not the password!"),
        ]),
    );
    b.keep(&bad, "civitas_console_csrf");
    assert_eq!(unknown.status, 401);
    let no_csrf =
        b.post("/sign-in", &form(&[("csrf", "forged"), ("email", "agent@hebergeur.test"), ("password", password)]));
    assert_eq!(no_csrf.status, 401, "a forged form does not sign in");
    let ok = b.post(
        "/sign-in",
        &form(&[("csrf", &hidden(&bad.body, "csrf")), ("email", "Agent@Hebergeur.test"), ("password", password)]),
    );
    assert_eq!((ok.status, ok.header("location")), (303, Some("/sign-in/code")), "{}", ok.body);
    b.keep(&ok, "civitas_staff");
    let set_cookie = ok
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("civitas_staff="))
        .unwrap()
        .1
        .clone();
    assert!(
        set_cookie.contains("HttpOnly")
            && set_cookie.contains("SameSite=Strict")
            && !set_cookie.to_lowercase().contains("domain=")
    );

    // The password alone opens nothing: TOTP is required.
    assert_eq!(b.get("/tenants").header("location"), Some("/sign-in/code"));
    let page = b.get("/sign-in/code");
    let csrf = hidden(&page.body, "csrf");
    assert_eq!(b.post("/sign-in/code", &form(&[("csrf", &csrf), ("code", "123456")])).status, 401);
    // The setup already used the current step; the next one is accepted once.
    let next = totp.code_at(now() + 30);
    let in_ = b.post("/sign-in/code", &form(&[("csrf", &csrf), ("code", &next)]));
    assert_eq!((in_.status, in_.header("location")), (303, Some("/tenants")), "{}", in_.body);

    // The overview, and the create form (multipart, with a logo).
    let overview = b.get("/tenants");
    assert_eq!(overview.status, 200);
    assert!(overview.body.contains("0 institution(s)"), "{}", overview.body);
    let page = b.get("/tenants/new");
    let csrf = hidden(&page.body, "csrf");
    let boundary = "civitasboundary";
    let mut body = String::new();
    for (k, v) in [
        ("csrf", csrf.as_str()),
        ("slug", "brest"),
        ("name", "Ville de Brest"),
        ("hosts", "brest.test\nwww.brest.test"),
        ("locales", "fr"),
        ("locales", "en"),
        ("modules", "pages"),
        ("theme", "default"),
        ("color", "#e1000f"),
        ("description", "Participez !"),
    ] {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo.svg\"\r\nContent-Type: image/svg+xml\r\n\r\n<svg xmlns='http://www.w3.org/2000/svg'/>\r\n--{boundary}--\r\n"));
    let c = b.cookies.join("; ");
    let ctype = format!("multipart/form-data; boundary={boundary}");
    let created = send(app.prov, "POST", "/tenants/new", &[("Cookie", &c), ("Content-Type", &ctype)], body.as_bytes());
    assert_eq!(created.status, 303, "{}", created.body);
    let job_path = created.header("location").unwrap().to_owned();
    assert!(job_path.starts_with("/jobs/"));
    let start = Instant::now();
    loop {
        let job = b.get(&job_path);
        if job.body.contains("terminée") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "job not done: {}", job.body);
        std::thread::sleep(Duration::from_millis(100));
    }
    let overview = b.get("/tenants?q=brest");
    assert!(overview.body.contains("Ville de Brest") && overview.body.contains("1 institution(s)"));

    // Suspend needs the session's CSRF token.
    let page = b.get("/tenants/brest");
    let csrf = hidden(&page.body, "csrf");
    assert_eq!(b.post("/tenants/brest/suspend", &form(&[("csrf", "forged")])).status, 403);
    assert_eq!(b.post("/tenants/brest/suspend", &form(&[("csrf", &csrf)])).status, 303);
    assert!(b.get("/tenants/brest").body.contains("suspendue"));

    let audit = b.get("/audit?target=brest");
    assert!(
        audit.body.contains("tenant.suspend") && audit.body.contains("staff:agent@hebergeur.test"),
        "{}",
        audit.body
    );

    // Signing out ends the session.
    let page = b.get("/tenants");
    let csrf = hidden(&page.body, "csrf");
    assert_eq!(b.post("/sign-out", &form(&[("csrf", &csrf)])).status, 303);
    assert_eq!(b.get("/tenants").header("location"), Some("/sign-in"));
}

#[test]
fn repeated_wrong_passwords_are_slowed_down() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut b = Browser { app: &app, cookies: Vec::new() };
    let page = b.get("/sign-in");
    b.keep(&page, "civitas_console_csrf");
    let csrf = hidden(&page.body, "csrf");
    let attempt = || {
        b.post("/sign-in", &form(&[("csrf", &csrf), ("email", "x@hebergeur.test"), ("password", "wrong password!!")]))
            .status
    };
    let statuses: Vec<u16> = (0..7).map(|_| attempt()).collect();
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 429, 429]);
}

/// A staff member who has set up the account and signed in (password and TOTP).
fn signed_in<'a>(app: &'a TestApp, tdb: &TestDb, email: &str) -> Browser<'a> {
    let invitation = create_staff(&tdb.db(1), &StaffEmail::parse(email).unwrap(), &Actor::system()).unwrap();
    let mut b = Browser { app, cookies: Vec::new() };
    let path = format!("/setup/{}", invitation.setup_token);
    let page = b.get(&path);
    b.keep(&page, "civitas_console_csrf");
    let secret = hidden(&page.body, "secret");
    let totp = TotpSecret::from_base32(&secret).unwrap();
    let pw = "another long enough password";
    let code = totp.code_at(now());
    let done = b.post(
        &path,
        &form(&[
            ("csrf", &hidden(&page.body, "csrf")),
            ("secret", &secret),
            ("password", pw),
            ("password2", pw),
            ("code", &code),
        ]),
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let page = b.get("/sign-in");
    b.keep(&page, "civitas_console_csrf");
    let ok = b.post("/sign-in", &form(&[("csrf", &hidden(&page.body, "csrf")), ("email", email), ("password", pw)]));
    b.keep(&ok, "civitas_staff");
    let page = b.get("/sign-in/code");
    let next = totp.code_at(now() + 30);
    assert_eq!(b.post("/sign-in/code", &form(&[("csrf", &hidden(&page.body, "csrf")), ("code", &next)])).status, 303);
    b
}

fn follow_job(b: &Browser, resp: &Resp) -> String {
    assert_eq!(resp.status, 303, "{}", resp.body);
    let path = resp.header("location").unwrap().to_owned();
    assert!(path.starts_with("/jobs/"), "{path}");
    let start = Instant::now();
    loop {
        let page = b.get(&path);
        if page.body.contains("terminée") || page.body.contains("en échec") {
            return page.body;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "job not done: {}", page.body);
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn staff_export_download_delete_and_upgrade_from_the_console() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    crate::support::tenants::create(&tdb.db(1), "caen", &["caen.test"], &["pages"]);
    let b = signed_in(&app, &tdb, "ops@hebergeur.test");

    let page = b.get("/tenants/caen");
    assert!(page.body.contains("Aucun export pour le moment."));
    let csrf = hidden(&page.body, "csrf");
    let refused = b.post("/tenants/caen/delete", &form(&[("csrf", &csrf), ("retention_days", "0")]));
    assert_eq!(refused.status, 422, "no export and no waiver");
    assert!(refused.body.contains("export_waived"));
    assert!(follow_job(&b, &b.post("/tenants/caen/export", &form(&[("csrf", &csrf)]))).contains("terminée"));
    let page = b.get("/tenants/caen");
    let link_start = page.body.find("/tenants/caen/exports/").expect("a download link");
    let link: String = page.body[link_start..].chars().take_while(|c| *c != '"').collect();
    let download = b.get(&link);
    assert_eq!((download.status, download.header("content-type")), (200, Some("application/gzip")));

    assert!(follow_job(&b, &b.post("/upgrades", &form(&[("csrf", &csrf), ("concurrency", "2")]))).contains("terminée"));
    assert!(follow_job(&b, &b.post("/tenants/caen/delete", &form(&[("csrf", &csrf), ("retention_days", "0")])))
        .contains("terminée"));
    assert_eq!(b.get("/tenants/caen").status, 404, "purged");
    assert_eq!(b.post("/upgrades", &form(&[("csrf", "forged"), ("concurrency", "2")])).status, 403);
}

/// A multipart body of text fields.
fn multipart(boundary: &str, fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body
}

#[test]
fn staff_edit_a_tenant_from_the_console_and_conflicts_are_shown_on_the_field() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let db = tdb.db(1);
    crate::support::tenants::create(&db, "vannes", &["vannes.test"], &["pages", "blog"]);
    crate::support::tenants::create(&db, "lorient", &["lorient.test"], &["pages"]);
    let b = signed_in(&app, &tdb, "edit@hebergeur.test");
    let page = b.get("/tenants/vannes/edit");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("vannes.test") && page.body.contains("Modifier l&#x27;institution"), "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let post = |fields: &[(&str, &str)]| {
        let c = b.cookies.join("; ");
        let boundary = "editboundary";
        let ctype = format!("multipart/form-data; boundary={boundary}");
        send(
            app.prov,
            "POST",
            "/tenants/vannes/edit",
            &[("Cookie", &c), ("Content-Type", &ctype)],
            multipart(boundary, fields).as_bytes(),
        )
    };
    let taken = post(&[
        ("csrf", &csrf),
        ("name", "Vannes"),
        ("hosts", "vannes.test\nlorient.test"),
        ("locales", "fr"),
        ("modules", "pages"),
        ("theme", "civic"),
        ("color", "#18753c"),
        ("description", ""),
    ]);
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("already used by tenant") && taken.body.contains("aria-invalid"), "{}", taken.body);
    let saved = post(&[
        ("csrf", &csrf),
        ("name", "Ville de Vannes"),
        ("hosts", "vannes.example.test\nvannes.test"),
        ("locales", "fr"),
        ("locales", "en"),
        ("modules", "pages"),
        ("theme", "civic"),
        ("color", "#18753c"),
        ("description", "Bienvenue"),
    ]);
    assert_eq!((saved.status, saved.header("location")), (303, Some("/tenants/vannes")), "{}", saved.body);
    app.reload();
    let home = crate::support::http::get(app.http, "vannes.example.test", "/");
    assert!(home.body.contains("Ville de Vannes") && home.body.contains("theme-civic"));
    assert_eq!(crate::support::http::get(app.http, "vannes.example.test", "/blog").status, 404, "blog switched off");
    let forged = post(&[("csrf", "forged"), ("name", "X"), ("hosts", "x.test")]);
    assert_eq!(forged.status, 403);
}

#[test]
fn staff_manage_identity_providers_from_the_console_without_ever_seeing_the_secret() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let db = tdb.db(1);
    let tenant = crate::support::tenants::create(&db, "quimper", &["quimper.test"], &["pages"]);
    let b = signed_in(&app, &tdb, "idp@hebergeur.test");
    let page = b.get("/tenants/quimper/identity-providers/new");
    assert_eq!(page.status, 200);
    let csrf = hidden(&page.body, "csrf");
    let secret = "s3cr3t-client-value-42";
    let fields = |issuer: &str, secret: &str| {
        form(&[
            ("csrf", &csrf),
            ("key", "franceconnect"),
            ("kind", "franceconnect"),
            ("label", ""),
            ("issuer", issuer),
            ("client_id", "quimper-client"),
            ("client_secret", secret),
            ("scopes", ""),
            ("acr_values", ""),
            ("enabled", "yes"),
        ])
    };
    let bad = b.post("/tenants/quimper/identity-providers", &fields("ftp://nope", secret));
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("invalid issuer") && !bad.body.contains(secret), "{}", bad.body);
    let saved = b.post(
        "/tenants/quimper/identity-providers",
        &fields("https://fcp-low.integ01.dev-franceconnect.fr/api/v2", secret),
    );
    assert_eq!((saved.status, saved.header("location")), (303, Some("/tenants/quimper")), "{}", saved.body);
    let overview = b.get("/tenants/quimper");
    assert!(overview.body.contains("S&#x27;identifier avec FranceConnect"), "{}", overview.body);
    let edit = b.get("/tenants/quimper/identity-providers/franceconnect");
    assert!(edit.body.contains("quimper-client") && !edit.body.contains(secret), "the secret is never shown back");
    // Saving without a secret keeps the stored one.
    let kept = b.post(
        "/tenants/quimper/identity-providers",
        &form(&[
            ("csrf", &csrf),
            ("key", "franceconnect"),
            ("kind", "franceconnect"),
            ("label", "FranceConnect"),
            ("issuer", "https://fcp-low.integ01.dev-franceconnect.fr/api/v2"),
            ("client_id", "quimper-client-2"),
            ("client_secret", ""),
            ("scopes", "openid email"),
            ("acr_values", "eidas1"),
        ]),
    );
    assert_eq!(kept.status, 303, "{}", kept.body);
    let keyring = tenant_core::secrets::Keyring::load(&app.data_dir.join("master.key"), &[]).unwrap();
    assert_eq!(
        provisioning::identity_providers::client_secret(&db, &keyring, tenant.id, "franceconnect").unwrap().expose(),
        secret
    );
    let listed = provisioning::identity_providers::list(&db, &tenant.slug).unwrap();
    assert_eq!(
        (listed[0].client_id.as_str(), listed[0].enabled, listed[0].scopes.len()),
        ("quimper-client-2", false, 2)
    );
    assert_eq!(
        b.post("/tenants/quimper/identity-providers/franceconnect/delete", &form(&[("csrf", &csrf)])).status,
        303
    );
    assert!(provisioning::identity_providers::list(&db, &tenant.slug).unwrap().is_empty());
}

/// The sealed SMTP password stored for the tenant: `None` without settings,
/// `Some(None)` for settings without a password.
fn sealed_smtp_password(tdb: &TestDb) -> Option<Option<String>> {
    use diesel::prelude::*;
    use tenant_core::schema::catalog::tenant_mail_settings as tms;
    tms::table.select(tms::smtp_password_enc).first::<Option<String>>(&mut tdb.conn()).optional().unwrap()
}

/// The opening tag of the form control with `id="<id>"`.
#[track_caller]
fn control<'p>(page: &'p str, id: &str) -> &'p str {
    let at = page.find(&format!(" id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in page: {page}"));
    let start = page[..at].rfind('<').unwrap();
    let end = at + page[at..].find('>').unwrap();
    &page[start..=end]
}

#[test]
fn staff_set_a_tenant_mail_server_from_the_console_without_ever_seeing_the_password() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let db = tdb.db(1);
    let tenant = crate::support::tenants::create(&db, "morlaix", &["morlaix.test"], &["pages"]);
    let b = signed_in(&app, &tdb, "mail@hebergeur.test");
    let keyring = tenant_core::secrets::Keyring::load(&app.data_dir.join("master.key"), &[]).unwrap();
    let opened = || db.catalog(|conn| tenant_core::mail::tenant_mail(conn, &keyring, tenant.id)).unwrap();

    // No settings: the platform default, a link to the form and nothing to remove.
    let page = b.get("/tenants/morlaix");
    assert!(page.body.contains("Le serveur par défaut de la plateforme"), "{}", page.body);
    assert!(page.body.contains("href=\"/tenants/morlaix/mail\"") && !page.body.contains("/mail/delete"));
    let page = b.get("/tenants/morlaix/mail");
    assert_eq!(page.status, 200);
    assert!(control(&page.body, "smtp_password").contains("type=\"password\""));
    let csrf = hidden(&page.body, "csrf");
    let password = "never-shown-smtp-password";
    let fields = |csrf: &str, host: &str, port: &str, tls: &str, password: &str| {
        form(&[
            ("csrf", csrf),
            ("from_address", "participation@morlaix.fr"),
            ("from_name", "Ville de Morlaix"),
            ("smtp_host", host),
            ("smtp_port", port),
            ("smtp_tls", tls),
            ("smtp_username", "mairie-smtp"),
            ("smtp_password", password),
        ])
    };
    let forged = b.post("/tenants/morlaix/mail", &fields("forged", "smtp.morlaix.fr", "587", "starttls", password));
    assert_eq!(forged.status, 403);
    assert_eq!(sealed_smtp_password(&tdb), None, "a forged form stores nothing");

    let saved = b.post("/tenants/morlaix/mail", &fields(&csrf, "smtp.morlaix.fr", "587", "starttls", password));
    assert_eq!((saved.status, saved.header("location")), (303, Some("/tenants/morlaix")), "{}", saved.body);
    let page = b.get("/tenants/morlaix");
    for shown in [
        "participation@morlaix.fr",
        "Ville de Morlaix",
        "<dd>smtp.morlaix.fr</dd>",
        "<dd>587</dd>",
        "<dd>STARTTLS (connexion renforcée)</dd>",
        "<dd>mairie-smtp</dd>",
        "<dd>enregistré</dd>",
        "action=\"/tenants/morlaix/mail/delete\"",
    ] {
        assert!(page.body.contains(shown), "{shown} not in {}", page.body);
    }
    assert!(!page.body.contains(password) && !page.body.contains("Le serveur par défaut"));
    let sealed = sealed_smtp_password(&tdb).flatten().expect("a sealed password");
    assert!(sealed.starts_with("v1.") && !sealed.contains(password), "{sealed}");
    assert_eq!(opened().and_then(|m| m.smtp.password).as_ref().map(|p| p.expose()), Some(password));

    // The form again: filled, but never with the password, and saying an empty field keeps it.
    let edit = b.get("/tenants/morlaix/mail");
    assert!(control(&edit.body, "smtp_host").contains("value=\"smtp.morlaix.fr\""));
    assert!(control(&edit.body, "smtp_password").contains("type=\"password\""));
    assert!(!edit.body.contains(password) && edit.body.contains("laisser vide pour garder le mot de passe"));
    assert!(!edit.body.contains("aria-invalid"));

    // Wrong values: 422, the field named and marked, what was typed shown back but
    // the password, and nothing changed.
    for (port, tls, field) in
        [("70000", "starttls", "smtp_port"), ("0", "tls", "smtp_port"), ("587", "ssl3", "smtp_tls")]
    {
        let r = b.post("/tenants/morlaix/mail", &fields(&csrf, "smtp2.morlaix.fr", port, tls, "another-password"));
        assert_eq!(r.status, 422, "{port} {tls}: {}", r.body);
        assert!(r.body.contains(&format!("{field}: ")), "{field} not named: {}", r.body);
        assert!(control(&r.body, field).contains("aria-invalid=\"true\""), "{}", control(&r.body, field));
        assert_eq!(r.body.matches("aria-invalid").count(), 1, "only {field} is marked");
        assert!(control(&r.body, "smtp_host").contains("value=\"smtp2.morlaix.fr\""));
        assert!(!r.body.contains("another-password") && !r.body.contains(password));
        if field == "smtp_port" {
            assert!(control(&r.body, "smtp_port").contains(&format!("value=\"{port}\"")));
        }
    }
    assert_eq!(sealed_smtp_password(&tdb).flatten().as_deref(), Some(sealed.as_str()));
    let kept = opened().unwrap();
    assert_eq!((kept.smtp.host.as_str(), kept.smtp.port, kept.smtp.tls.as_str()), ("smtp.morlaix.fr", 587, "starttls"));

    // An empty password keeps the stored one, sealed as it was.
    let saved = b.post("/tenants/morlaix/mail", &fields(&csrf, "smtp2.morlaix.fr", "465", "tls", ""));
    assert_eq!((saved.status, saved.header("location")), (303, Some("/tenants/morlaix")), "{}", saved.body);
    assert_eq!(sealed_smtp_password(&tdb).flatten().as_deref(), Some(sealed.as_str()));
    let changed = opened().unwrap();
    assert_eq!(
        (changed.smtp.host.as_str(), changed.smtp.port, changed.smtp.tls.as_str()),
        ("smtp2.morlaix.fr", 465, "tls")
    );
    assert_eq!(changed.smtp.password.as_ref().map(|p| p.expose()), Some(password));
    let page = b.get("/tenants/morlaix");
    assert!(page.body.contains("<dd>TLS dès la connexion</dd>") && page.body.contains("<dd>enregistré</dd>"));

    // Removing needs the session's token, and goes back to the platform default.
    assert_eq!(b.post("/tenants/morlaix/mail/delete", &form(&[("csrf", "forged")])).status, 403);
    assert!(sealed_smtp_password(&tdb).is_some());
    let removed = b.post("/tenants/morlaix/mail/delete", &form(&[("csrf", &csrf)]));
    assert_eq!((removed.status, removed.header("location")), (303, Some("/tenants/morlaix")));
    assert_eq!(sealed_smtp_password(&tdb), None);
    assert!(opened().is_none());
    assert!(b.get("/tenants/morlaix").body.contains("Le serveur par défaut de la plateforme"));

    let audit = b.get("/audit?target=morlaix");
    assert!(audit.body.contains("tenant.mail.put") && audit.body.contains("tenant.mail.delete"), "{}", audit.body);
    assert!(!audit.body.contains(password) && !audit.body.contains(&sealed));
}

#[test]
fn the_console_shows_each_tenants_cluster_a_move_in_progress_and_the_tenants_last_backups() {
    use diesel::connection::SimpleConnection;
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let db = tdb.db(1);
    let caen = crate::support::tenants::create(&db, "caen", &["caen.test"], &["pages"]);
    crate::support::tenants::create(&db, "brest", &["brest.test"], &["pages"]);
    let b = signed_in(&app, &tdb, "ops@hebergeur.test");

    let list = b.get("/tenants");
    assert!(list.body.contains("Grappe PostgreSQL"), "{}", list.body);
    assert!(list.body.contains("<td>main</td>"), "{}", list.body);
    let page = b.get("/tenants/caen");
    assert!(page.body.contains("<dd>main</dd>"), "{}", page.body);
    assert!(page.body.contains("Aucune sauvegarde pour le moment."), "{}", page.body);

    // A move that has not switched yet: read-only, on its way to pg2 (a second name
    // for the test database: only its name shows here).
    provisioning::clusters::add(
        &db,
        &app.state.identity.keyring,
        &tenant_core::names::ClusterName::parse("pg2").unwrap(),
        &tenant_core::DatabaseUrl::new(tdb.url.clone()),
        5,
        &Actor::system(),
    )
    .unwrap();
    tdb.conn()
        .batch_execute("UPDATE catalog.tenants SET read_only = true, moving_to = 'pg2' WHERE slug = 'caen'")
        .unwrap();
    let list = b.get("/tenants");
    assert!(list.body.contains("lecture seule, déplacement vers pg2"), "{}", list.body);
    assert_eq!(list.body.matches("lecture seule").count(), 1, "only caen is read-only: {}", list.body);
    assert!(b.get("/tenants/caen").body.contains("lecture seule, déplacement vers pg2"));

    let outcome = provisioning::backups::back_up_tenant(&db, &*app.state.blobs, &caen).unwrap();
    let page = b.get("/tenants/caen");
    assert!(page.body.contains(&outcome.id.to_string()), "{}", page.body);
    assert!(page.body.contains("réussie"), "{}", page.body);
    assert!(!page.body.contains("Aucune sauvegarde pour le moment."));
    let en =
        send(app.prov, "GET", "/tenants/caen", &[("Cookie", &b.cookies.join("; ")), ("Accept-Language", "en")], b"");
    assert!(en.body.contains("read-only, moving to pg2") && en.body.contains("succeeded"), "{}", en.body);
    assert!(!b.get("/tenants/brest").body.contains(&outcome.id.to_string()), "another tenant's backup is not listed");
}
