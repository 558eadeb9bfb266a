//! Tenant isolation: rows written through one tenant never show through another's
//! host, including under concurrency on a small pool.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rand::Rng;

use crate::support::http::get;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

#[test]
fn two_thousand_requests_over_fifty_tenants_on_four_connections_see_only_their_own_rows() {
    let tdb = TestDb::new();
    let db = tdb.db(4);
    let n = 50;
    for i in 0..n {
        let t = tenants::create(&db, &format!("iso{i:02}"), &[&format!("iso{i:02}.test")], &["pages"]);
        tenants::add_page(&db, &t, "marker", &format!("marker-of-iso{i:02}"), &format!("secret body of iso{i:02}"));
    }
    // No page cache: every request goes to the database through the pool of 4.
    let app = TestApp::start(&tdb, TestConfig { pool_size: 4, page_cache_ms: 0, ..TestConfig::default() });
    let addr = app.http;
    let checked = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let checked = Arc::clone(&checked);
            std::thread::spawn(move || {
                let mut rng = rand::rng();
                for _ in 0..125 {
                    let i: usize = rng.random_range(0..n);
                    let me = format!("iso{i:02}");
                    let path = if rng.random_bool(0.5) { "/" } else { "/pages/marker" };
                    let r = get(addr, &format!("{me}.test"), path);
                    assert_eq!(r.status, 200, "{me}{path}");
                    assert!(r.body.contains(&format!("marker-of-{me}")), "{me}{path} misses its own row");
                    for other in 0..n {
                        if other != i {
                            assert!(!r.body.contains(&format!("of-iso{other:02}")), "{me} saw iso{other:02}'s row");
                        }
                    }
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no assertion failed in a worker thread");
    }
    assert_eq!(checked.load(Ordering::Relaxed), 2000);
}

#[test]
fn a_page_of_one_tenant_is_not_found_through_another_host() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let a = tenants::create(&db, "owner", &["owner.test"], &["pages"]);
    tenants::create(&db, "other", &["other.test"], &["pages"]);
    tenants::add_page(&db, &a, "private-plan", "Owner's plan", "only for owner");
    let app = TestApp::start(&tdb, TestConfig::default());
    assert_eq!(get(app.http, "owner.test", "/pages/private-plan").status, 200);
    let r = get(app.http, "other.test", "/pages/private-plan");
    assert_eq!(r.status, 404);
    assert!(!r.body.contains("only for owner"));
}

#[test]
fn a_connection_returned_to_the_pool_keeps_no_tenant_search_path() {
    use diesel::RunQueryDsl;
    let tdb = TestDb::new();
    let db = tdb.db(1);
    let t = tenants::create(&db, "scoped", &["scoped.test"], &[]);
    db.tenant(&t, |conn| {
        #[derive(diesel::QueryableByName)]
        struct P {
            #[diesel(sql_type = diesel::sql_types::Text)]
            p: String,
        }
        let inside: P = diesel::sql_query("SELECT current_setting('search_path') AS p").get_result(conn)?;
        assert_eq!(inside.p, "t_scoped");
        Ok(())
    })
    .unwrap();
    // The same (only) pooled connection, outside any tenant transaction: tenant tables
    // must not resolve.
    let leaked = db.catalog(|conn| {
        Ok(diesel::sql_query("SET LOCAL search_path TO DEFAULT")
            .execute(conn)
            .and_then(|_| diesel::sql_query("SELECT 1 FROM pages").execute(conn)))
    });
    assert!(matches!(leaked, Ok(Err(_))), "pages resolved outside a tenant transaction");
}

#[test]
fn a_statement_kept_prepared_reads_the_current_tenants_rows_after_a_switch() {
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    use tenant_core::db::prepared::prepared;
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = Text)]
        title: String,
    }
    let tdb = TestDb::new();
    let db = tdb.db(1); // one connection: the same cached statement serves both tenants
    let a = tenants::create(&db, "prep_a", &["prep-a.test"], &["pages"]);
    let b = tenants::create(&db, "prep_b", &["prep-b.test"], &["pages"]);
    tenants::add_page(&db, &a, "same", "Title of A", "a");
    tenants::add_page(&db, &b, "same", "Title of B", "b");
    let title = |t| {
        db.tenant(t, |conn| {
            let rows: Vec<T> = prepared("SELECT title FROM pages WHERE slug = $1 AND $1 <> ''")
                .bind::<Text, _>("same".to_owned())
                .load(conn)?;
            Ok(rows.into_iter().map(|r| r.title).collect::<Vec<_>>())
        })
        .unwrap()
    };
    for _ in 0..8 {
        // Past PostgreSQL's five custom plans, when a generic plan may take over.
        assert_eq!(title(&a), ["Title of A"]);
        assert_eq!(title(&b), ["Title of B"]);
    }
    // The statement was kept: the connection holds it prepared.
    let kept: i64 = db
        .tenant(&a, |conn| {
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let n: N = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'SELECT title FROM pages%'",
            )
            .get_result(conn)?;
            Ok(n.n)
        })
        .unwrap();
    assert_eq!(kept, 1);
}

/// The connection serving `tenant` now: its backend's process id.
fn backend_of(db: &tenant_core::Db, tenant: &tenant_core::Tenant) -> i32 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    db.tenant(tenant, |conn| Ok(diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result::<Pid>(conn)?.pid))
        .unwrap()
}

/// `n` tenants, and a pool of one connection that serves at most `bound` of them.
fn tenants_and_one_connection(
    tdb: &TestDb,
    prefix: &str,
    n: usize,
    bound: usize,
) -> (Vec<tenant_core::Tenant>, tenant_core::Db) {
    let setup = tdb.db(1);
    let all = (0..n)
        .map(|i| tenants::create(&setup, &format!("{prefix}{i}"), &[&format!("{prefix}{i}.test")], &[]))
        .collect();
    let options = tenant_core::PoolOptions { size: 1, max_tenants_per_connection: bound, ..Default::default() };
    (all, tenant_core::Db::new(tenant_core::DatabaseUrl::new(tdb.url.clone()), &options))
}

#[test]
fn a_pooled_connection_is_replaced_once_it_has_served_more_tenants_than_its_bound() {
    let tdb = TestDb::new();
    let (all, db) = tenants_and_one_connection(&tdb, "bound", 4, 3);
    // Three tenants, again and again: the one connection stays.
    let first = backend_of(&db, &all[0]);
    for _ in 0..3 {
        for tenant in &all[..3] {
            assert_eq!(backend_of(&db, tenant), first, "replaced while within its bound");
        }
    }
    // A fourth tenant passes the bound: that transaction still runs on it, and the
    // connection is closed when it comes back, so the next one is a new backend.
    assert_eq!(backend_of(&db, &all[3]), first);
    let second = backend_of(&db, &all[0]);
    assert_ne!(second, first, "still the same backend after serving four tenants");
    assert_eq!(backend_of(&db, &all[1]), second);
}

#[test]
fn a_connection_of_its_own_runs_schema_qualified_statements_and_is_replaced_past_its_bound() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Path {
        #[diesel(sql_type = diesel::sql_types::Text)]
        path: String,
    }
    let tdb = TestDb::new();
    let (all, db) = tenants_and_one_connection(&tdb, "own", 3, 2);
    let mut own = db.own_connection(&tenant_core::names::ClusterName::main()).unwrap();
    // Only the catalog is on its search path: a tenant's table must be named with its schema.
    let path = own
        .tenant_statement(&all[0], |conn, _| {
            Ok(diesel::sql_query("SELECT current_setting('search_path') AS path").get_result::<Path>(conn)?.path)
        })
        .unwrap();
    assert_eq!(path, "catalog");
    // Its statements keep their generic plans (see `Db::own_connection`).
    let mode = own
        .tenant_statement(&all[0], |conn, _| {
            Ok(diesel::sql_query("SELECT current_setting('plan_cache_mode') AS path").get_result::<Path>(conn)?.path)
        })
        .unwrap();
    assert_eq!(mode, "force_generic_plan");
    let unqualified =
        own.tenant_statement(&all[0], |conn, _| Ok(diesel::sql_query("SELECT 1 FROM pages").execute(conn)?));
    assert!(unqualified.is_err(), "a tenant table resolved without its schema");
    let qualified = own.tenants_transaction(&[&all[0], &all[1]], |conn| {
        let mut n = 0;
        for t in [&all[0], &all[1]] {
            n += diesel::sql_query(format!("SELECT 1 FROM {}.pages", t.schema.quoted())).execute(conn)?;
        }
        Ok(n)
    });
    assert!(qualified.is_ok(), "{qualified:?}");
    assert!(own.usable(), "two tenants are within its bound of two");
    own.tenant_statement(&all[2], |_, _| Ok(())).unwrap();
    assert!(!own.usable(), "a third tenant passed the bound and it is still usable");
}
