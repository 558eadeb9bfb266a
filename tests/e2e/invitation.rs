//! A tenant created through the API with a first administrator and plan limits: the
//! invitation is mailed (to the data dir's files here), its link sets a nickname and
//! password and lands on the tenant's administration; the account limit refuses
//! sign-ups past it; bad values are refused with the field named.
use provisioning::auth::Scopes;

use crate::provisioning_api::{call, token, wait_for_job};
use crate::support::browser::{link, mails, path_of, Browser};
use crate::support::{TestApp, TestConfig, TestDb};

#[test]
fn first_admin_invitation_and_account_limit() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let write = token(&tdb, Scopes::READ_WRITE, chrono::Duration::hours(1));

    for (body, field) in [
        (r#"{"slug":"inv","name":"Inv","hosts":["inv.test"],"admin_email":"not-an-address"}"#, "admin_email"),
        (r#"{"slug":"inv","name":"Inv","hosts":["inv.test"],"max_users":0}"#, "max_users"),
        (r#"{"slug":"inv","name":"Inv","hosts":["inv.test"],"max_storage_mb":-5}"#, "max_storage_mb"),
    ] {
        let r = call(&app, "POST", "/api/v1/tenants", &write, body);
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some(field)), "{body}: {}", r.body);
    }
    let r = call(
        &app,
        "POST",
        "/api/v1/tenants",
        &write,
        r#"{"slug":"inv","name":"Ville d'Inv","hosts":["inv.test"],"locales":["fr"],"modules":["pages"],"admin_email":"Maire@Inv.fr","max_users":2,"max_storage_mb":512}"#,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let job = wait_for_job(&app, &write, r.header("location").expect("job"));
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["steps_done"].as_array().is_some_and(|s| s.iter().any(|x| x == "invite_admin")), "{job}");
    let shown = call(&app, "GET", "/api/v1/tenants/inv", &write, "").json();
    assert_eq!(shown["tenant"]["max_users"], 2);
    assert_eq!(shown["tenant"]["max_storage_bytes"], 512 * 1024 * 1024);
    app.reload();

    // The invitation, in French (the tenant's language), with a one-use link.
    let sent = mails(&app.data_dir, "inv");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("To: Maire@inv.fr"), "{}", sent[0]);
    assert!(sent[0].contains("compte d'administration"));
    let url = link(&sent[0], "/account/invite/").expect("invite link");
    let mut b = Browser::new(app.http, "inv.test");
    let csrf = b.csrf(&path_of(&url));
    let weak = b.post(&path_of(&url), &[("csrf", &csrf), ("nickname", "Madame la maire"), ("password", "court")]);
    assert_eq!(weak.status, 422, "the link stays usable after a refused form");
    let r = b.post(
        &path_of(&url),
        &[("csrf", &csrf), ("nickname", "Madame la maire"), ("password", "une phrase de passe solide")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/admin"));
    let admin = b.get("/admin");
    assert_eq!(admin.status, 200);
    assert!(admin.body.contains("Madame la maire"));
    assert_eq!(Browser::new(app.http, "inv.test").get(&path_of(&url)).status, 410, "used once");

    // The usage staff see: accounts, files (the logo-less tenant has none), last sign-in.
    let usage = call(&app, "GET", "/api/v1/tenants/inv", &write, "").json()["usage"].clone();
    assert_eq!(usage["users"], 1);
    assert_eq!(usage["max_users"], 2);
    assert_eq!(usage["storage_bytes"], 0);
    assert!(usage["last_sign_in_at"].is_string(), "{usage}");
    // Reading the tenant kept the measure, which the overview lists.
    let listed = call(&app, "GET", "/api/v1/tenants", &write, "").json();
    assert_eq!(listed["usage"]["inv"]["users"], 1, "{listed}");
    assert!(listed["usage"]["inv"]["measured_at"].is_string());

    // The plan allows two accounts: one more, then a clear refusal.
    let sign_up = |nickname: &str, email: &str| {
        let mut c = Browser::new(app.http, "inv.test");
        let csrf = c.csrf("/sign-up");
        c.post(
            "/sign-up",
            &[
                ("csrf", &csrf),
                ("nickname", nickname),
                ("email", email),
                ("password", "une phrase de passe solide"),
                ("terms", "1"),
            ],
        )
    };
    assert_eq!(sign_up("Premier", "premier@exemple.fr").status, 303);
    let full = sign_up("Second", "second@exemple.fr");
    assert_eq!(full.status, 409);
    assert!(full.body.contains("Inscriptions complètes"), "{}", full.body);
    // Lifting the limit (null) opens sign-ups again.
    let r = call(&app, "PATCH", "/api/v1/tenants/inv", &write, r#"{"max_users":null}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    app.reload();
    assert_eq!(sign_up("Second", "second@exemple.fr").status, 303);
}
