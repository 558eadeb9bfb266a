//! Provisioning jobs: resumable after a crash, retried with backoff, cleaned up when
//! they fail for good, never run twice at once, and audited.
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::{PgConnection, RunQueryDsl};
use provisioning::create_tenant::{self, embedded_migrations, CreateTenantJob};
use provisioning::jobs::{JobHandler, JobStatus, Runner, RunnerOptions};
use provisioning::Actor;
use tenant_core::blob::LocalBlobStore;

use crate::support::app::temp_dir;
use crate::support::sql::count;
use crate::support::{tenants, TestDb};

fn runner(tdb: &TestDb, blobs: Arc<LocalBlobStore>, lease: Duration) -> Runner {
    let handler: Arc<dyn JobHandler> =
        Arc::new(CreateTenantJob { blobs, migrations: embedded_migrations(), invitations: None });
    Runner::new(
        tdb.db(2),
        vec![handler],
        RunnerOptions { lease, poll: Duration::from_millis(50), ..RunnerOptions::default() },
    )
}

#[test]
fn create_jobs_killed_at_any_step_are_resumed_and_converge_to_whole_tenants() {
    let tdb = TestDb::new();
    let mut conn = tdb.conn();
    let n = 16u64;
    for i in 0..n {
        let slug = format!("resumed{i}");
        let mut child = tenants::civitas(&tdb.url)
            .args(["tenant", "create", "--slug", &slug, "--name", "Resumed", "--host", &format!("{slug}.test")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(i * 5));
        let _ = child.kill();
        let _ = child.wait();
    }
    // Wait for the killed clients' backends to go, then let every lease lapse.
    let start = Instant::now();
    while count(
        &mut conn,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    ) > 0
    {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    diesel::sql_query("UPDATE catalog.jobs SET locked_until = now() WHERE status = 'running'")
        .execute(&mut conn)
        .unwrap();
    let interrupted = count(&mut conn, "SELECT count(*) AS n FROM catalog.jobs WHERE status = 'running'");
    let worker = runner(&tdb, Arc::new(LocalBlobStore::new(temp_dir("blobs"))), Duration::from_secs(30));
    while worker.run_next("resumer").unwrap().is_some() {}
    eprintln!("{interrupted} interrupted create job(s) resumed");

    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.jobs WHERE status IN ('queued', 'running')"), 0);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE status <> 'active'"),
        0,
        "a half-made tenant is left"
    );
    // Every tenant is whole; every schema belongs to a tenant; every job that
    // succeeded has its tenant.
    let tenants_n = count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 't\\_resumed%'"), tenants_n);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM pg_tables WHERE schemaname LIKE 't\\_resumed%' AND tablename IN ('pages', 'blog_posts')"),
        2 * tenants_n
    );
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.jobs WHERE status = 'succeeded'"), tenants_n);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants t JOIN catalog.tenant_hosts h ON h.tenant_id = t.id AND h.is_primary"),
        tenants_n
    );
}

#[test]
fn a_failing_job_is_retried_after_a_backoff_then_fails_for_good_and_leaves_nothing() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let blobs_dir = temp_dir("blobs");
    let blobs = Arc::new(LocalBlobStore::new(&blobs_dir));
    let mut spec = tenants::spec("doomed", &["doomed.test"], &[]);
    spec.logo = Some(provisioning::Logo::parse(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()).unwrap());
    let id = create_tenant::enqueue_create(&db, &*blobs, &spec, &Actor::system(), 2).unwrap();
    // The database says no: another process took the host after the job was queued.
    tenants::create(&db, "squatter", &["doomed.test"], &[]);
    let worker = runner(&tdb, blobs, Duration::from_secs(30));
    let first = worker.run_next("w").unwrap().unwrap();
    assert_eq!(first.id, id);
    assert_eq!(first.status, JobStatus::Failed, "a conflict is not retried");
    assert!(first.error.as_deref().unwrap_or("").contains("already used by tenant \"squatter\""), "{:?}", first.error);
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 'doomed'"), 0);
    let left: Vec<_> = std::fs::read_dir(&blobs_dir).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "the logo was left behind: {left:?}");

    // A transient failure is retried after a backoff.
    let spec = tenants::spec("flaky", &["flaky.test"], &[]);
    let id =
        create_tenant::enqueue_create(&db, &LocalBlobStore::new(temp_dir("b")), &spec, &Actor::system(), 3).unwrap();
    diesel::sql_query("ALTER TABLE catalog.tenant_modules RENAME TO tenant_modules_away").execute(&mut conn).unwrap();
    let failed_once = worker.run_next("w").unwrap().unwrap();
    assert_eq!((failed_once.id, failed_once.status), (id, JobStatus::Queued), "retried later");
    assert!(worker.run_next("w").unwrap().is_none(), "not before its backoff");
    diesel::sql_query("ALTER TABLE catalog.tenant_modules_away RENAME TO tenant_modules").execute(&mut conn).unwrap();
    diesel::sql_query("UPDATE catalog.jobs SET run_after = now()").execute(&mut conn).unwrap();
    let done = worker.run_next("w").unwrap().unwrap();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
    assert_eq!(done.steps_done, vec!["create".to_owned(), "invite_admin".to_owned(), "activate".to_owned()]);
}

#[test]
fn two_workers_share_the_queue_without_running_a_job_twice() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let blobs = Arc::new(LocalBlobStore::new(temp_dir("blobs")));
    for i in 0..12 {
        let spec = tenants::spec(&format!("queued{i:02}"), &[&format!("queued{i:02}.test")], &["pages"]);
        create_tenant::enqueue_create(&db, &*blobs, &spec, &Actor::system(), 3).unwrap();
    }
    let a = runner(&tdb, blobs.clone(), Duration::from_secs(30)).spawn_workers(2, "a").unwrap();
    let b = runner(&tdb, blobs, Duration::from_secs(30)).spawn_workers(2, "b").unwrap();
    let mut conn = tdb.conn();
    let start = Instant::now();
    while count(&mut conn, "SELECT count(*) AS n FROM catalog.jobs WHERE status = 'succeeded'") < 12 {
        assert!(start.elapsed() < Duration::from_secs(60), "jobs did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop((a, b));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.jobs WHERE attempts <> 1"), 0, "a job ran twice");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE status = 'active'"), 12);
}

#[test]
fn cli_changes_are_written_to_the_audit_log_with_before_and_after() {
    let tdb = TestDb::new();
    let run = |args: &[&str]| {
        assert!(tenants::civitas(&tdb.url).args(args).env("USER", "alice").output().unwrap().status.success())
    };
    run(&["tenant", "create", "--slug", "audited", "--name", "Audited", "--host", "audited.test"]);
    run(&["tenant", "suspend", "audited"]);
    run(&["tenant", "resume", "audited"]);
    #[derive(diesel::QueryableByName, Debug)]
    struct Entry {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let lines: Vec<String> = diesel::sql_query(
        "SELECT actor || ' ' || action || ' ' || coalesce(target, '') || ' ' || coalesce(before->>'status', '-') || '>' || coalesce(after->>'status', after->>'slug', '-') AS line FROM catalog.audit_log ORDER BY id",
    )
    .load::<Entry>(&mut tdb.conn())
    .unwrap()
    .into_iter()
    .map(|e| e.line)
    .collect();
    assert_eq!(
        lines,
        vec![
            "cli:alice tenant.create audited ->audited",
            "cli:alice tenant.suspend audited active>suspended",
            "cli:alice tenant.resume audited suspended>active",
        ]
    );
}

/// The binary's tenant migrations plus one more, as a new release would bring.
struct WithNewMigration;
struct NewMigration;
struct NewName;
struct NewMeta;

impl std::fmt::Display for NewName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("29990101000000_upgrade_probe")
    }
}
impl diesel::migration::MigrationName for NewName {
    fn version(&self) -> diesel::migration::MigrationVersion<'_> {
        diesel::migration::MigrationVersion::from("29990101000000")
    }
}
impl diesel::migration::MigrationMetadata for NewMeta {}
impl diesel::migration::Migration<diesel::pg::Pg> for NewMigration {
    fn run(
        &self,
        conn: &mut dyn diesel::connection::BoxableConnection<diesel::pg::Pg>,
    ) -> diesel::migration::Result<()> {
        conn.batch_execute(
            "CREATE TABLE upgrade_probe (id int PRIMARY KEY); ALTER TABLE pages ADD COLUMN probe text;",
        )?;
        Ok(())
    }
    fn revert(
        &self,
        conn: &mut dyn diesel::connection::BoxableConnection<diesel::pg::Pg>,
    ) -> diesel::migration::Result<()> {
        conn.batch_execute("DROP TABLE upgrade_probe; ALTER TABLE pages DROP COLUMN probe;")?;
        Ok(())
    }
    fn metadata(&self) -> &dyn diesel::migration::MigrationMetadata {
        &NewMeta
    }
    fn name(&self) -> &dyn diesel::migration::MigrationName {
        &NewName
    }
}
impl diesel::migration::MigrationSource<diesel::pg::Pg> for WithNewMigration {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<diesel::pg::Pg>>>> {
        let mut all =
            diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&tenant_core::migrations::TENANT)?;
        all.push(Box::new(NewMigration));
        Ok(all)
    }
}

#[test]
fn an_upgrade_migrates_every_tenant_reports_a_failing_one_without_stopping_and_resumes_only_what_is_left() {
    use provisioning::upgrade_tenants::{enqueue_upgrade, UpgradeTenantsJob};
    let tdb = TestDb::new();
    let db = tdb.db(4);
    for i in 0..8 {
        tenants::create(&db, &format!("up{i}"), &[&format!("up{i}.test")], &[]);
    }
    let mut conn = tdb.conn();
    // One tenant already has what the new migration creates: its upgrade fails.
    diesel::sql_query("CREATE TABLE t_up5.upgrade_probe (id int)").execute(&mut conn).unwrap();
    let upgrade: Arc<dyn JobHandler> =
        Arc::new(UpgradeTenantsJob { migrations: Arc::new(|| Box::new(WithNewMigration)) });
    let worker = Runner::new(
        tdb.db(4),
        vec![upgrade],
        RunnerOptions { lease: Duration::from_secs(30), poll: Duration::from_millis(50), ..RunnerOptions::default() },
    );
    let id = enqueue_upgrade(&db, 3, &Actor::system()).unwrap();

    let first = worker.run_next("w").unwrap().unwrap();
    assert_eq!((first.id, first.status), (id, JobStatus::Queued), "retried later: {:?}", first.error);
    assert!(first.error.as_deref().unwrap_or("").contains("1 of 8 tenants failed"), "{:?}", first.error);
    assert!(first.error.as_deref().unwrap_or("").contains("\"up5\""));
    assert_eq!(first.steps_done.len(), 7, "the others were upgraded: {:?}", first.steps_done);
    let upgraded = |conn: &mut PgConnection| {
        count(conn, "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema LIKE 't\\_up%' AND table_name = 'pages' AND column_name = 'probe'")
    };
    assert_eq!(upgraded(&mut conn), 7);

    diesel::sql_query("DROP TABLE t_up5.upgrade_probe").execute(&mut conn).unwrap();
    diesel::sql_query("UPDATE catalog.jobs SET run_after = now()").execute(&mut conn).unwrap();
    let second = worker.run_next("w").unwrap().unwrap();
    assert_eq!(second.status, JobStatus::Succeeded, "{:?}", second.error);
    assert_eq!(second.attempts, 2);
    assert_eq!(second.steps_done.len(), 8);
    assert_eq!(second.result.as_ref().unwrap()["upgraded"], 8);
    assert_eq!(upgraded(&mut conn), 8);
    // Each schema recorded the new migration once.
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM (SELECT 1 FROM pg_namespace WHERE nspname LIKE 't\\_up%') s"),
        8
    );
    for i in 0..8 {
        assert_eq!(
            count(
                &mut conn,
                &format!(
                    "SELECT count(*) AS n FROM t_up{i}.__diesel_schema_migrations WHERE version = '29990101000000'"
                )
            ),
            1
        );
    }
}

#[test]
fn an_idle_worker_waits_for_its_poll_unless_a_queued_job_wakes_it() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let blobs = Arc::new(LocalBlobStore::new(temp_dir("blobs")));
    let handler: Arc<dyn JobHandler> =
        Arc::new(CreateTenantJob { blobs: blobs.clone(), migrations: embedded_migrations(), invitations: None });
    let runner = Runner::new(
        tdb.db(2),
        vec![handler],
        RunnerOptions { poll: Duration::from_secs(60), ..RunnerOptions::default() },
    );
    let workers = runner.spawn_workers(1, "idle").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let spec = tenants::spec("woken", &["woken.test"], &[]);
    let id = create_tenant::enqueue_create(&db, &*blobs, &spec, &Actor::system(), 1).unwrap();
    let mut conn = tdb.conn();
    let status = |conn: &mut PgConnection| {
        count(conn, &format!("SELECT count(*) AS n FROM catalog.jobs WHERE id = '{id}' AND status = 'succeeded'"))
    };
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(status(&mut conn), 0, "the worker looked before its poll without being woken");
    let woken = Instant::now();
    runner.waker().wake();
    while status(&mut conn) == 0 {
        assert!(woken.elapsed() < Duration::from_secs(10), "the woken worker did not take the job");
        std::thread::sleep(Duration::from_millis(10));
    }
    let stopping = Instant::now();
    drop(workers);
    assert!(stopping.elapsed() < Duration::from_secs(5), "stopping waited for the poll");
}
