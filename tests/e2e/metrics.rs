//! The ops listener: metrics, health and readiness, never on tenant hosts.
use crate::support::http::get;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

#[test]
fn metrics_count_requests_per_tenant_and_status_class() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "metered", &["metered.test"], &[]);
    let app = TestApp::start(&tdb, TestConfig::default());
    for _ in 0..3 {
        assert_eq!(get(app.http, "metered.test", "/").status, 200);
    }
    assert_eq!(get(app.http, "metered.test", "/missing").status, 404);
    assert_eq!(get(app.http, "nobody.test", "/").status, 404);
    let m = get(app.ops, "127.0.0.1", "/metrics");
    assert_eq!(m.status, 200);
    let body = m.body;
    assert!(body.contains(r#"civitas_http_requests_total{status_class="2xx",tenant="metered"} 3"#), "{body}");
    assert!(body.contains(r#"civitas_http_requests_total{status_class="4xx",tenant="metered"} 1"#));
    assert!(body.contains(r#"civitas_http_requests_total{status_class="4xx",tenant="_none"} 1"#));
    assert!(body.contains("civitas_http_request_duration_seconds_bucket"));
    assert!(body.contains(r#"civitas_tenants{status="active"} 1"#));
    // One series per database cluster; the catalog's is `main`.
    assert!(
        body.contains(r#"civitas_db_pool_max_connections{cluster="main"} 2"#)
            || body.contains(r#"civitas_db_pool_max_connections{cluster="main"} 4"#),
        "{body}"
    );
    assert!(body.contains(r#"civitas_db_pool_connections{cluster="main",state="in_use"}"#));
    assert!(body.contains(r#"civitas_db_pool_waiting{cluster="main"} 0"#));
    // Every name the deploy/ dashboards use is exported (the certificates' expiry has
    // a line per served certificate only: tests/e2e/tls.rs checks it over TLS; the
    // backups' a line per backed-up tenant only: tests/e2e/backups.rs checks it).
    for name in
        std::fs::read_to_string(crate::support::app::workspace().join("deploy/metric-names.txt")).unwrap().lines()
    {
        let name = name.trim();
        let per_item =
            ["civitas_tls_certificate_expiry_timestamp_seconds", "civitas_backup_last_success_timestamp_seconds"];
        if !name.is_empty() && !name.starts_with('#') && !per_item.contains(&name) {
            assert!(body.contains(name), "{name} missing from /metrics");
        }
    }
}

#[test]
fn health_and_readiness_answer_on_ops_and_ops_paths_are_not_on_tenant_hosts() {
    let tdb = TestDb::new();
    tenants::create(&tdb.db(1), "shy", &["shy.test"], &[]);
    let app = TestApp::start(&tdb, TestConfig::default());
    assert_eq!(get(app.ops, "127.0.0.1", "/healthz").status, 200);
    let ready = get(app.ops, "127.0.0.1", "/readyz");
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(ready.body.contains("\"database\":\"ok\""));
    for path in ["/metrics", "/healthz", "/readyz"] {
        assert_eq!(get(app.http, "shy.test", path).status, 404, "{path} must not be served on a tenant host");
    }
}
