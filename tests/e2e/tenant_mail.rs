//! A tenant's own mail server, set through the provisioning API: its mail then leaves
//! through that server (a real SMTP conversation with a local peer), the password is
//! sealed and never shown, bad values are refused with the field named, and deleting
//! the settings goes back to the platform default.
use provisioning::auth::Scopes;

use crate::provisioning_api::{call, token};
use crate::support::browser::{link, mails, Browser};
use crate::support::smtp::SmtpSink;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

#[test]
fn a_tenant_with_its_own_smtp_server_sends_through_it() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "mailer", &["mailer.test"], &["pages"]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let write = token(&tdb, Scopes::READ_WRITE, chrono::Duration::hours(1));
    let sink = SmtpSink::start();

    // Nothing set: null.
    assert_eq!(call(&app, "GET", "/api/v1/tenants/mailer/mail", &write, "").json()["mail"], serde_json::Value::Null);
    // Bad values: 422 naming the field, nothing stored.
    for (body, field) in [
        (r#"{"from_address":"nope","smtp_host":"127.0.0.1","smtp_port":25,"smtp_tls":"none"}"#, "from_address"),
        (r#"{"from_address":"a@b.fr","smtp_host":"bad host","smtp_port":25,"smtp_tls":"none"}"#, "smtp_host"),
        (r#"{"from_address":"a@b.fr","smtp_host":"h","smtp_port":0,"smtp_tls":"none"}"#, "smtp_port"),
        (r#"{"from_address":"a@b.fr","smtp_host":"h","smtp_port":25,"smtp_tls":"maybe"}"#, "smtp_tls"),
    ] {
        let r = call(&app, "PUT", "/api/v1/tenants/mailer/mail", &write, body);
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some(field)), "{body}: {}", r.body);
    }
    let r = call(&app, "PUT", "/api/v1/tenants/mailer/mail", &write, r#"{"from_address":"a@b.fr","smtp_port":"x"}"#);
    assert_eq!(r.status, 400);
    assert_eq!(call(&app, "GET", "/api/v1/tenants/mailer/mail", &write, "").json()["mail"], serde_json::Value::Null);

    let body = serde_json::json!({
        "from_address": "participation@mailer.fr",
        "from_name": "Ville de Mailer",
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.addr.port(),
        "smtp_tls": "none",
        "smtp_username": "",
        "smtp_password": "never-shown-password",
    })
    .to_string();
    let r = call(&app, "PUT", "/api/v1/tenants/mailer/mail", &write, &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["mail"]["password_set"], true);
    assert!(!r.body.contains("never-shown-password"));
    let audit = call(&app, "GET", "/api/v1/audit?target=mailer", &write, "");
    assert!(audit.body.contains("tenant.mail.put") && !audit.body.contains("never-shown-password"));
    let mut conn = tdb.conn();
    let stored = crate::support::sql::count(
        &mut conn,
        "SELECT count(*) AS n FROM catalog.tenant_mail_settings WHERE smtp_password_enc LIKE 'v1.%' AND smtp_password_enc NOT LIKE '%never-shown%'",
    );
    assert_eq!(stored, 1, "sealed at rest");

    // A sign-up on that tenant: the confirmation goes through the tenant's server.
    let mut b = Browser::new(app.http, "mailer.test");
    let csrf = b.csrf("/sign-up");
    let r = b.post(
        "/sign-up",
        &[
            ("csrf", &csrf),
            ("nickname", "Postière"),
            ("email", "postiere@example.fr"),
            ("password", "une phrase de passe assez longue"),
            ("terms", "1"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].from.starts_with("<participation@mailer.fr>"), "{}", got[0].from);
    assert_eq!(got[0].to, vec!["<postiere@example.fr>".to_owned()]);
    assert!(
        got[0].data.contains("From: \"Ville de Mailer\" <participation@mailer.fr>")
            || got[0].data.contains("From: Ville de Mailer <participation@mailer.fr>"),
        "{}",
        got[0].data
    );
    assert!(link(&got[0].data, "/account/confirm/").is_some());
    assert!(mails(&app.data_dir, "mailer").is_empty(), "not written to files");

    // Back to the platform default: files again.
    assert_eq!(call(&app, "DELETE", "/api/v1/tenants/mailer/mail", &write, "").status, 204);
    assert_eq!(call(&app, "DELETE", "/api/v1/tenants/mailer/mail", &write, "").status, 404);
    let csrf = b.csrf("/password/forgot");
    assert_eq!(b.post("/password/forgot", &[("csrf", &csrf), ("email", "postiere@example.fr")]).status, 200);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(mails(&app.data_dir, "mailer").len(), 1);
}
