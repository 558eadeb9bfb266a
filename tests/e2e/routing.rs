//! Host routing: normalisation, unknown and malformed hosts, redirects, suspension,
//! forwarded headers, static files, modules and languages.
use tenant_core::names::TenantSlug;
use tenant_core::TenantStatus;

use crate::support::http::{get, get_with, raw};
use crate::support::{tenants, TestApp, TestConfig, TestDb};

fn two_tenants() -> (TestDb, TestApp) {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "alpha", &["alpha.test", "www.alpha.test"], &["pages"]);
    tenants::create(&db, "beta", &["beta.test"], &["blog"]);
    let app = TestApp::start(
        &tdb,
        TestConfig { trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..TestConfig::default() },
    );
    (tdb, app)
}

#[test]
fn host_is_normalised_for_case_port_and_trailing_dot() {
    let (_db, app) = two_tenants();
    for host in ["alpha.test", "ALPHA.Test", "alpha.test:8080", "alpha.test.", "Alpha.Test.:443"] {
        let r = get(app.http, host, "/");
        assert_eq!(r.status, 200, "{host}");
        assert!(r.body.contains("Tenant alpha"), "{host} should reach alpha");
        assert!(!r.body.contains("Tenant beta"));
    }
}

#[test]
fn unknown_host_gets_a_neutral_404_that_names_no_tenant() {
    let (_db, app) = two_tenants();
    let r = get_with(app.http, "gamma.test", "/", &[("Accept-Language", "en")]);
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Page not found"), "{}", r.body);
    for leak in ["alpha", "beta", "Tenant"] {
        assert!(!r.body.contains(leak), "404 body leaks {leak:?}");
    }
    let fr = get(app.http, "gamma.test", "/");
    assert!(fr.body.contains("Page introuvable"), "French by default");
}

#[test]
fn missing_or_malformed_host_is_a_400() {
    let (_db, app) = two_tenants();
    let no_host = raw(app.http, "GET / HTTP/1.0");
    assert_eq!(no_host.status, 400, "HTTP/1.0 without Host");
    let hostile = [
        "alpha.test:abc",
        "alpha.test:80:80",
        "user@alpha.test",
        "alpha..test",
        "-alpha.test",
        "alpha_test",
        "127.0.0.1",
        "[::1]:80",
        "alpha.test/../beta.test",
        "alpha.test\\beta.test",
        "%61lpha.test",
        "*.test",
    ];
    for host in hostile {
        let r = get(app.http, host, "/");
        assert_eq!(r.status, 400, "{host:?} should be refused");
        assert!(!r.body.contains("Tenant"), "{host:?} leaked a tenant");
    }
    let long = format!("{}.test", "a".repeat(300));
    assert_eq!(get(app.http, &long, "/").status, 400);
    let two = raw(app.http, "GET / HTTP/1.1\r\nHost: alpha.test\r\nHost: beta.test");
    assert_eq!(two.status, 400, "two Host headers");
}

#[test]
fn forwarded_host_is_believed_only_from_a_trusted_proxy() {
    let (tdb, trusted) = two_tenants();
    // The test client connects from 127.0.0.1, which `trusted` lists.
    let r = get_with(trusted.http, "alpha.test", "/", &[("X-Forwarded-Host", "beta.test")]);
    assert!(r.body.contains("Tenant beta"), "trusted proxy's header is used");
    drop(trusted);
    let untrusted = TestApp::start(&tdb, TestConfig::default());
    let r = get_with(
        untrusted.http,
        "alpha.test",
        "/",
        &[("X-Forwarded-Host", "beta.test"), ("Forwarded", "host=beta.test")],
    );
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Tenant alpha"), "a client's forwarded header is ignored");
    assert!(!r.body.contains("Tenant beta"));
}

#[test]
fn secondary_host_redirects_permanently_to_the_primary_keeping_path_and_query() {
    let (_db, app) = two_tenants();
    let r = get(app.http, "www.alpha.test:8080", "/pages/accessibilite?x=1&y=%C3%A9");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("http://alpha.test:8080/pages/accessibilite?x=1&y=%C3%A9"));
    let r = get_with(
        app.http,
        "www.alpha.test",
        "/",
        &[("X-Forwarded-Host", "www.alpha.test"), ("X-Forwarded-Proto", "https")],
    );
    assert_eq!(r.header("location"), Some("https://alpha.test/"), "scheme from the trusted proxy");
}

#[test]
fn suspended_tenant_answers_503_with_a_maintenance_page_and_others_keep_serving() {
    let (tdb, app) = two_tenants();
    provisioning::set_tenant_status(
        &tdb.db(1),
        &TenantSlug::parse("alpha").unwrap(),
        TenantStatus::Suspended,
        &provisioning::Actor::system(),
    )
    .unwrap();
    app.reload();
    let r = get(app.http, "alpha.test", "/");
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some());
    assert!(r.body.contains("Site en maintenance"), "{}", r.body);
    assert_eq!(get(app.http, "alpha.test", "/pages/accessibilite").status, 503);
    assert_eq!(get(app.http, "beta.test", "/").status, 200);
    provisioning::set_tenant_status(
        &tdb.db(1),
        &TenantSlug::parse("alpha").unwrap(),
        TenantStatus::Active,
        &provisioning::Actor::system(),
    )
    .unwrap();
    app.reload();
    assert_eq!(get(app.http, "alpha.test", "/").status, 200);
}

#[test]
fn static_files_resist_path_traversal() {
    let (_db, app) = two_tenants();
    let ok = get(app.http, "alpha.test", "/static/css/site.css");
    assert_eq!(ok.status, 200);
    assert!(ok.header("content-type").unwrap_or("").starts_with("text/css"));
    for path in [
        "/static/../Cargo.toml",
        "/static/../../etc/passwd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/css/../../templates/base.html",
        "/static/css/..%2f..%2ftemplates%2fbase.html",
        "/static/..%5c..%5cetc%5cpasswd",
        "/static//etc/passwd",
        "/static/css/site.css%00.txt",
        "/static/",
    ] {
        let r = get(app.http, "alpha.test", path);
        assert!(r.status == 404 || r.status == 400, "{path} answered {}", r.status);
        assert!(
            !r.body.contains("root:") && !r.body.contains("[workspace]") && !r.body.contains("{% block"),
            "{path} leaked a file"
        );
    }
}

#[test]
fn a_module_switched_off_answers_404_on_that_tenant_only() {
    let (_db, app) = two_tenants();
    assert_eq!(get(app.http, "alpha.test", "/blog").status, 404);
    assert_eq!(get(app.http, "beta.test", "/blog").status, 200);
    assert_eq!(get(app.http, "beta.test", "/pages").status, 404);
    assert_eq!(get(app.http, "alpha.test", "/pages").status, 200);
    let home = get(app.http, "alpha.test", "/").body;
    assert!(home.contains("href=\"&#x2F;pages\""), "navigation lists the pages module");
    assert!(!home.contains("href=\"&#x2F;blog\""), "navigation hides the switched-off blog");
}

#[test]
fn language_follows_accept_language_then_the_switcher_cookie() {
    let (_db, app) = two_tenants();
    let fr = get(app.http, "alpha.test", "/");
    assert!(fr.body.contains("<html lang=\"fr\">") && fr.body.contains("Aller au contenu"));
    let en = get_with(app.http, "alpha.test", "/", &[("Accept-Language", "en-GB,en;q=0.9")]);
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Skip to content"));
    let switch = get(app.http, "alpha.test", "/locale/en?next=/pages");
    assert_eq!(switch.status, 303);
    assert_eq!(switch.header("location"), Some("/pages"));
    let cookie = switch.header("set-cookie").unwrap_or_default().to_owned();
    assert!(
        cookie.contains("civitas_locale=en")
            && cookie.contains("HttpOnly")
            && !cookie.to_lowercase().contains("domain=")
    );
    let with_cookie =
        get_with(app.http, "alpha.test", "/", &[("Cookie", "civitas_locale=en"), ("Accept-Language", "fr")]);
    assert!(with_cookie.body.contains("<html lang=\"en\">"), "the visitor's choice wins");
    let evil = get(app.http, "alpha.test", "/locale/en?next=//evil.example/x");
    assert_eq!(evil.header("location"), Some("/"), "no open redirect");
    assert_eq!(get(app.http, "alpha.test", "/locale/de").status, 404);
}

#[test]
fn pages_carry_security_headers_and_escape_content() {
    let (tdb, app) = two_tenants();
    let db = tdb.db(1);
    let alpha = db.catalog(|c| tenant_core::catalog::load_one(c, &TenantSlug::parse("alpha").unwrap())).unwrap();
    tenants::add_page(&db, &alpha, "xss", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>");
    let r = get(app.http, "alpha.test", "/pages/xss");
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("<script>alert(1)</script>") && !r.body.contains("<img src=x"));
    assert!(r.body.contains("&lt;script&gt;"));
    assert!(r.header("content-security-policy").unwrap_or("").contains("default-src 'self'"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.header("x-request-id").is_some());
}
