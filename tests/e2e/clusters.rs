//! Tenants across two PostgreSQL clusters: placement, serving, moving, and a move
//! that fails. The catalog lives on the first test cluster; the second test cluster
//! (another server, its own data folder and socket) is registered as `pg2`.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::{PgConnection, RunQueryDsl};
use tenant_core::names::TenantSlug;
use tenant_core::secrets::Keyring;
use tenant_core::{catalog, Db};

use crate::support::app::temp_dir;
use crate::support::cluster::SecondDb;
use crate::support::http::{get, raw};
use crate::support::sql::count;
use crate::support::tenants::{self, serve_process_with, Served};
use crate::support::TestDb;

/// A catalog on the first cluster, an empty database on the second, and one data
/// folder (so every `civitas` run shares the master key that seals cluster URLs).
struct Two {
    tdb: TestDb,
    second: SecondDb,
    data: PathBuf,
}

impl Two {
    fn new() -> Self {
        Self { tdb: TestDb::new(), second: SecondDb::new(), data: temp_dir("clusters") }
    }

    fn civitas(&self, args: &[&str]) -> (bool, String, String) {
        let out = tenants::civitas(&self.tdb.url).env("CIVITAS_DATA_DIR", &self.data).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.civitas(args);
        assert!(ok, "civitas {args:?} failed: {err}");
        out
    }

    /// Registers the second database as cluster `pg2`, its URL carrying a password
    /// (the test servers trust local connections, so it is only carried along).
    fn add_pg2(&self, capacity: &str) {
        let url = with_password(&self.second.url, "s3cret-pw");
        self.ok(&["cluster", "add", "pg2", "--url", &url, "--capacity", capacity]);
    }

    fn create(&self, slug: &str, cluster: Option<&str>) -> serde_json::Value {
        let host = format!("{slug}.test");
        let mut args = vec!["tenant", "create", "--slug", slug, "--name", slug, "--host", &host, "--module", "pages"];
        if let Some(c) = cluster {
            args.extend(["--cluster", c]);
        }
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    /// The product's own pools, with the keyring the CLI made.
    fn db(&self) -> Db {
        let db = self.tdb.db(2);
        db.set_keyring(Arc::new(Keyring::load(&self.data.join("master.key"), &[]).expect("master key")));
        db
    }

    fn serve(&self, label: &str) -> Serving {
        Serving(serve_process_with(&self.tdb.url, &[("CIVITAS_DATA_DIR", self.data.as_os_str())], &[], label))
    }
}

/// A `civitas serve` process, stopped when the test ends, failed or not.
struct Serving(Served);

impl std::ops::Deref for Serving {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.0
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

fn with_password(url: &str, password: &str) -> String {
    match url.strip_prefix("postgresql:///") {
        Some(rest) => format!("postgresql://postgres:{password}@/{rest}"),
        None => url.to_owned(),
    }
}

fn has_schema(conn: &mut PgConnection, schema: &str) -> bool {
    count(conn, &format!("SELECT count(*) AS n FROM pg_namespace WHERE nspname = '{schema}'")) == 1
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
struct TableSum {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    checksum: String,
}

/// Every table of `schema`: its row count and an md5 of its rows in a fixed order.
fn table_sums(conn: &mut PgConnection, schema: &str) -> Vec<TableSum> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let names: Vec<Name> = diesel::sql_query(format!(
        "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = '{schema}' ORDER BY tablename"
    ))
    .load(conn)
    .unwrap();
    names
        .into_iter()
        .map(|n| {
            diesel::sql_query(format!(
                "SELECT '{0}'::text AS name, count(*) AS rows, \
                 coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS checksum \
                 FROM \"{schema}\".\"{0}\" t",
                n.name
            ))
            .get_result(conn)
            .unwrap()
        })
        .collect()
}

fn post(addr: std::net::SocketAddr, host: &str) -> crate::support::http::Resp {
    raw(addr, &format!("POST /pages HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0"))
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tenant_row(two: &Two, slug: &str) -> tenant_core::Tenant {
    let slug = TenantSlug::parse(slug).unwrap();
    two.tdb.db(1).catalog(|conn| catalog::load_one(conn, &slug)).unwrap()
}

/// Content only this tenant has, written through the product's door to its schema.
fn add_marked_pages(db: &Db, slug: &str, n: usize) {
    let tenant = db.catalog(|conn| catalog::load_one(conn, &TenantSlug::parse(slug).unwrap())).unwrap();
    for i in 0..n {
        tenants::add_page(db, &tenant, &format!("page-{i}"), &format!("Marked page {i} of {slug}"), "Body");
    }
}

#[test]
fn new_tenants_go_to_the_least_loaded_cluster_or_the_named_one_and_are_served_from_it() {
    let two = Two::new();
    // A URL nobody answers is refused before it is registered.
    let (ok, _, err) =
        two.civitas(&["cluster", "add", "nowhere", "--url", "postgresql://127.0.0.1:1/x", "--capacity", "5"]);
    assert!(!ok && err.contains("cannot connect"), "{err}");
    two.ok(&["cluster", "set", "main", "--capacity", "2"]);
    two.add_pg2("10");

    // main 0/2 and pg2 0/10 tie: by name, main. Then main is at 1/2, pg2 at 0/10.
    assert_eq!(two.create("alpha", None)["cluster"], "main");
    assert_eq!(two.create("beta", None)["cluster"], "pg2");
    assert_eq!(two.create("gamma", Some("main"))["cluster"], "main");
    let (ok, _, err) = two.civitas(&[
        "tenant",
        "create",
        "--slug",
        "delta",
        "--name",
        "delta",
        "--host",
        "delta.test",
        "--cluster",
        "main",
    ]);
    assert!(!ok && err.contains("cluster main is full (2 of 2 tenants)"), "{err}");
    let (ok, _, err) = two.civitas(&[
        "tenant",
        "create",
        "--slug",
        "delta",
        "--name",
        "delta",
        "--host",
        "delta.test",
        "--cluster",
        "nope",
    ]);
    assert!(!ok && err.contains("no cluster named nope"), "{err}");

    let list = two.ok(&["cluster", "list"]);
    assert!(list.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["main", "2", "2", "open"]), "{list}");
    assert!(list.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["pg2", "1", "10", "open"]), "{list}");
    // The password is in no output and not in the catalog in clear.
    assert!(!list.contains("s3cret-pw") && !two.ok(&["cluster", "list", "--json"]).contains("s3cret-pw"));
    let mut cat = two.tdb.conn();
    assert_eq!(count(&mut cat, "SELECT count(*) AS n FROM catalog.clusters WHERE url_enc LIKE '%s3cret%'"), 0);
    assert_eq!(count(&mut cat, "SELECT count(*) AS n FROM catalog.clusters WHERE url_enc LIKE 'v1.%'"), 1);

    // beta's schema is on the second cluster only.
    assert!(has_schema(&mut two.second.conn(), "t_beta") && !has_schema(&mut cat, "t_beta"));
    assert!(has_schema(&mut cat, "t_alpha") && !has_schema(&mut two.second.conn(), "t_alpha"));

    // Served from there: a page written on the second cluster shows on beta's site.
    add_marked_pages(&two.db(), "beta", 1);
    let served = two.serve("clusters-serve");
    let page = get(served.http, "beta.test", "/pages/page-0");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Marked page 0 of beta"));
    assert_eq!(get(served.http, "alpha.test", "/pages").status, 200);
    // Each cluster's pool shows in the metrics.
    let metrics = get(served.ops, "127.0.0.1", "/metrics").body;
    assert!(metrics.contains("civitas_db_pool_max_connections{cluster=\"pg2\"}"), "{metrics}");
    assert!(metrics.contains("civitas_db_pool_max_connections{cluster=\"main\"}"), "{metrics}");
    drop(served);

    // A cluster that holds tenants cannot be removed; an empty one can.
    let (ok, _, err) = two.civitas(&["cluster", "remove", "pg2"]);
    assert!(!ok && err.contains("still holds 1 tenant"), "{err}");
    let (ok, _, err) = two.civitas(&["cluster", "remove", "main"]);
    assert!(!ok && err.contains("cannot be removed"), "{err}");
}

#[test]
fn moving_a_tenant_copies_every_row_keeps_serving_its_pages_and_drops_the_old_schema() {
    let two = Two::new();
    two.add_pg2("10");
    two.create("mover", Some("main"));
    let db = two.db();
    add_marked_pages(&db, "mover", 300);
    let before = table_sums(&mut two.tdb.conn(), "t_mover");
    assert!(before.iter().any(|t| t.name == "pages" && t.rows >= 300), "{before:?}");

    let served = two.serve("clusters-move");
    let page_before = get(served.http, "mover.test", "/pages/page-7");
    assert_eq!(page_before.status, 200);
    assert_ne!(post(served.http, "mover.test").status, 503);

    // The move pauses 2 s with the tenant read-only before copying, and 2 s after the
    // switch before dropping the old copy: the window the site is watched in.
    let mover = tenants::civitas(&two.tdb.url)
        .env("CIVITAS_DATA_DIR", &two.data)
        .args(["tenant", "move", "mover", "--cluster", "pg2", "--pause-seconds", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("writes to answer 503", Duration::from_secs(10), || post(served.http, "mover.test").status == 503);
    let refused = post(served.http, "mover.test");
    assert!(refused.body.contains("Maintenance, réessayez dans un instant"), "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
    let during = get(served.http, "mover.test", "/pages/page-7");
    assert_eq!(during.status, 200);
    assert!(during.body.contains("Marked page 7 of mover"));
    let out = mover.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let moved: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(moved["from"], "main");
    assert_eq!(moved["to"], "pg2");
    assert_eq!(moved["old_copy_dropped"], true);

    // Every row, table by table, with the same checksum; the old schema is gone.
    let after = table_sums(&mut two.second.conn(), "t_mover");
    assert_eq!(before, after);
    assert!(!has_schema(&mut two.tdb.conn(), "t_mover"));
    let row = tenant_row(&two, "mover");
    assert_eq!(row.cluster.as_str(), "pg2");
    assert!(!row.read_only);

    // The site serves the same pages, now from pg2, and takes writes again.
    wait_for("writes to be taken again", Duration::from_secs(10), || post(served.http, "mover.test").status != 503);
    let page_after = get(served.http, "mover.test", "/pages/page-7");
    assert_eq!(page_after.status, 200);
    assert!(page_after.body.contains("Marked page 7 of mover"));
    for i in [0, 150, 299] {
        assert_eq!(get(served.http, "mover.test", &format!("/pages/page-{i}")).status, 200);
    }
    // What is written now lands on pg2.
    add_marked_pages(&two.db(), "mover", 301);
    assert_eq!(count(&mut two.second.conn(), "SELECT count(*) AS n FROM t_mover.pages WHERE slug = 'page-300'"), 1);
    drop(served);

    let mut cat = two.tdb.conn();
    let audited = count(
        &mut cat,
        "SELECT count(*) AS n FROM catalog.audit_log WHERE target = 'mover' AND action IN ('tenant.move_started', 'tenant.move')",
    );
    assert_eq!(audited, 2);
    // Moving it back works the same way.
    let out = two.ok(&["tenant", "move", "mover", "--cluster", "main", "--pause-seconds", "0"]);
    assert!(out.contains("\"to\": \"main\""), "{out}");
    assert!(has_schema(&mut two.tdb.conn(), "t_mover") && !has_schema(&mut two.second.conn(), "t_mover"));
}

#[test]
fn a_move_that_fails_leaves_the_tenant_whole_on_its_cluster_and_writable() {
    let two = Two::new();
    two.add_pg2("10");
    two.create("stay", Some("main"));
    add_marked_pages(&two.db(), "stay", 20);
    let before = table_sums(&mut two.tdb.conn(), "t_stay");
    let served = two.serve("clusters-fail");

    // A copy error half way: the target refuses to create tables.
    let mut target = two.second.conn();
    diesel::sql_query(
        "CREATE FUNCTION refuse() RETURNS event_trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$",
    )
    .execute(&mut target)
    .unwrap();
    diesel::sql_query(
        "CREATE EVENT TRIGGER refuse ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION refuse()",
    )
    .execute(&mut target)
    .unwrap();
    let (ok, _, err) = two.civitas(&["tenant", "move", "stay", "--cluster", "pg2", "--pause-seconds", "0.3"]);
    assert!(!ok && err.contains("disk full (test)"), "{err}");
    check_whole_and_writable(&two, &served, &before);
    assert!(!has_schema(&mut two.second.conn(), "t_stay"), "the partial copy is dropped");
    diesel::sql_query("DROP EVENT TRIGGER refuse").execute(&mut target).unwrap();
    drop(target);

    // The target cluster unreachable.
    two.second.admin(&format!("ALTER DATABASE {} ALLOW_CONNECTIONS false", two.second.name));
    two.second.admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
        two.second.name
    ));
    let (ok, _, err) = two.civitas(&["tenant", "move", "stay", "--cluster", "pg2", "--pause-seconds", "0.3"]);
    assert!(!ok && err.contains("cluster pg2"), "{err}");
    check_whole_and_writable(&two, &served, &before);
    let failures = count(
        &mut two.tdb.conn(),
        "SELECT count(*) AS n FROM catalog.audit_log WHERE target = 'stay' AND action = 'tenant.move_failed'",
    );
    assert_eq!(failures, 2);

    // A move that died after its switch left the tenant read-only where it now is:
    // running a move again makes it writable.
    diesel::sql_query("UPDATE catalog.tenants SET read_only = true WHERE slug = 'stay'")
        .execute(&mut two.tdb.conn())
        .unwrap();
    wait_for("writes to answer 503", Duration::from_secs(10), || post(served.http, "stay.test").status == 503);
    let (ok, _, err) = two.civitas(&["tenant", "move", "stay", "--cluster", "main"]);
    assert!(!ok && err.contains("already on cluster main"), "{err}");
    check_whole_and_writable(&two, &served, &before);
    drop(served);
}

fn check_whole_and_writable(two: &Two, served: &Serving, before: &[TableSum]) {
    let row = tenant_row(two, "stay");
    assert_eq!(row.cluster.as_str(), "main");
    assert!(!row.read_only);
    assert_eq!(table_sums(&mut two.tdb.conn(), "t_stay"), before);
    wait_for("writes to be taken again", Duration::from_secs(10), || post(served.http, "stay.test").status != 503);
    assert_eq!(get(served.http, "stay.test", "/pages/page-3").status, 200);
}

#[test]
fn the_staff_api_places_tenants_on_a_named_cluster_upgrades_exports_and_purges_them_there_and_moves_them() {
    use crate::provisioning_api::{call, token, wait_for_job};
    use crate::support::{TestApp, TestConfig};
    use provisioning::auth::Scopes;

    let tdb = TestDb::new();
    let second = SecondDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let db = tdb.db(2);
    provisioning::clusters::add(
        &db,
        &app.state.identity.keyring,
        &tenant_core::names::ClusterName::parse("pg2").unwrap(),
        &tenant_core::DatabaseUrl::new(second.url.clone()),
        5,
        &provisioning::Actor::system(),
    )
    .unwrap();
    let write = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));

    let bad = call(
        &app,
        "POST",
        "/api/v1/tenants",
        &write,
        r#"{"slug":"api2","name":"A","hosts":["api2.test"],"cluster":"Pg 2"}"#,
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.json()["error"]["field"], "cluster");
    let unknown = call(
        &app,
        "POST",
        "/api/v1/tenants",
        &write,
        r#"{"slug":"api2","name":"A","hosts":["api2.test"],"cluster":"pg9"}"#,
    );
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(unknown.json()["error"]["field"], "cluster");

    let created = call(
        &app,
        "POST",
        "/api/v1/tenants",
        &write,
        r#"{"slug":"api2","name":"A","hosts":["api2.test"],"modules":["pages"],"cluster":"pg2"}"#,
    );
    assert_eq!(created.status, 202, "{}", created.body);
    let job = wait_for_job(&app, &write, created.header("location").unwrap());
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["cluster"], "pg2");
    assert!(has_schema(&mut second.conn(), "t_api2") && !has_schema(&mut tdb.conn(), "t_api2"));
    app.reload();
    assert_eq!(get(app.http, "api2.test", "/pages").status, 200);

    // Upgrading every tenant reaches the schema on pg2.
    let upgrade = call(&app, "POST", "/api/v1/upgrades", &write, r#"{"concurrency":2}"#);
    assert_eq!(upgrade.status, 202, "{}", upgrade.body);
    let job = wait_for_job(&app, &write, upgrade.header("location").unwrap());
    assert_eq!(job["status"], "succeeded", "{job}");

    // An export reads the schema where it lives.
    let started = call(&app, "POST", "/api/v1/tenants/api2/exports", &write, "");
    assert_eq!(started.status, 202, "{}", started.body);
    let job = wait_for_job(&app, &write, started.header("location").unwrap());
    assert_eq!(job["status"], "succeeded", "{job}");

    let moved = call(&app, "POST", "/api/v1/tenants/api2/move", &write, r#"{"cluster":"main"}"#);
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["moved"]["to"], "main");
    assert!(has_schema(&mut tdb.conn(), "t_api2") && !has_schema(&mut second.conn(), "t_api2"));
    let again = call(&app, "POST", "/api/v1/tenants/api2/move", &write, r#"{"cluster":"main"}"#);
    assert_eq!(again.status, 422, "{}", again.body);
    app.reload();
    assert_eq!(get(app.http, "api2.test", "/pages").status, 200);

    // A tenant purged on pg2 leaves no schema there.
    let other = call(
        &app,
        "POST",
        "/api/v1/tenants",
        &write,
        r#"{"slug":"gone","name":"G","hosts":["gone.test"],"cluster":"pg2"}"#,
    );
    assert_eq!(wait_for_job(&app, &write, other.header("location").unwrap())["status"], "succeeded");
    assert!(has_schema(&mut second.conn(), "t_gone"));
    let deleted = call(&app, "DELETE", "/api/v1/tenants/gone", &write, r#"{"export_waived":true,"retention_days":0}"#);
    let job = wait_for_job(&app, &write, deleted.header("location").unwrap());
    assert_eq!(job["result"]["purged"], true, "{job}");
    assert!(!has_schema(&mut second.conn(), "t_gone"));
}
