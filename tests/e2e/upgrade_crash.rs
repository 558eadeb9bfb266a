//! The upgrade job survives `kill -9` of the process running it: restarted, it
//! converges to every tenant migrated exactly once, with no schema half-changed.
use std::net::SocketAddr;
use std::process::Child;
use std::time::{Duration, Instant};

use diesel::{PgConnection, RunQueryDsl};
use provisioning::upgrade_tenants::enqueue_upgrade;
use provisioning::Actor;

use crate::support::app::temp_dir;
use crate::support::http::get;
use crate::support::sql::count;
use crate::support::{tenants, TestDb};

const TENANTS: usize = 10;
const VERSION: &str = "20990101000001";

/// `civitas serve` in its own process, with the slow extra migration; returns it
/// and its ops address.
fn serve(tdb: &TestDb, extra: &std::path::Path) -> (Child, SocketAddr) {
    let (child, _, ops) =
        tenants::serve_process(&tdb.url, &[("CIVITAS_TEST_EXTRA_TENANT_MIGRATIONS", extra.as_os_str())], "serve-log");
    (child, ops)
}

fn steps_done(conn: &mut PgConnection, job: uuid::Uuid) -> i64 {
    count(conn, &format!("SELECT cardinality(steps_done)::bigint AS n FROM catalog.jobs WHERE id = '{job}'"))
}

/// Per tenant: (migration recorded, new table there, new column there).
fn tenant_states(conn: &mut PgConnection) -> Vec<(i64, i64, i64)> {
    (0..TENANTS)
        .map(|i| {
            let schema = format!("t_crash{i}");
            (
                count(
                    conn,
                    &format!("SELECT count(*) AS n FROM {schema}.__diesel_schema_migrations WHERE version = '{VERSION}'"),
                ),
                count(
                    conn,
                    &format!(
                        "SELECT count(*) AS n FROM pg_tables WHERE schemaname = '{schema}' AND tablename = 'upgrade_probe'"
                    ),
                ),
                count(
                    conn,
                    &format!(
                        "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = '{schema}' \
                         AND table_name = 'pages' AND column_name = 'probe'"
                    ),
                ),
            )
        })
        .collect()
}

fn metric(ops: SocketAddr, name: &str) -> i64 {
    let body = get(ops, "127.0.0.1", "/metrics").body;
    body.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

#[test]
fn an_upgrade_killed_mid_run_again_and_again_converges_to_every_tenant_migrated_once() {
    let tdb = TestDb::new();
    {
        let db = tdb.db(2);
        for i in 0..TENANTS {
            tenants::create(&db, &format!("crash{i}"), &[&format!("crash{i}.test")], &["pages"]);
        }
    }
    // One new migration, slow between its two changes so kills land inside it.
    let extra = temp_dir("extra-migrations");
    let dir = extra.join("2099-01-01-000001_slow_probe");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("up.sql"),
        "CREATE TABLE upgrade_probe (id int PRIMARY KEY);\nSELECT pg_sleep(0.3);\nALTER TABLE pages ADD COLUMN probe text;\n",
    )
    .unwrap();
    std::fs::write(dir.join("down.sql"), "ALTER TABLE pages DROP COLUMN probe;\nDROP TABLE upgrade_probe;\n").unwrap();

    let mut conn = tdb.conn();
    let job = enqueue_upgrade(&tdb.db(1), 2, &Actor::system()).unwrap();
    let (mut server, mut ops) = serve(&tdb, &extra);
    let kill_after = [1i64, 4, 7];
    for (kills, &after) in kill_after.iter().enumerate() {
        let start = Instant::now();
        while steps_done(&mut conn, job) < after {
            assert!(start.elapsed() < Duration::from_secs(30), "the upgrade did not get to {after} tenants");
            std::thread::sleep(Duration::from_millis(5));
        }
        let (done, total) = (metric(ops, "civitas_upgrade_tenants_done"), metric(ops, "civitas_upgrade_tenants_total"));
        assert_eq!(total, TENANTS as i64, "progress total");
        // The gauge may lag the database by the steps in flight (two at a time).
        assert!((after - 2..=TENANTS as i64).contains(&done), "progress done {done} after {after} steps");
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        // PostgreSQL rolls the killed process's transactions back once it notices.
        let start = Instant::now();
        while count(
            &mut conn,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state <> 'idle'",
        ) > 0
        {
            assert!(start.elapsed() < Duration::from_secs(10), "the killed server's sessions did not end");
            std::thread::sleep(Duration::from_millis(20));
        }
        let marked = steps_done(&mut conn, job);
        assert!(marked < TENANTS as i64, "kill {} landed after the end ({marked} done)", kills + 1);
        // No tenant half-changed, and a tenant is marked done exactly when migrated.
        let states = tenant_states(&mut conn);
        for (i, state) in states.iter().enumerate() {
            assert!(*state == (0, 0, 0) || *state == (1, 1, 1), "t_crash{i} is half-migrated: {state:?}");
        }
        let migrated = states.iter().filter(|s| s.0 == 1).count() as i64;
        assert_eq!(migrated, marked, "tenants migrated vs marked done, after kill {}", kills + 1);
        assert_eq!(
            count(
                &mut conn,
                &format!("SELECT count(*) AS n FROM catalog.jobs WHERE id = '{job}' AND status = 'running'")
            ),
            1
        );
        // The dead worker's lease would lapse in a minute; lapse it now.
        diesel::sql_query("UPDATE catalog.jobs SET locked_until = now() WHERE status = 'running'")
            .execute(&mut conn)
            .unwrap();
        (server, ops) = serve(&tdb, &extra);
    }

    let start = Instant::now();
    while count(
        &mut conn,
        &format!("SELECT count(*) AS n FROM catalog.jobs WHERE id = '{job}' AND status = 'succeeded'"),
    ) == 0
    {
        assert!(start.elapsed() < Duration::from_secs(60), "the upgrade did not finish after the restarts");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(metric(ops, "civitas_upgrade_tenants_done"), TENANTS as i64);
    assert_eq!(metric(ops, "civitas_upgrade_tenants_failed"), 0);
    server.kill().unwrap();
    server.wait().unwrap();

    assert_eq!(tenant_states(&mut conn), vec![(1, 1, 1); TENANTS], "every tenant migrated exactly once");
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(DISTINCT s)::bigint AS n FROM catalog.jobs, unnest(steps_done) s \
                 WHERE id = '{job}' AND cardinality(steps_done) = {TENANTS}"
            )
        ),
        TENANTS as i64,
        "each tenant marked done once"
    );
    assert_eq!(
        count(&mut conn, &format!("SELECT attempts::bigint AS n FROM catalog.jobs WHERE id = '{job}'")),
        kill_after.len() as i64 + 1,
        "one attempt per start"
    );
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT (result->>'upgraded')::bigint AS n FROM catalog.jobs WHERE id = '{job}' AND error IS NULL"
            )
        ),
        TENANTS as i64
    );
}
