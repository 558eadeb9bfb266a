//! PostgreSQL going away and coming back: readiness says so, pages answer 503 (no
//! crash), and service returns by itself.
use std::time::{Duration, Instant};

use tenant_core::db::embedded::EmbeddedPostgres;
use tenant_core::{DatabaseUrl, Db, PoolOptions};

use crate::support::app::temp_dir;
use crate::support::http::get;
use crate::support::{tenants, TestApp, TestConfig};

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not happen within {limit:?}");
}

#[test]
fn database_down_gives_503_and_service_returns_when_it_is_back() {
    let dir = temp_dir("pg-down");
    let mut pg = EmbeddedPostgres::start(&dir).expect("private cluster");
    let url = pg.url();
    {
        let conn = diesel::Connection::establish(&url).expect("connect");
        tenant_core::migrations::run_catalog(conn).expect("catalog");
    }
    let db = Db::new(DatabaseUrl::new(url.clone()), &PoolOptions::default());
    tenants::create(&db, "resilient", &["resilient.test"], &["pages"]);
    let app = TestApp::start_url(&url, TestConfig { page_cache_ms: 0, ..TestConfig::default() });
    assert_eq!(get(app.http, "resilient.test", "/").status, 200);
    assert_eq!(get(app.ops, "127.0.0.1", "/readyz").status, 200);

    pg.stop();
    drop(pg);
    wait_for("readyz turning 503", Duration::from_secs(10), || get(app.ops, "127.0.0.1", "/readyz").status == 503);
    for path in ["/", "/pages", "/pages/accessibilite"] {
        let r = get(app.http, "resilient.test", path);
        assert_eq!(r.status, 503, "{path} while the database is down: {}", r.body);
        assert!(r.body.contains("Service momentanément indisponible"), "{}", r.body);
        assert!(r.header("retry-after").is_some());
    }
    // The process is still alive and answering.
    assert_eq!(get(app.ops, "127.0.0.1", "/healthz").status, 200);

    let _pg = EmbeddedPostgres::start(&dir).expect("restart the cluster");
    let took = wait_for("service returning", Duration::from_secs(20), || {
        get(app.ops, "127.0.0.1", "/readyz").status == 200 && get(app.http, "resilient.test", "/").status == 200
    });
    eprintln!("service back {took:?} after the database");
    assert_eq!(get(app.http, "resilient.test", "/pages/accessibilite").status, 200);
}
