//! Local accounts on tenant sites over real HTTP: sign-up, confirmation, sign-in and
//! out, password reset, account changes, data download and deletion; CSRF refusals,
//! rate limits, no user enumeration, and two tenants that never share an account
//! or a session.
use crate::support::browser::{link, mails, path_of, Browser};
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";

fn sign_up(b: &mut Browser, nickname: &str, email: &str) -> crate::support::http::Resp {
    let csrf = b.csrf("/sign-up");
    b.post(
        "/sign-up",
        &[("csrf", &csrf), ("nickname", nickname), ("email", email), ("password", PASSWORD), ("terms", "1")],
    )
}

fn sign_in(b: &mut Browser, email: &str, password: &str) -> crate::support::http::Resp {
    let csrf = b.csrf("/sign-in");
    b.post("/sign-in", &[("csrf", &csrf), ("email", email), ("password", password), ("next", "/account")])
}

/// Signs up and follows the confirmation link; returns the signed-in browser.
fn confirmed_account(app: &TestApp, host: &str, slug: &str, nickname: &str, email: &str) -> Browser {
    let mut b = Browser::new(app.http, host);
    let r = sign_up(&mut b, nickname, email);
    assert_eq!(r.status, 303, "{}", r.body);
    let mail =
        mails(&app.data_dir, slug).into_iter().rev().find(|m| m.contains(&format!("To: {email}"))).expect("mail");
    let url = link(&mail, "/account/confirm/").expect("confirmation link");
    let csrf = b.csrf(&path_of(&url));
    let r = b.post(&path_of(&url), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/account?notice=email_confirmed"));
    b
}

#[test]
fn sign_up_confirm_sign_in_and_out() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "acca", &["acca.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut b = Browser::new(app.http, "acca.test");

    // The form, then a sign-up: the answer sends to "check your email".
    let page = b.get("/sign-up");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Pseudonyme") && page.body.contains("autocomplete=\"new-password\""));
    let r = sign_up(&mut b, "Marianne", "marianne@example.fr");
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/sign-up/check-email"));

    // Not confirmed yet: sign-in says so (the password is right) and opens no session.
    let r = sign_in(&mut b, "marianne@example.fr", PASSWORD);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("pas encore confirmée"));
    assert!(!b.cookies.contains_key("civitas_session"));

    // The mail was written under the data dir, in French, with a one-use link.
    let sent = mails(&app.data_dir, "acca");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("To: marianne@example.fr"));
    assert!(sent[0].contains("Subject: Confirmez votre adresse"));
    let url = link(&sent[0], "/account/confirm/").expect("link");
    assert!(url.starts_with("http://acca.test/account/confirm/cve_"), "{url}");
    // Following the link shows a button; nothing is confirmed by a GET.
    let csrf = b.csrf(&path_of(&url));
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_acca.users WHERE email_confirmed_at IS NOT NULL"), 0);
    let r = b.post(&path_of(&url), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let cookie = r.header("set-cookie").expect("session cookie").to_owned();
    assert!(cookie.starts_with("civitas_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "host-only: {cookie}");
    // Used once: the link is dead now.
    let again = b.get(&path_of(&url));
    assert_eq!(again.status, 410);

    let account = b.get("/account");
    assert_eq!(account.status, 200);
    assert!(account.body.contains("Marianne") && account.body.contains("marianne@example.fr"));
    // The header shows who is signed in, on cached pages too.
    let home = b.get("/");
    assert!(home.body.contains(">Marianne</a>") && home.body.contains("action=\"/sign-out\""), "{}", home.body);

    // Sign out, then sign in again: a new session secret each time.
    let first = b.cookies.get("civitas_session").cloned().expect("session");
    let csrf = b.csrf("/account");
    let r = b.post("/sign-out", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/?notice=signed_out"));
    assert!(!b.cookies.contains_key("civitas_session"));
    assert_eq!(b.get("/account").status, 303, "signed out");
    let r = sign_in(&mut b, "marianne@example.fr", PASSWORD);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/account"));
    let second = b.cookies.get("civitas_session").cloned().expect("session");
    assert_ne!(first, second, "the session secret is new at every sign-in");
    // The old secret opens nothing.
    let mut old = Browser::new(app.http, "acca.test");
    old.cookies.insert("civitas_session".into(), first);
    assert_eq!(old.get("/account").status, 303);
    // Only hashes are stored.
    assert_eq!(
        count(&mut conn, &format!("SELECT count(*) AS n FROM t_acca.user_sessions WHERE token_hash = '{second}'")),
        0
    );
    let phc = count(&mut conn, "SELECT count(*) AS n FROM t_acca.users WHERE password_hash LIKE '$argon2id$%'");
    assert_eq!(phc, 1);

    // A page for signed-in people sends others to sign in and back.
    let anon = Browser::new(app.http, "acca.test").get("/account/data");
    assert_eq!(anon.status, 303);
    assert_eq!(anon.header("location"), Some("/sign-in?next=/account/data"));
}

#[test]
fn no_enumeration_through_sign_up_sign_in_or_reset() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "accb", &["accb.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let _owner = confirmed_account(&app, "accb.test", "accb", "Owner", "owner@example.fr");
    let mut conn = tdb.conn();

    // Sign-up with a taken address: the same answer as a new one, no second account,
    // and the owner is told by mail.
    let mut b = Browser::new(app.http, "accb.test");
    let taken = sign_up(&mut b, "Someone", "owner@example.fr");
    let fresh = sign_up(&mut b, "Someone Else", "fresh@example.fr");
    assert_eq!((taken.status, taken.header("location")), (fresh.status, fresh.header("location")));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accb.users WHERE lower(email) = 'owner@example.fr'"), 1);
    let to_owner: Vec<String> =
        mails(&app.data_dir, "accb").into_iter().filter(|m| m.contains("To: owner@example.fr")).collect();
    assert!(to_owner.iter().any(|m| m.contains("qui en a déjà un")), "owner told");

    // Sign-in: unknown address and wrong password read the same.
    let unknown = sign_in(&mut b, "nobody@example.fr", "whatever whatever");
    let wrong = sign_in(&mut b, "owner@example.fr", "whatever whatever");
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    for r in [&unknown, &wrong] {
        assert!(r.body.contains("Adresse e-mail ou mot de passe incorrect."));
    }

    // Reset: the same page for a known and an unknown address; only the known gets mail.
    let before = mails(&app.data_dir, "accb").len();
    let csrf = b.csrf("/password/forgot");
    let known = b.post("/password/forgot", &[("csrf", &csrf), ("email", "owner@example.fr")]);
    let unknown = b.post("/password/forgot", &[("csrf", &csrf), ("email", "nobody@example.fr")]);
    assert_eq!(known.status, 200);
    assert_eq!(known.body, unknown.body);
    let after = mails(&app.data_dir, "accb");
    assert_eq!(after.len(), before + 1);
    let reset = after.last().expect("reset mail");
    assert!(reset.contains("To: owner@example.fr"));

    // The reset link sets a new password once, ends other sessions, and signs in.
    let url = link(reset, "/password/reset/").expect("reset link");
    let mut r = Browser::new(app.http, "accb.test");
    let csrf = r.csrf(&path_of(&url));
    let short = r.post(&path_of(&url), &[("csrf", &csrf), ("password", "court")]);
    assert_eq!(short.status, 422, "too short is refused, link kept");
    let done = r.post(&path_of(&url), &[("csrf", &csrf), ("password", "un tout nouveau mot de passe")]);
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location"), Some("/account?notice=password_changed"));
    assert_eq!(r.get(&path_of(&url)).status, 410, "used once");
    assert_eq!(_owner_session_count(&mut conn), 1, "the owner's older session was ended");
    let mut c = Browser::new(app.http, "accb.test");
    assert_eq!(sign_in(&mut c, "owner@example.fr", PASSWORD).status, 401, "old password gone");
    assert_eq!(sign_in(&mut c, "owner@example.fr", "un tout nouveau mot de passe").status, 303);
}

fn _owner_session_count(conn: &mut diesel::PgConnection) -> i64 {
    count(
        conn,
        "SELECT count(*) AS n FROM t_accb.user_sessions s JOIN t_accb.users u ON u.id = s.user_id WHERE u.email = 'owner@example.fr'",
    )
}

#[test]
fn csrf_and_rate_limits() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "accc", &["accc.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let mut b = Browser::new(app.http, "accc.test");

    // No token, a wrong token, or another site's Origin: 403 and nothing written.
    let _ = b.get("/sign-up");
    let fields = [("nickname", "Pirate"), ("email", "p@example.fr"), ("password", PASSWORD), ("terms", "1")];
    let none = b.post("/sign-up", &fields);
    assert_eq!(none.status, 403);
    assert!(none.body.contains("Action refusée"), "{}", none.body);
    let mut with_wrong = fields.to_vec();
    with_wrong.push(("csrf", "forged"));
    assert_eq!(b.post("/sign-up", &with_wrong).status, 403);
    let csrf = b.csrf("/sign-up");
    let mut with_good = fields.to_vec();
    with_good.push(("csrf", &csrf));
    let cross = b.post_with("/sign-up", &with_good, &[("Origin", "http://evil.example")]);
    assert_eq!(cross.status, 403);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accc.users"), 0);
    // A token from another browser (another cookie) does not work either.
    let mut other = Browser::new(app.http, "accc.test");
    let theirs = other.csrf("/sign-up");
    let mut with_theirs = fields.to_vec();
    with_theirs.push(("csrf", &theirs));
    assert_eq!(b.post("/sign-up", &with_theirs).status, 403);
    // Malformed form body: a clear 400.
    let bad = b.post_with("/sign-in", &[], &[]);
    assert!(bad.status == 403 || bad.status == 400);

    // Five wrong passwords for one account, then 429 with Retry-After, even with the
    // right password; another account from the same address is not blocked.
    let _ = confirmed_account(&app, "accc.test", "accc", "Target", "target@example.fr");
    let mut a = Browser::new(app.http, "accc.test");
    for _ in 0..5 {
        assert_eq!(sign_in(&mut a, "target@example.fr", "wrong wrong wrong").status, 401);
    }
    let blocked = sign_in(&mut a, "target@example.fr", PASSWORD);
    assert_eq!(blocked.status, 429);
    assert!(blocked.body.contains("Trop de tentatives"), "{}", blocked.body);
    let retry: u64 = blocked.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!(retry > 60);
    assert_eq!(sign_in(&mut a, "other@example.fr", "whatever whatever").status, 401, "per account");

    // Confirmation resend: three per address per hour.
    let csrf = a.csrf("/account/confirm-again");
    for _ in 0..3 {
        assert_eq!(a.post("/account/confirm-again", &[("csrf", &csrf), ("email", "x@example.fr")]).status, 200);
    }
    assert_eq!(a.post("/account/confirm-again", &[("csrf", &csrf), ("email", "x@example.fr")]).status, 429);
}

#[test]
fn two_tenants_never_share_accounts_or_sessions() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "accd", &["accd.test"], &["pages"]);
    tenants::create(&db, "acce", &["acce.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut d = confirmed_account(&app, "accd.test", "accd", "Camille", "camille@example.fr");
    // The same address and nickname on the other tenant is another account.
    let mut e = confirmed_account(&app, "acce.test", "acce", "Camille", "camille@example.fr");
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accd.users"), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_acce.users"), 1);
    // D's session cookie sent to E's host opens nothing there.
    let mut cross = Browser::new(app.http, "acce.test");
    cross.cookies.insert("civitas_session".into(), d.cookies["civitas_session"].clone());
    assert_eq!(cross.get("/account").status, 303);
    // Signing out of D leaves E signed in.
    let csrf = d.csrf("/account");
    assert_eq!(d.post("/sign-out", &[("csrf", &csrf)]).status, 303);
    assert_eq!(e.get("/account").status, 200);
    // Mail went to each tenant's own folder.
    assert_eq!(mails(&app.data_dir, "accd").len(), 1);
    assert_eq!(mails(&app.data_dir, "acce").len(), 1);
}

#[test]
fn account_changes_data_download_and_deletion() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "accf", &["accf.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut b = confirmed_account(&app, "accf.test", "accf", "Léon", "leon@example.fr");
    let mut conn = tdb.conn();

    // Nickname change; a taken or invalid one is refused with the field named.
    let csrf = b.csrf("/account");
    assert_eq!(b.post("/account/nickname", &[("csrf", &csrf), ("nickname", "Léon B.")]).status, 303);
    let bad = b.post("/account/nickname", &[("csrf", &csrf), ("nickname", "<script>")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Pseudonyme : de 2 à 40 caractères"));
    assert!(!bad.body.contains("<script>"));

    // Email change: needs the current password; the new address must be confirmed.
    let wrong =
        b.post("/account/email", &[("csrf", &csrf), ("email", "leon@new.fr"), ("current_password", "nope nope nope")]);
    assert_eq!(wrong.status, 422);
    let ok = b.post("/account/email", &[("csrf", &csrf), ("email", "leon@new.fr"), ("current_password", PASSWORD)]);
    assert_eq!(ok.status, 303);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM t_accf.users WHERE email = 'leon@example.fr'"),
        1,
        "old kept until confirmed"
    );
    let sent = mails(&app.data_dir, "accf");
    assert!(sent.iter().any(|m| m.contains("To: leon@example.fr") && m.contains("leon@new.fr")), "old address told");
    let change = sent.iter().find(|m| m.contains("To: leon@new.fr")).expect("link to new address");
    let url = link(change, "/account/email/").expect("link");
    let c = b.csrf(&path_of(&url));
    assert_eq!(b.post(&path_of(&url), &[("csrf", &c)]).status, 303);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accf.users WHERE email = 'leon@new.fr'"), 1);

    // Password change ends the other sessions, keeps this one.
    let mut other = Browser::new(app.http, "accf.test");
    assert_eq!(sign_in(&mut other, "leon@new.fr", PASSWORD).status, 303);
    let csrf = b.csrf("/account");
    let r = b.post(
        "/account/password",
        &[("csrf", &csrf), ("current_password", PASSWORD), ("new_password", "encore une autre phrase")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(b.get("/account").status, 200);
    assert_eq!(other.get("/account").status, 303);

    // Download my data: JSON with what is kept.
    let data = b.get("/account/data");
    assert_eq!(data.status, 200);
    assert!(data.header("content-disposition").is_some_and(|v| v.contains("attachment")));
    let json: serde_json::Value = serde_json::from_str(&data.body).expect("json");
    assert_eq!(json["account"]["nickname"], "Léon B.");
    assert_eq!(json["account"]["email"], "leon@new.fr");
    assert!(json["sessions"].as_array().is_some_and(|s| !s.is_empty()));

    // Delete: needs the password; then personal data is gone, the row stays.
    let csrf = b.csrf("/account/delete");
    assert_eq!(b.post("/account/delete", &[("csrf", &csrf), ("current_password", "wrong wrong wrong")]).status, 422);
    let r = b.post("/account/delete", &[("csrf", &csrf), ("current_password", "encore une autre phrase")]);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/account/deleted"));
    assert_eq!(b.get("/account").status, 303);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accf.users WHERE deleted_at IS NOT NULL AND email IS NULL AND nickname IS NULL AND password_hash IS NULL"), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accf.user_sessions"), 0);
    // The address is free again.
    let mut again = Browser::new(app.http, "accf.test");
    assert_eq!(sign_up(&mut again, "Léon", "leon@new.fr").status, 303);
}

#[test]
fn tenant_admins_confirm_people_and_upload_a_resident_list() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "accg", &["accg.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut admin = confirmed_account(&app, "accg.test", "accg", "Maire", "maire@ville.fr");
    let mut resident = confirmed_account(&app, "accg.test", "accg", "Habitante", "habitante@exemple.fr");
    let mut conn = tdb.conn();

    // Not an administrator yet: 403 for the admin pages and forms.
    assert_eq!(admin.get("/admin").status, 403);
    assert_eq!(admin.get("/admin/people").status, 403);
    let admin_id = count(&mut conn, "SELECT id AS n FROM t_accg.users WHERE nickname = 'Maire'");
    let resident_id = count(&mut conn, "SELECT id AS n FROM t_accg.users WHERE nickname = 'Habitante'");
    db.tenant(&tenant, |c| tenant_core::accounts::users::set_role(c, admin_id, tenant_core::accounts::UserRole::Admin))
        .expect("role");
    assert_eq!(admin.get("/admin").status, 200);
    let page = admin.get("/admin/people");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Habitante") && page.body.contains("habitante@exemple.fr"));
    assert!(page.body.contains(">Administration</a>"), "admins see the link");
    assert_eq!(admin.get("/admin/people?q=habit").body.matches("<th scope=\"row\">").count(), 1, "search");
    // A participant cannot reach it, even with a valid form token of their own.
    let csrf = resident.csrf("/account");
    let r = resident.post(&format!("/admin/users/{resident_id}/role"), &[("csrf", &csrf), ("role", "admin")]);
    assert_eq!(r.status, 403);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accg.users WHERE role = 'admin'"), 1);

    // "Confirmed by an administrator": granted, shown to the person, withdrawn.
    let csrf = admin.csrf("/admin/people");
    let r = admin.post(&format!("/admin/users/{resident_id}/verification"), &[("csrf", &csrf), ("action", "grant")]);
    assert_eq!(r.status, 303);
    assert!(resident.get("/account").body.contains("Confirmé(e) par un administrateur"));
    let r = admin.post(&format!("/admin/users/{resident_id}/verification"), &[("csrf", &csrf), ("action", "revoke")]);
    assert_eq!(r.status, 303);
    assert!(!resident.get("/account").body.contains("Confirmé(e) par un administrateur"));

    // The last administrator cannot step down.
    let r = admin.post(&format!("/admin/users/{admin_id}/role"), &[("csrf", &csrf), ("role", "participant")]);
    assert_eq!(r.status, 409);

    // A resident list with a bad line is refused whole, naming the line.
    let bad =
        admin.post("/admin/residents", &[("csrf", &csrf), ("emails", "nom;email\nA;habitante@exemple.fr\nB;x@\n")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("lignes 3"), "{}", bad.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accg.resident_list"), 0);
    // A good one: kept as hashes only, and the verification follows it.
    let ok = admin.post(
        "/admin/residents",
        &[("csrf", &csrf), ("emails", "nom;email\nA;Habitante@Exemple.fr\nB;voisin@exemple.fr\n")],
    );
    assert_eq!(ok.status, 303);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM t_accg.resident_list WHERE email_hash ~ '^[0-9a-f]{64}$'"),
        2
    );
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_accg.resident_list WHERE email_hash LIKE '%@%'"), 0);
    assert!(resident.get("/account").body.contains("Inscrit(e) sur la liste des habitants"));
    assert!(!admin.get("/account").body.contains("Inscrit(e) sur la liste des habitants"));
    // The admin asks for it too: not on the list, told so.
    let csrf = admin.csrf("/account");
    let r = admin.post("/account/verifications/resident", &[("csrf", &csrf)]);
    assert_eq!(r.header("location"), Some("/account?notice=not_on_list"));
    // A new list without the resident takes the verification away.
    let csrf = admin.csrf("/admin/people");
    assert_eq!(admin.post("/admin/residents", &[("csrf", &csrf), ("emails", "voisin@exemple.fr\n")]).status, 303);
    assert!(!resident.get("/account").body.contains("Inscrit(e) sur la liste des habitants"));

    // The gate modules use: what each person needs for an action.
    use tenant_core::accounts::verifications::{gate, Gate, Kind, Requirement};
    let needs_fc = Requirement::Verification(Kind::Franceconnect);
    db.tenant(&tenant, |c| {
        assert_eq!(gate(c, None, Requirement::Nobody)?, Gate::Allowed);
        assert_eq!(gate(c, None, needs_fc)?, Gate::SignIn);
        assert_eq!(gate(c, Some(resident_id), Requirement::Account)?, Gate::Allowed);
        assert_eq!(gate(c, Some(resident_id), needs_fc)?, Gate::Verify(Kind::Franceconnect));
        tenant_core::accounts::verifications::grant(c, resident_id, Kind::Franceconnect, "fc", "test", None)?;
        assert_eq!(gate(c, Some(resident_id), needs_fc)?, Gate::Allowed);
        Ok::<_, tenant_core::CoreError>(())
    })
    .expect("gates");
}

#[test]
fn behind_a_tls_proxy_the_session_cookie_is_secure_with_the_host_prefix() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "acch", &["acch.test"], &["pages"]);
    let app = TestApp::start(
        &tdb,
        TestConfig { trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..TestConfig::default() },
    );
    // The proxy terminates TLS and says so; links in mail use https.
    let mut b = Browser::new(app.http, "proxy.internal");
    b.headers = vec![
        ("X-Forwarded-Host".into(), "acch.test".into()),
        ("X-Forwarded-Proto".into(), "https".into()),
        ("X-Forwarded-For".into(), "203.0.113.7".into()),
    ];
    let form = b.get("/sign-up");
    let csrf_cookie = form.header("set-cookie").expect("form cookie").to_owned();
    assert!(csrf_cookie.starts_with("__Host-civitas_csrf=") && csrf_cookie.contains("Secure"), "{csrf_cookie}");
    let csrf = crate::support::browser::form_value(&form.body, "csrf").expect("csrf");
    let r = b.post(
        "/sign-up",
        &[
            ("csrf", &csrf),
            ("nickname", "Sécurité"),
            ("email", "tls@example.fr"),
            ("password", PASSWORD),
            ("terms", "1"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let mail = mails(&app.data_dir, "acch").pop().expect("mail");
    let url = link(&mail, "/account/confirm/").expect("link");
    assert!(url.starts_with("https://acch.test/account/confirm/"), "{url}");
    let csrf = b.csrf(&path_of(&url));
    let r = b.post(&path_of(&url), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.contains("session"))
        .map(|(_, v)| v.clone())
        .expect("session cookie");
    assert!(cookie.starts_with("__Host-civitas_session="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    assert_eq!(b.get("/account").status, 200);
    // A plain-http cookie name is not read on an https request.
    let secret = b.cookies["__Host-civitas_session"].clone();
    let mut plain = Browser::new(app.http, "proxy.internal");
    plain.headers = b.headers.clone();
    plain.cookies.insert("civitas_session".into(), secret);
    assert_eq!(plain.get("/account").status, 303);
}

#[test]
fn rate_limits_are_shared_by_every_server_and_their_window_ends() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "acci", &["acci.test"], &["pages"]);
    let one = TestApp::start(&tdb, TestConfig::default());
    let two = TestApp::start(&tdb, TestConfig::default());
    let _ = confirmed_account(&one, "acci.test", "acci", "Partagé", "shared@example.fr");
    // Five failures spread over two servers spend one budget.
    for app in [&one, &two, &one, &two, &one] {
        let mut b = Browser::new(app.http, "acci.test");
        assert_eq!(sign_in(&mut b, "shared@example.fr", "wrong wrong wrong").status, 401);
    }
    let mut b = Browser::new(two.http, "acci.test");
    assert_eq!(sign_in(&mut b, "shared@example.fr", PASSWORD).status, 429, "the other server knows");
    // When the window is over, the right password works again and clears the count.
    let mut conn = tdb.conn();
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE catalog.rate_limits SET window_start = now() - interval '1 day' WHERE key LIKE 'sign-in-fail:acci:%'"),
        &mut conn,
    )
    .expect("age the window");
    let mut c = Browser::new(one.http, "acci.test");
    assert_eq!(sign_in(&mut c, "shared@example.fr", PASSWORD).status, 303);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM catalog.rate_limits WHERE key LIKE 'sign-in-fail:acci:%'"),
        0
    );
}
