//! `civitas files sweep`: a tenant's files that no row names (an upload whose row was
//! never written) go once older than the grace period; named ones, recent ones, the
//! hosting company's copies and other tenants' files stay. On disk and on S3.
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use diesel::RunQueryDsl;
use provisioning::sweep_files::{sweep_tenant, SweepOptions};
use tenant_core::blob::{BlobKey, BlobStore, LocalBlobStore};
use tenant_core::{blob_refs, Tenant};

use crate::support::app::temp_dir;
use crate::support::s3;
use crate::support::tenants::{self, civitas};
use crate::support::TestDb;

fn names(store: &dyn BlobStore, tenant: &Tenant) -> BTreeSet<String> {
    store.list_tenant(tenant.id).unwrap().iter().map(|k| k.name().to_owned()).collect()
}

/// Puts `name` in `tenant`'s files and, when `named`, a space whose hero image it is.
fn put(store: &dyn BlobStore, tdb: &TestDb, tenant: &Tenant, name: &str, named: bool) -> BlobKey {
    let key = BlobKey::new(tenant.id, name).unwrap();
    store.put(&key, b"\x89PNG\r\n\x1a\nbytes").unwrap();
    if named {
        let slug = name.replace(['/', '.'], "-");
        diesel::sql_query(format!(
            "INSERT INTO {}.spaces (kind, slug, title, hero_image_key) VALUES ('process', '{slug}', '{{\"fr\": \"Budget\"}}', '{}')",
            tenant.schema.quoted(),
            key.to_stored()
        ))
        .execute(&mut tdb.conn())
        .unwrap();
    }
    key
}

/// Makes a file on disk look written `age` ago.
fn age(root: &std::path::Path, key: &BlobKey, age: Duration) {
    let path = root.join(key.tenant().to_string()).join(key.name());
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

#[test]
fn the_sweep_removes_old_unnamed_files_and_keeps_named_recent_copied_and_other_tenants_files() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let data = temp_dir("sweep");
    let root = data.join("blobs");
    let store = LocalBlobStore::new(&root);
    let a = tenants::create(&db, "balayage", &["balayage.test"], &["proposals"]);
    let b = tenants::create(&db, "voisin", &["voisin.test"], &["proposals"]);
    let two_hours = Duration::from_secs(2 * 3600);
    let named = put(&store, &tdb, &a, "spaces/1/hero-named.png", true);
    let orphan = put(&store, &tdb, &a, "proposals/orphan.pdf", false);
    let fresh = put(&store, &tdb, &a, "proposals/fresh.pdf", false);
    let copy = put(&store, &tdb, &a, "exports/old.tar.gz", false);
    let neighbour = put(&store, &tdb, &b, "proposals/theirs.pdf", false);
    for key in [&named, &orphan, &copy, &neighbour] {
        age(&root, key, two_hours);
    }

    // A dry run says what would go and removes nothing.
    let before = names(&store, &a);
    let dry =
        sweep_tenant(&db, &store, &a, SweepOptions { dry_run: true, ..SweepOptions::default() }, chrono::Utc::now())
            .unwrap();
    assert_eq!(dry.orphans, ["proposals/orphan.pdf"]);
    assert_eq!((dry.files, dry.kept_unnamed), (3, 1), "{dry:?}");
    assert_eq!(names(&store, &a), before);

    // Through the command, for one tenant: the old orphan goes, the rest stays.
    let out = civitas(&tdb.url)
        .env("CIVITAS_DATA_DIR", &data)
        .args(["files", "sweep", "--tenant", "balayage"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("balayage: removed proposals/orphan.pdf"), "{stdout}");
    assert!(!stdout.contains("voisin"), "another tenant was swept: {stdout}");
    assert_eq!(
        names(&store, &a),
        ["exports/old.tar.gz", "proposals/fresh.pdf", "spaces/1/hero-named.png"].map(String::from).into(),
    );
    assert_eq!(names(&store, &b), ["proposals/theirs.pdf".to_owned()].into(), "another tenant's files were touched");

    // The recent one goes once it is old enough, here with a grace of one minute.
    age(&root, &fresh, Duration::from_secs(120));
    let swept = sweep_tenant(
        &db,
        &store,
        &a,
        SweepOptions { grace: chrono::Duration::minutes(1), dry_run: false },
        chrono::Utc::now(),
    )
    .unwrap();
    assert_eq!(swept.orphans, ["proposals/fresh.pdf"]);
    assert!(names(&store, &a).contains("spaces/1/hero-named.png"));

    // An unknown tenant is a clear error.
    let out = civitas(&tdb.url)
        .env("CIVITAS_DATA_DIR", &data)
        .args(["files", "sweep", "--tenant", "nobody"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no active or suspended tenant with slug nobody"));
}

#[test]
fn the_sweep_on_s3_removes_unnamed_files_by_their_store_dates() {
    let weed = s3::shared();
    let store: Arc<dyn BlobStore> = Arc::new(weed.store().with_page_size(2));
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let a = tenants::create(&db, "nuage", &["nuage.test"], &["proposals"]);
    put(&*store, &tdb, &a, "spaces/1/hero-named.png", true);
    put(&*store, &tdb, &a, "proposals/orphan.pdf", false);
    put(&*store, &tdb, &a, "backups/files/abc", false);
    let dated = store.list_tenant_dated(a.id).unwrap();
    assert!(
        dated.iter().all(|(_, at)| at.is_some_and(|at| (chrono::Utc::now() - at).num_minutes().abs() < 10)),
        "{dated:?}"
    );
    // Just written: kept by the default grace.
    let kept = sweep_tenant(&db, &*store, &a, SweepOptions::default(), chrono::Utc::now()).unwrap();
    assert!(kept.orphans.is_empty() && kept.kept_unnamed == 1, "{kept:?}");
    // As seen two hours later.
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let swept = sweep_tenant(&db, &*store, &a, SweepOptions::default(), later).unwrap();
    assert_eq!(swept.orphans, ["proposals/orphan.pdf"]);
    assert_eq!(names(&*store, &a), ["backups/files/abc", "spaces/1/hero-named.png"].map(String::from).into());
}

#[test]
fn every_tenant_column_that_holds_a_file_key_is_in_the_sweeps_list() {
    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
    }
    let tdb = TestDb::new();
    let db = tdb.db(1);
    let t = tenants::create(&db, "colonnes", &["colonnes.test"], &["proposals", "budgets", "petitions", "pages"]);
    // Text columns named like a key: where a file's key would go.
    let found: BTreeSet<(String, String)> = diesel::sql_query(format!(
        "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns
         WHERE table_schema = '{}' AND data_type = 'text' AND column_name LIKE '%\\_key'",
        t.schema.as_str()
    ))
    .load::<Column>(&mut tdb.conn())
    .unwrap()
    .into_iter()
    .map(|c| (c.table_name, c.column_name))
    .collect();
    let listed: BTreeSet<(String, String)> =
        blob_refs::TENANT_FILE_COLUMNS.iter().map(|(t, c)| (t.to_string(), c.to_string())).collect();
    assert_eq!(
        found, listed,
        "a tenant column named *_key is missing from tenant_core::blob_refs (or the list names a column that is gone)"
    );
}
