//! Tenant creation is all or nothing, even when a migration fails part-way or the
//! process is killed at any moment.
use std::process::Stdio;
use std::time::Duration;

use diesel::migration::{Migration, MigrationMetadata, MigrationName, MigrationSource, MigrationVersion};
use diesel::pg::Pg;
use diesel::PgConnection;
use tenant_core::blob::LocalBlobStore;
use tenant_core::migrations::TENANT;

use crate::support::app::temp_dir;
use crate::support::sql::count;
use crate::support::{tenants, TestDb};

/// The real tenant migrations with a failing one slipped between the first and second.
struct FailingMidway;

struct Broken;
struct BrokenName;

impl std::fmt::Display for BrokenName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("20261126000001a_injected_failure")
    }
}
impl MigrationName for BrokenName {
    fn version(&self) -> MigrationVersion<'_> {
        MigrationVersion::from("20261126000001a")
    }
}
struct Meta;
impl MigrationMetadata for Meta {}

impl Migration<Pg> for Broken {
    fn run(&self, conn: &mut dyn diesel::connection::BoxableConnection<Pg>) -> diesel::migration::Result<()> {
        conn.batch_execute("CREATE TABLE half_done (id int); INSERT INTO half_done VALUES (1); SELECT 1/0;")?;
        Ok(())
    }
    fn revert(&self, _: &mut dyn diesel::connection::BoxableConnection<Pg>) -> diesel::migration::Result<()> {
        Ok(())
    }
    fn metadata(&self) -> &dyn MigrationMetadata {
        &Meta
    }
    fn name(&self) -> &dyn MigrationName {
        &BrokenName
    }
}

impl MigrationSource<Pg> for FailingMidway {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        let mut all = MigrationSource::<Pg>::migrations(&TENANT)?;
        all.push(Box::new(Broken));
        Ok(all)
    }
}

fn leftovers(conn: &mut PgConnection, slug: &str) -> (i64, i64, i64) {
    (
        count(conn, &format!("SELECT count(*) AS n FROM catalog.tenants WHERE slug = '{slug}'")),
        count(conn, &format!("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 't_{slug}'")),
        count(conn, "SELECT count(*) AS n FROM catalog.tenant_hosts"),
    )
}

#[test]
fn a_migration_failing_midway_leaves_no_schema_no_rows_and_no_logo() {
    let tdb = TestDb::new();
    let db = tdb.db(1);
    let blobs_dir = temp_dir("blobs");
    let blobs = std::sync::Arc::new(LocalBlobStore::new(&blobs_dir));
    let mut spec = tenants::spec("halfway", &["halfway.test"], &["pages"]);
    spec.logo = Some(provisioning::Logo::parse(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()).unwrap());
    let failing: provisioning::create_tenant::MigrationsFactory = std::sync::Arc::new(|| Box::new(FailingMidway));
    let err = provisioning::create_tenant_with(&db, blobs, spec, &provisioning::Actor::system(), failing).unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
    let mut conn = tdb.conn();
    assert_eq!(leftovers(&mut conn, "halfway"), (0, 0, 0));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM pg_tables WHERE tablename IN ('half_done', 'pages')"), 0);
    let files = walk_files(&blobs_dir);
    assert!(files.is_empty(), "logo left behind: {files:?}");
    // And the same slug and host can then be created for real.
    tenants::create(&db, "halfway", &["halfway.test"], &["pages"]);
    assert_eq!(leftovers(&mut conn, "halfway"), (1, 1, 1));
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                out.extend(walk_files(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn kill_9_at_any_moment_of_tenant_create_leaves_all_or_nothing() {
    let tdb = TestDb::new();
    let mut conn = tdb.conn();
    let mut seen_complete = 0;
    let mut seen_absent = 0;
    for i in 0..20u64 {
        let slug = format!("killed{i}");
        let mut child = tenants::civitas(&tdb.url)
            .args(["tenant", "create", "--slug", &slug, "--name", "Killed", "--host", &format!("{slug}.test")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills from process start to past the end of the work.
        std::thread::sleep(Duration::from_millis(i * 4));
        let _ = child.kill();
        let _ = child.wait();
        // PostgreSQL rolls back the killed client's transaction when it notices the
        // socket closed; wait for its backend to be gone before looking.
        for _ in 0..100 {
            let others = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
            if count(&mut conn, others) == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let (tenant_rows, schemas, _) = leftovers(&mut conn, &slug);
        let hosts =
            count(&mut conn, &format!("SELECT count(*) AS n FROM catalog.tenant_hosts WHERE host = '{slug}.test'"));
        if tenant_rows == 1 {
            assert_eq!((schemas, hosts), (1, 1), "{slug}: tenant row without its schema or host");
            let tables = count(&mut conn, &format!("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 't_{slug}' AND tablename IN ('pages', 'blog_posts')"));
            assert_eq!(tables, 2, "{slug}: schema not fully migrated");
            seen_complete += 1;
        } else {
            assert_eq!((tenant_rows, schemas, hosts), (0, 0, 0), "{slug}: half a tenant left");
            seen_absent += 1;
        }
    }
    eprintln!("kill -9: {seen_complete} complete tenants, {seen_absent} absent, no half tenant");
    assert_eq!(seen_complete + seen_absent, 20);
}

#[test]
fn cli_refuses_duplicates_and_invalid_input_with_clear_messages() {
    let tdb = TestDb::new();
    let create = |args: &[&str]| {
        let out = tenants::civitas(&tdb.url).args(["tenant", "create"]).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, err, out) = create(&["--slug", "ville", "--name", "Ville", "--host", "ville.test", "--color", "#E1000F"]);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(json["slug"], "ville");
    assert_eq!(json["schema"], "t_ville");
    assert_eq!(json["primary_color"], "#e1000f");

    let cases: &[(&[&str], &str)] = &[
        (
            &["--slug", "ville", "--name", "Encore", "--host", "autre.test"],
            "a tenant with slug \"ville\" already exists",
        ),
        (
            &["--slug", "autre", "--name", "Autre", "--host", "VILLE.test"],
            "the host \"ville.test\" is already used by tenant \"ville\"",
        ),
        (&["--slug", "Bad-Slug", "--name", "X", "--host", "x.test"], "invalid slug \"Bad-Slug\""),
        (&["--slug", "okslug", "--name", "X", "--host", "x.test", "--color", "red"], "invalid colour \"red\""),
        (&["--slug", "okslug", "--name", "X", "--host", "http://x.test/"], "invalid host"),
        (
            &["--slug", "okslug", "--name", "X", "--host", "x.test", "--module", "teleport"],
            "unknown module \"teleport\"",
        ),
        (&["--slug", "okslug", "--name", "X", "--host", "x.test", "--locale", "xx"], "unsupported locale \"xx\""),
        (&["--slug", "okslug", "--name", "X", "--host", "x.test", "--theme", "nope"], "unknown theme \"nope\""),
    ];
    for (args, expected) in cases {
        let (ok, err, _) = create(args);
        assert!(!ok, "{args:?} should fail");
        assert!(err.contains(expected), "{args:?}: expected {expected:?} in {err:?}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants"), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 't\\_%'"), 1);
}
