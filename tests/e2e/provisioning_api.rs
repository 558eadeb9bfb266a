//! The provisioning API over real HTTP: access rules, the tenant lifecycle through
//! jobs, and bad input refused with the field named and nothing written.
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use provisioning::auth::Scopes;
use provisioning::staff::{create_staff, create_token, StaffEmail};
use provisioning::Actor;

use crate::support::http::{get, send, Resp};
use crate::support::sql::count;
use crate::support::{TestApp, TestConfig, TestDb};

pub(crate) fn token(tdb: &TestDb, scopes: Scopes, valid_for: chrono::Duration) -> String {
    let db = tdb.db(1);
    let email = StaffEmail::parse("ops@hebergeur.test").unwrap();
    let _ = create_staff(&db, &email, &Actor::system());
    create_token(&db, &email, "tests", scopes, valid_for, &Actor::system()).unwrap().secret
}

pub(crate) fn call(app: &TestApp, method: &str, path: &str, token: &str, body: &str) -> Resp {
    let auth = format!("Bearer {token}");
    send(app.prov, method, path, &[("Authorization", &auth), ("Content-Type", "application/json")], body.as_bytes())
}

pub(crate) fn wait_for_job(app: &TestApp, token: &str, location: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let job = call(app, "GET", location, token, "").json()["job"].clone();
        if job["status"] == "succeeded" || job["status"] == "failed" {
            return job;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "job still {}", job["status"]);
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn no_api_route_answers_without_a_valid_unexpired_token_and_a_read_token_cannot_write() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let read = token(&tdb, Scopes::READ_ONLY, chrono::Duration::days(1));
    for (method, path) in [
        ("GET", "/api/v1/tenants"),
        ("POST", "/api/v1/tenants"),
        ("GET", "/api/v1/tenants/x"),
        ("POST", "/api/v1/tenants/x/suspend"),
        ("POST", "/api/v1/tenants/x/resume"),
        ("GET", "/api/v1/jobs"),
        ("GET", "/api/v1/jobs/00000000-0000-0000-0000-000000000000"),
        ("GET", "/api/v1/audit"),
    ] {
        let none = send(app.prov, method, path, &[], b"{}");
        assert_eq!(none.status, 401, "{method} {path} without a token");
        assert_eq!(none.json()["error"]["code"], "unauthorized");
        for bad in
            ["Bearer nope", "Bearer cvt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Basic b3BzOm9wcw==", "Bearer "]
        {
            assert_eq!(
                send(app.prov, method, path, &[("Authorization", bad)], b"{}").status,
                401,
                "{method} {path} {bad}"
            );
        }
    }
    let listed = call(&app, "GET", "/api/v1/tenants", &read, "");
    assert_eq!(listed.status, 200, "{read}: {}", listed.body);
    let refused = call(&app, "POST", "/api/v1/tenants", &read, r#"{"slug":"x1","name":"X","hosts":["x1.test"]}"#);
    assert_eq!(refused.status, 403, "{}", refused.body);
    let short = token(&tdb, Scopes::READ_WRITE, chrono::Duration::seconds(2));
    assert_eq!(call(&app, "GET", "/api/v1/tenants", &short, "").status, 200);
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(call(&app, "GET", "/api/v1/tenants", &short, "").status, 401, "an expired token is refused");
    // Tenant hosts never serve the API.
    assert_eq!(get(app.http, "127.0.0.1", "/api/v1/tenants").status, 400);
    assert_eq!(count(&mut tdb.conn(), "SELECT count(*) AS n FROM catalog.tenants"), 0);
}

#[test]
fn a_tenant_created_suspended_and_resumed_through_the_api_is_served_accordingly_and_audited() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let token = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));
    let logo =
        data_encoding::BASE64.encode(b"<svg xmlns='http://www.w3.org/2000/svg'><rect width='4' height='4'/></svg>");
    let body = format!(
        r##"{{"slug":"nantes","name":"Ville de Nantes","hosts":["nantes.test","www.nantes.test"],"locales":["fr","en"],
            "modules":["pages","blog"],"theme":"civic","color":"#00a19a","description":"Participez !","logo_base64":"{logo}"}}"##
    );
    let created = call(&app, "POST", "/api/v1/tenants", &token, &body);
    assert_eq!(created.status, 202, "{}", created.body);
    let location = created.header("location").unwrap().to_owned();
    let job = wait_for_job(&app, &token, &location);
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["steps_done"], serde_json::json!(["create", "invite_admin", "activate"]));
    assert_eq!(job["result"]["slug"], "nantes");

    let start = Instant::now();
    while get(app.http, "nantes.test", "/").status != 200 {
        assert!(start.elapsed() < Duration::from_secs(3), "the new tenant is not served");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(get(app.http, "nantes.test", "/").body.contains("Ville de Nantes"));
    assert_eq!(get(app.http, "nantes.test", "/branding/logo").status, 200);
    let shown = call(&app, "GET", "/api/v1/tenants/nantes", &token, "").json();
    assert_eq!(shown["tenant"]["theme"], "civic");
    assert_eq!(shown["jobs"][0]["kind"], "create_tenant");

    assert_eq!(
        call(&app, "POST", "/api/v1/tenants/nantes/suspend", &token, "").json()["tenant"]["status"],
        "suspended"
    );
    app.reload();
    assert_eq!(get(app.http, "nantes.test", "/").status, 503);
    assert_eq!(call(&app, "POST", "/api/v1/tenants/nantes/resume", &token, "").json()["tenant"]["status"], "active");
    app.reload();
    assert_eq!(get(app.http, "nantes.test", "/").status, 200);

    let metrics = get(app.ops, "127.0.0.1", "/metrics").body;
    assert!(
        metrics.contains(r#"civitas_provisioning_jobs_total{kind="create_tenant",outcome="succeeded"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"civitas_provisioning_job_duration_seconds_count{kind="create_tenant"} 1"#));
    let listed = call(&app, "GET", "/api/v1/tenants?q=nant&status=active", &token, "").json();
    assert_eq!(listed["tenants"].as_array().map(Vec::len), Some(1));
    let audit = call(&app, "GET", "/api/v1/audit?target=nantes", &token, "").json();
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["tenant.resume", "tenant.suspend", "tenant.create"]);
    assert!(audit["entries"][0]["actor"].as_str().unwrap().starts_with("token:tests (ops@hebergeur.test)"));
    assert_eq!(audit["entries"][1]["before"]["status"], "active");
    assert_eq!(audit["entries"][1]["after"]["status"], "suspended");
}

#[test]
fn bad_input_gets_a_clear_4xx_naming_the_field_and_writes_nothing() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let token = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));
    let ok = call(&app, "POST", "/api/v1/tenants", &token, r#"{"slug":"taken","name":"T","hosts":["taken.test"]}"#);
    assert_eq!(ok.status, 202);
    wait_for_job(&app, &token, ok.header("location").unwrap());
    let big_logo = data_encoding::BASE64.encode(&vec![b'x'; 1024 * 1024 + 10]);
    let not_image = data_encoding::BASE64.encode(b"<html><script>alert(1)</script></html>");
    let cases: Vec<(String, u16, &str, Option<&str>, &str)> = vec![
        (r#"{"slug":"Bad Slug","name":"X","hosts":["x.test"]}"#.into(), 422, "invalid", Some("slug"), "invalid slug"),
        (r#"{"slug":"taken","name":"X","hosts":["x.test"]}"#.into(), 409, "conflict", Some("slug"), "already exists"),
        (
            r#"{"slug":"fresh","name":"X","hosts":["ok.test","TAKEN.test"]}"#.into(),
            409,
            "conflict",
            Some("hosts[1]"),
            "already used by tenant \"taken\"",
        ),
        (
            r#"{"slug":"fresh","name":"X","hosts":["x.test"],"modules":["pages","teleport"]}"#.into(),
            422,
            "invalid",
            Some("modules[1]"),
            "unknown module",
        ),
        (
            r#"{"slug":"fresh","name":"X","hosts":["https://x.test/"]}"#.into(),
            422,
            "invalid",
            Some("hosts[0]"),
            "invalid host",
        ),
        (
            r#"{"slug":"fresh","name":"X","hosts":["x.test"],"color":"blue"}"#.into(),
            422,
            "invalid",
            Some("color"),
            "invalid colour",
        ),
        (
            r#"{"slug":"fresh","name":"X","hosts":["x.test"],"theme":"neon"}"#.into(),
            422,
            "invalid",
            Some("theme"),
            "unknown theme",
        ),
        (
            format!(r#"{{"slug":"fresh","name":"X","hosts":["x.test"],"logo_base64":"{big_logo}"}}"#),
            422,
            "invalid",
            Some("logo_base64"),
            "the limit is 1024 KiB",
        ),
        (
            format!(r#"{{"slug":"fresh","name":"X","hosts":["x.test"],"logo_base64":"{not_image}"}}"#),
            422,
            "invalid",
            Some("logo_base64"),
            "PNG, JPEG, WebP or SVG",
        ),
        (
            r#"{"slug":"fresh","name":"X","hosts":["x.test"],"logo_base64":"!!!"}"#.into(),
            422,
            "invalid",
            Some("logo_base64"),
            "not valid base64",
        ),
        (r#"{"slug":"fresh","name":"X","hosts":["x.test"]"#.into(), 400, "malformed_json", None, "EOF"),
        (r#"not json"#.into(), 400, "malformed_json", None, "expected"),
        (
            r#"{"slug":"fresh","name":"X","hosts":[42]}"#.into(),
            400,
            "bad_field",
            Some("hosts[0]"),
            "invalid type: integer",
        ),
        (r#"{"slug":"fresh","name":7,"hosts":["x.test"]}"#.into(), 400, "bad_field", Some("name"), "invalid type"),
        (r#"{"slug":"fresh","name":"X"}"#.into(), 400, "bad_field", None, "missing field `hosts`"),
        (
            r##"{"slug":"fresh","name":"X","hosts":["x.test"],"colour":"#fff"}"##.into(),
            400,
            "bad_field",
            Some("colour"),
            "unknown field `colour`",
        ),
    ];
    for (body, status, code, field, text) in &cases {
        let r = call(&app, "POST", "/api/v1/tenants", &token, body);
        let short: String = body.chars().take(80).collect();
        assert_eq!(r.status, *status, "{short}: {}", r.body);
        let e = &r.json()["error"];
        assert_eq!(e["code"], *code, "{short}: {}", r.body);
        assert_eq!(e["field"].as_str(), *field, "{short}: {}", r.body);
        assert!(e["message"].as_str().unwrap_or("").contains(text), "{short}: {}", r.body);
    }
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants"), 1, "only the first tenant exists");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.jobs"), 1, "no job was queued for bad input");
    assert_eq!(call(&app, "GET", "/api/v1/nowhere", &token, "").status, 404);
}

#[test]
fn updating_a_tenant_moves_hosts_switches_modules_and_loses_no_data() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let token = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));
    for (slug, hosts) in [("metz", r#"["metz.test","www.metz.test"]"#), ("nancy", r#"["nancy.test"]"#)] {
        let body = format!(r#"{{"slug":"{slug}","name":"{slug}","hosts":{hosts},"modules":["pages","blog"]}}"#);
        let created = call(&app, "POST", "/api/v1/tenants", &token, &body);
        assert_eq!(wait_for_job(&app, &token, created.header("location").unwrap())["status"], "succeeded");
    }
    let db = tdb.db(1);
    let metz = db
        .catalog(|c| tenant_core::catalog::load_one(c, &tenant_core::names::TenantSlug::parse("metz").unwrap()))
        .unwrap();
    db.tenant(&metz, |conn| {
        tenant_core::content::blog::publish(conn, tenant_core::names::Locale::Fr, "Conseil municipal", "Ordre du jour")
    })
    .unwrap();

    let patch = r##"{"name":"Ville de Metz","hosts":["metz.example.test","metz.test"],"modules":["pages"],"color":"#6a6af4","description":"Nouvelle présentation"}"##;
    let updated = call(&app, "PATCH", "/api/v1/tenants/metz", &token, patch);
    assert_eq!(updated.status, 200, "{}", updated.body);
    let t = &updated.json()["tenant"];
    assert_eq!((t["primary_host"].as_str(), t["name"].as_str()), (Some("metz.example.test"), Some("Ville de Metz")));
    app.reload();
    let home = get(app.http, "metz.example.test", "/");
    assert!(home.body.contains("Ville de Metz") && home.body.contains("Nouvelle présentation"));
    assert_eq!(get(app.http, "metz.test", "/x?y=1").header("location"), Some("http://metz.example.test/x?y=1"));
    assert_eq!(get(app.http, "www.metz.test", "/").status, 404, "a removed host is no longer served");
    assert_eq!(get(app.http, "metz.example.test", "/blog").status, 404, "blog switched off");
    assert_eq!(
        db.tenant(&metz, |c| tenant_core::content::blog::latest(c, tenant_core::names::Locale::Fr, 10)).unwrap().len(),
        1,
        "its posts are kept"
    );
    let again = call(&app, "PATCH", "/api/v1/tenants/metz", &token, r#"{"modules":["pages","blog"]}"#);
    assert_eq!(again.status, 200);
    app.reload();
    assert!(
        get(app.http, "metz.example.test", "/blog").body.contains("Conseil municipal"),
        "switched back on, the post is there"
    );

    let conflict =
        call(&app, "PATCH", "/api/v1/tenants/metz", &token, r#"{"hosts":["metz.example.test","nancy.test"]}"#);
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    assert_eq!(conflict.json()["error"]["field"], "hosts");
    assert!(conflict.json()["error"]["message"].as_str().unwrap().contains("already used by tenant \"nancy\""));
    let bad = call(&app, "PATCH", "/api/v1/tenants/metz", &token, r#"{"modules":["pages","teleport"]}"#);
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("modules[1]")));
    app.reload();
    assert_eq!(get(app.http, "nancy.test", "/").status, 200, "nancy keeps its host");
    assert_eq!(call(&app, "PATCH", "/api/v1/tenants/nobody", &token, "{}").status, 404);

    let audit = call(&app, "GET", "/api/v1/audit?target=metz&action=tenant.update", &token, "").json();
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "two updates went through");
    assert_eq!(entries[1]["before"]["primary_host"], "metz.test");
    assert_eq!(entries[1]["after"]["primary_host"], "metz.example.test");
}

#[test]
fn identity_provider_secrets_are_sealed_never_shown_and_survive_a_key_rotation() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let token = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));
    let read = self::token(&tdb, Scopes::READ_ONLY, chrono::Duration::days(1));
    let created =
        call(&app, "POST", "/api/v1/tenants", &token, r#"{"slug":"senat","name":"Sénat","hosts":["senat.test"]}"#);
    wait_for_job(&app, &token, created.header("location").unwrap());
    let secret = "fc-client-secret-9f8e7d6c5b4a";
    let body = format!(
        r#"{{"kind":"franceconnect","issuer":"https://fcp-low.integ01.dev-franceconnect.fr/api/v2","client_id":"abc123","client_secret":"{secret}"}}"#
    );
    assert_eq!(call(&app, "PUT", "/api/v1/tenants/senat/identity-providers/franceconnect", &read, &body).status, 403);
    let saved = call(&app, "PUT", "/api/v1/tenants/senat/identity-providers/franceconnect", &token, &body);
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(!saved.body.contains(secret), "the secret is never shown back");
    let p = &saved.json()["identity_provider"];
    assert_eq!(p["acr_values"], "eidas1");
    assert!(p["scopes"].as_array().unwrap().iter().any(|s| s == "birthplace"));
    assert_eq!(p["label"], "S'identifier avec FranceConnect");

    #[derive(diesel::QueryableByName)]
    struct Sealed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        client_secret_enc: String,
    }
    let sealed = diesel::sql_query("SELECT client_secret_enc FROM catalog.tenant_identity_providers")
        .get_result::<Sealed>(&mut tdb.conn())
        .unwrap()
        .client_secret_enc;
    assert!(sealed.starts_with("v1.") && !sealed.contains(secret), "{sealed}");
    let old_key = app.data_dir.join("master.key");
    let keyring = tenant_core::secrets::Keyring::load(&old_key, &[]).unwrap();
    let tenant_id = uuid::Uuid::parse_str(
        call(&app, "GET", "/api/v1/tenants/senat", &token, "").json()["tenant"]["id"].as_str().unwrap(),
    )
    .unwrap();
    let db = tdb.db(1);
    let opened = provisioning::identity_providers::client_secret(&db, &keyring, tenant_id, "franceconnect").unwrap();
    assert_eq!(opened.expose(), secret);

    // Changing other settings keeps the secret; a new provider needs one; bad values name their field.
    let keep = call(
        &app,
        "PUT",
        "/api/v1/tenants/senat/identity-providers/franceconnect",
        &token,
        r#"{"kind":"franceconnect","issuer":"https://fcp-low.integ01.dev-franceconnect.fr/api/v2","client_id":"abc124","label":"FranceConnect"}"#,
    );
    assert_eq!(keep.status, 200, "{}", keep.body);
    assert_eq!(
        provisioning::identity_providers::client_secret(&db, &keyring, tenant_id, "franceconnect").unwrap().expose(),
        secret
    );
    for (key, body, field) in [
        (
            "keycloak",
            r#"{"kind":"oidc","issuer":"https://sso.example.test/realms/x","client_id":"c"}"#,
            "client_secret",
        ),
        (
            "keycloak",
            r#"{"kind":"oidc","issuer":"ftp://sso.example.test","client_id":"c","client_secret":"s"}"#,
            "issuer",
        ),
        (
            "keycloak",
            r#"{"kind":"saml","issuer":"https://sso.example.test","client_id":"c","client_secret":"s"}"#,
            "kind",
        ),
        (
            "keycloak",
            r#"{"kind":"oidc","issuer":"https://sso.example.test","client_id":"c","client_secret":"s","scopes":["email"]}"#,
            "scopes",
        ),
        (
            "Bad Key",
            r#"{"kind":"oidc","issuer":"https://sso.example.test","client_id":"c","client_secret":"s"}"#,
            "key",
        ),
    ] {
        let r = call(
            &app,
            "PUT",
            &format!("/api/v1/tenants/senat/identity-providers/{}", key.replace(' ', "%20")),
            &token,
            body,
        );
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some(field)), "{body}: {}", r.body);
    }
    let audit = call(&app, "GET", "/api/v1/audit?target=senat", &token, "");
    assert!(audit.body.contains("tenant.identity_provider.put") && !audit.body.contains(secret));

    // The tenant's hashing key (identity subjects, anonymous proofs) is sealed too, and
    // must hash the same after rotation.
    let hashed_before = db
        .catalog(|conn| tenant_core::catalog::keys::tenant_key(conn, &keyring, tenant_id))
        .unwrap()
        .hash("identity:franceconnect", "some-subject");
    // Rotation: a new key, the old one listed as previous, then the old one retired.
    let new_key = crate::support::app::temp_dir("keys").join("new.key");
    let out =
        crate::support::tenants::civitas(&tdb.url).args(["secrets", "generate-key"]).arg(&new_key).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = crate::support::tenants::civitas(&tdb.url)
        .env("CIVITAS_MASTER_KEY_FILE", &new_key)
        .env("CIVITAS_PREVIOUS_MASTER_KEY_FILES", &old_key)
        .args(["secrets", "rotate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("2 secret(s) re-sealed"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rotated = tenant_core::secrets::Keyring::load(&new_key, &[]).unwrap();
    let hashed_after = db
        .catalog(|conn| tenant_core::catalog::keys::tenant_key(conn, &rotated, tenant_id))
        .unwrap()
        .hash("identity:franceconnect", "some-subject");
    assert_eq!(hashed_before, hashed_after, "the tenant key survives the master key's rotation");
    assert_eq!(
        provisioning::identity_providers::client_secret(&db, &rotated, tenant_id, "franceconnect").unwrap().expose(),
        secret
    );
    assert!(
        provisioning::identity_providers::client_secret(&db, &keyring, tenant_id, "franceconnect").is_err(),
        "the old key alone no longer opens it"
    );

    assert_eq!(call(&app, "DELETE", "/api/v1/tenants/senat/identity-providers/franceconnect", &token, "").status, 204);
    assert_eq!(
        call(&app, "GET", "/api/v1/tenants/senat/identity-providers", &token, "").json()["identity_providers"],
        serde_json::json!([])
    );
}

#[test]
fn a_deleted_tenant_goes_offline_can_be_restored_during_retention_and_is_purged_after() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let token = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));
    for slug in ["lille", "rouen"] {
        let body = format!(
            r#"{{"slug":"{slug}","name":"{slug}","hosts":["{slug}.test"],"logo_base64":"{}"}}"#,
            data_encoding::BASE64.encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
        );
        let created = call(&app, "POST", "/api/v1/tenants", &token, &body);
        assert_eq!(wait_for_job(&app, &token, created.header("location").unwrap())["status"], "succeeded");
    }
    let refused = call(&app, "DELETE", "/api/v1/tenants/lille", &token, "");
    assert_eq!(
        (refused.status, refused.json()["error"]["field"].as_str()),
        (422, Some("export_waived")),
        "{}",
        refused.body
    );
    let bad = call(&app, "DELETE", "/api/v1/tenants/lille", &token, r#"{"export_waived":true,"retention_days":365}"#);
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("retention_days")));

    // With retention: offline at once, recoverable, and the purge then does nothing.
    let deleted =
        call(&app, "DELETE", "/api/v1/tenants/rouen", &token, r#"{"export_waived":true,"retention_days":30}"#);
    assert_eq!(deleted.status, 202, "{}", deleted.body);
    app.reload();
    assert_eq!(get(app.http, "rouen.test", "/").status, 503);
    assert_eq!(call(&app, "GET", "/api/v1/tenants/rouen", &token, "").json()["tenant"]["status"], "deleting");
    assert_eq!(call(&app, "POST", "/api/v1/tenants/rouen/resume", &token, "").status, 200);
    let mut conn = tdb.conn();
    diesel::sql_query("UPDATE catalog.jobs SET run_after = now() WHERE kind = 'purge_tenant'")
        .execute(&mut conn)
        .unwrap();
    let job = wait_for_job(&app, &token, deleted.header("location").unwrap());
    assert_eq!(job["result"]["purged"], false, "{job}");
    app.reload();
    assert_eq!(get(app.http, "rouen.test", "/").status, 200, "restored during retention");

    // Without retention: purged: schema, catalog rows, files; its host is free again.
    let lille_id =
        call(&app, "GET", "/api/v1/tenants/lille", &token, "").json()["tenant"]["id"].as_str().unwrap().to_owned();
    let logo_dir = app.data_dir.join("blobs").join(&lille_id);
    assert!(logo_dir.exists());
    let deleted = call(&app, "DELETE", "/api/v1/tenants/lille", &token, r#"{"export_waived":true,"retention_days":0}"#);
    let job = wait_for_job(&app, &token, deleted.header("location").unwrap());
    assert_eq!((job["status"].as_str(), job["result"]["purged"].as_bool()), (Some("succeeded"), Some(true)), "{job}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 't_lille'"), 0);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 'lille'"), 0);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.tenant_hosts WHERE host = 'lille.test'"), 0);
    assert!(!logo_dir.exists(), "its files are removed");
    app.reload();
    assert_eq!(get(app.http, "lille.test", "/").status, 404);
    let actions: Vec<String> = call(&app, "GET", "/api/v1/audit?target=lille", &token, "").json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, vec!["tenant.purge", "tenant.delete", "tenant.create"], "the audit log keeps the fact");
    let again =
        call(&app, "POST", "/api/v1/tenants", &token, r#"{"slug":"lille2","name":"Lille","hosts":["lille.test"]}"#);
    assert_eq!(again.status, 202, "the host is free again: {}", again.body);
}

#[test]
fn an_export_is_downloadable_and_imports_under_a_new_slug_with_the_same_rows_and_files() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let token = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><circle r='3'/></svg>";
    let body = format!(
        r#"{{"slug":"orig","name":"Ville d'origine","hosts":["orig.test"],"modules":["pages","blog"],"locales":["fr","en"],"logo_base64":"{}"}}"#,
        data_encoding::BASE64.encode(svg)
    );
    let created = call(&app, "POST", "/api/v1/tenants", &token, &body);
    assert_eq!(wait_for_job(&app, &token, created.header("location").unwrap())["status"], "succeeded");
    let db = tdb.db(1);
    let orig = db
        .catalog(|c| tenant_core::catalog::load_one(c, &tenant_core::names::TenantSlug::parse("orig").unwrap()))
        .unwrap();
    crate::support::tenants::add_page(
        &db,
        &orig,
        "budget",
        "Budget participatif",
        "Vingt projets ; « guillemets » et\ttabulations\net retours.",
    );
    db.tenant(&orig, |c| tenant_core::content::blog::publish(c, tenant_core::names::Locale::Fr, "Résultats", "Texte"))
        .unwrap();
    // Proposals (one answered, one hidden): their kept counts are not exported but
    // rebuilt by the triggers as the proposals load back.
    db.tenant(&orig, |c| {
        diesel::RunQueryDsl::execute(
            diesel::sql_query(
                "WITH s AS (INSERT INTO spaces (kind, slug, title) VALUES ('process', 'budget', '{\"fr\": \"Budget\"}') RETURNING id),
                      k AS (INSERT INTO components (space_id, module, name) SELECT id, 'proposals', '{\"fr\": \"Idées\"}' FROM s RETURNING id)
                 INSERT INTO proposals (component_id, title, body, answer_state, hidden_at)
                 SELECT k.id, t, 'Texte', a, h FROM k,
                   (VALUES ('Un', NULL, NULL::timestamptz), ('Deux', 'accepted', NULL), ('Trois', NULL, now())) AS v (t, a, h)",
            ),
            c,
        )?;
        Ok(())
    })
    .unwrap();

    let started = call(&app, "POST", "/api/v1/tenants/orig/exports", &token, "");
    assert_eq!(started.status, 202, "{}", started.body);
    let job = wait_for_job(&app, &token, started.header("location").unwrap());
    assert_eq!(job["status"], "succeeded", "{job}");
    let listed = call(&app, "GET", "/api/v1/tenants/orig/exports", &token, "").json();
    let export_id = listed["exports"][0]["id"].as_str().unwrap().to_owned();
    let c = format!("Bearer {token}");
    let download = send(
        app.prov,
        "GET",
        &format!("/api/v1/tenants/orig/exports/{export_id}/download"),
        &[("Authorization", &c)],
        b"",
    );
    assert_eq!(download.status, 200);
    // The raw client reads the body as text; fetch the bytes from the blob store for the archive itself.
    let archive = provisioning::export_tenant::read_export(
        &db,
        &tenant_core::blob::LocalBlobStore::new(app.data_dir.join("blobs")),
        &tenant_core::names::TenantSlug::parse("orig").unwrap(),
        uuid::Uuid::parse_str(&export_id).unwrap(),
    )
    .unwrap();
    assert_eq!(listed["exports"][0]["size_bytes"].as_i64(), Some(archive.len() as i64));
    let provisioning::export_tenant::Archive { manifest, data, files } =
        provisioning::export_tenant::open_archive(&archive).unwrap();
    assert_eq!(manifest.slug, "orig");
    assert!(String::from_utf8_lossy(&data).contains("COPY t_orig.pages"));
    assert_eq!(files.len(), 1, "the logo: {:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>());

    let file = crate::support::app::temp_dir("export").join("orig.tar.gz");
    std::fs::write(&file, &archive).unwrap();
    let out = crate::support::tenants::civitas(&tdb.url)
        .env("CIVITAS_DATA_DIR", &app.data_dir)
        .args(["tenant", "import"])
        .arg(&file)
        .args(["--slug", "copy", "--host", "copy.test"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    app.reload();
    let page = get(app.http, "copy.test", "/pages/budget");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Vingt projets"));
    assert!(get(app.http, "copy.test", "/blog").body.contains("Résultats"));
    assert_eq!(get(app.http, "copy.test", "/branding/logo").body.as_bytes(), svg);
    let mut conn = tdb.conn();
    #[derive(diesel::QueryableByName)]
    struct Sum {
        #[diesel(sql_type = diesel::sql_types::Text)]
        s: String,
    }
    let checksum = |conn: &mut diesel::PgConnection, schema: &str, table: &str| {
        diesel::sql_query(format!(
            "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS s FROM {schema}.{table} t"
        ))
        .get_result::<Sum>(conn)
        .unwrap()
        .s
    };
    for table in ["pages", "blog_posts", "proposals", "proposal_counts"] {
        assert_eq!(checksum(&mut conn, "t_orig", table), checksum(&mut conn, "t_copy", table), "{table} rows differ");
    }
    // With an export, deleting needs no waiver.
    let del = call(&app, "DELETE", "/api/v1/tenants/orig", &token, r#"{"retention_days":7}"#);
    assert_eq!(del.status, 202, "{}", del.body);

    // A damaged archive is refused and leaves nothing.
    let mut broken = archive.clone();
    let mid = broken.len() / 2;
    broken[mid] ^= 0xff;
    std::fs::write(&file, &broken).unwrap();
    let out = crate::support::tenants::civitas(&tdb.url)
        .env("CIVITAS_DATA_DIR", &app.data_dir)
        .args(["tenant", "import"])
        .arg(&file)
        .args(["--slug", "broken", "--host", "broken.test"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("archive"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 'broken'"), 0);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 't_broken'"), 0);
}
