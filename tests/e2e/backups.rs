//! `civitas backup` and `civitas restore`: per-tenant dumps with manifests and
//! checksums, the catalog's dump in the platform's reserved file space, and the
//! restore of one tenant that leaves the others alone and refuses damaged backups.
use std::path::{Path, PathBuf};
use std::process::Output;

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use provisioning::backups::{table_sums, Manifest, TableSum};
use tenant_core::blob::{BlobKey, BlobStore, LocalBlobStore, PLATFORM};
use tenant_core::{Db, Tenant};

use crate::support::app::temp_dir;
use crate::support::http::get;
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

/// The CLI on `tdb` with one data folder kept across commands (the file store).
struct Cli {
    url: String,
    data: PathBuf,
}

impl Cli {
    fn new(tdb: &TestDb) -> Self {
        Self { url: tdb.url.clone(), data: temp_dir("backup-cli") }
    }

    fn run(&self, args: &[&str]) -> Output {
        tenants::civitas(&self.url).env("CIVITAS_DATA_DIR", &self.data).args(args).output().expect("civitas runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "civitas {args:?} failed: {text}");
        text
    }

    fn blobs(&self) -> LocalBlobStore {
        LocalBlobStore::new(self.data.join("blobs"))
    }

    fn blob_path(&self, stored: &str) -> PathBuf {
        self.data.join("blobs").join(stored)
    }
}

/// Every table's row count and checksum in `tenant`'s schema, now.
fn sums(tdb: &TestDb, tenant: &Tenant) -> Vec<TableSum> {
    let mut conn = tdb.conn();
    conn.transaction(|conn| table_sums(conn, tenant.schema.as_str())).expect("table sums")
}

fn pages(tdb: &TestDb, tenant: &Tenant) -> i64 {
    count(&mut tdb.conn(), &format!("SELECT count(*) AS n FROM {}.pages", tenant.schema.quoted()))
}

fn change_data(tdb: &TestDb, tenant: &Tenant, new_slug: &str) {
    let schema = tenant.schema.quoted();
    tdb.conn()
        .batch_execute(&format!(
            "INSERT INTO {schema}.pages (slug, locale, title) VALUES ('{new_slug}', 'fr', 'Added after the backup');
             DELETE FROM {schema}.pages WHERE slug = 'kept-until-changed';
             UPDATE {schema}.pages SET title = 'Edited after the backup' WHERE slug = 'stays';"
        ))
        .expect("data changed");
}

fn seed(db: &Db, slug: &str) -> Tenant {
    let tenant = tenants::create(db, slug, &[&format!("{slug}.test")], &["pages"]);
    tenants::add_page(db, &tenant, "stays", "Stays", "A page present at backup time.");
    tenants::add_page(db, &tenant, "kept-until-changed", "Deleted later", "Deleted after the backup.");
    tenant
}

/// The latest successful backup of `tenant` (catalog row): id, manifest key.
fn latest_backup(tdb: &TestDb, tenant: Option<&Tenant>) -> (String, String) {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        manifest_key: String,
    }
    let filter = match tenant {
        Some(t) => format!("tenant_id = '{}'", t.id),
        None => "tenant_id IS NULL".into(),
    };
    let row: Row = diesel::sql_query(format!(
        "SELECT id::text AS id, manifest_key FROM catalog.backups WHERE {filter} AND status = 'succeeded' \
         ORDER BY started_at DESC LIMIT 1"
    ))
    .get_result(&mut tdb.conn())
    .expect("a successful backup is recorded");
    (row.id, row.manifest_key)
}

fn manifest(cli: &Cli, key: &str) -> Manifest {
    serde_json::from_slice(&std::fs::read(cli.blob_path(key)).expect("manifest stored")).expect("manifest parses")
}

fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn restoring_one_tenant_brings_back_its_rows_and_files_and_leaves_the_other_tenant_alone() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let (alpha, beta) = (seed(&db, "alpha"), seed(&db, "beta"));
    let cli = Cli::new(&tdb);
    let attachment = BlobKey::new(alpha.id, "proposals/plan.pdf").unwrap();
    cli.blobs().put(&attachment, b"%PDF-1.4 the plan as it was").unwrap();
    let (alpha_before, beta_before) = (sums(&tdb, &alpha), sums(&tdb, &beta));
    let alpha_pages = pages(&tdb, &alpha);

    let out = cli.ok(&["backup"]);
    assert!(out.contains("alpha: backup") && out.contains("beta: backup") && out.contains("catalog: backup"), "{out}");
    // A server keeps serving both tenants across the restore (its pooled connections
    // have prepared statements on alpha's old tables).
    let app = TestApp::start(&tdb, TestConfig::default());
    assert_eq!(get(app.http, "alpha.test", "/pages/kept-until-changed").status, 200);

    change_data(&tdb, &alpha, "alpha-later");
    change_data(&tdb, &beta, "beta-later");
    cli.blobs().delete(&attachment).unwrap();
    cli.blobs().put(&BlobKey::new(alpha.id, "proposals/newer.pdf").unwrap(), b"%PDF newer").unwrap();
    let beta_changed = sums(&tdb, &beta);
    assert_ne!(sums(&tdb, &alpha), alpha_before, "the change must show in the checksums");
    assert_eq!(get(app.http, "alpha.test", "/pages/kept-until-changed").status, 404);

    let out = cli.ok(&["restore", "alpha"]);
    assert!(out.contains("alpha: restored from backup"), "{out}");

    assert_eq!(sums(&tdb, &alpha), alpha_before, "alpha is back at its backup, row for row");
    assert_eq!(pages(&tdb, &alpha), alpha_pages);
    assert_eq!(sums(&tdb, &beta), beta_changed, "beta keeps the changes made after the backup");
    assert_ne!(beta_changed, beta_before);
    assert_eq!(cli.blobs().get(&attachment).unwrap().as_deref(), Some(&b"%PDF-1.4 the plan as it was"[..]));
    // A restore never deletes: the newer file stays, unreferenced.
    assert!(cli.blobs().get(&BlobKey::new(alpha.id, "proposals/newer.pdf").unwrap()).unwrap().is_some());
    let status =
        count(&mut tdb.conn(), "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 'alpha' AND status = 'active'");
    assert_eq!(status, 1, "alpha is serving again");
    let audited = count(&mut tdb.conn(), "SELECT count(*) AS n FROM catalog.audit_log WHERE action = 'tenant.restore'");
    assert_eq!(audited, 1);

    // The restored tenant answers with its restored pages, on the same server.
    app.reload();
    assert_eq!(get(app.http, "alpha.test", "/pages/kept-until-changed").status, 200);
    assert_eq!(get(app.http, "alpha.test", "/pages/alpha-later").status, 404);
    assert_eq!(get(app.http, "beta.test", "/pages/kept-until-changed").status, 404);
}

#[test]
fn the_manifest_lists_checksums_that_match_the_stored_files_and_the_catalog_backup_exists() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let gamma = seed(&db, "gamma");
    let cli = Cli::new(&tdb);
    cli.blobs().put(&BlobKey::new(gamma.id, "spaces/hero.png").unwrap(), b"\x89PNG hero").unwrap();
    let before = sums(&tdb, &gamma);
    let gamma_pages = pages(&tdb, &gamma);
    cli.ok(&["backup"]);

    let (id, key) = latest_backup(&tdb, Some(&gamma));
    assert!(key.starts_with(&format!("{}/backups/", gamma.id)), "{key}");
    let m = manifest(&cli, &key);
    assert_eq!(m.backup_id.to_string(), id);
    assert_eq!((m.kind.as_str(), m.slug.as_deref(), m.schema.as_str()), ("tenant", Some("gamma"), "t_gamma"));
    assert_eq!(m.tenant_id, Some(gamma.id));
    assert!(m.migration_version.is_some());
    assert!(!m.snapshot.id.is_empty() && m.snapshot.wal_lsn.contains('/'), "{:?}", m.snapshot);
    assert_eq!(m.tables, before, "row counts and checksums as at backup time");
    assert!(m.tables.iter().any(|t| t.name == "pages" && t.rows == gamma_pages));
    assert!(m.dump.key.ends_with("/schema.dump"));
    assert_eq!(sha256_file(&cli.blob_path(&m.dump.key)), m.dump.sha256);
    assert_eq!(std::fs::metadata(cli.blob_path(&m.dump.key)).unwrap().len(), m.dump.size);
    let hero = m.files.iter().find(|f| f.name == "spaces/hero.png").expect("the tenant's file is listed");
    assert_eq!(sha256_file(&cli.blob_path(&hero.stored.key)), hero.stored.sha256);
    assert!(m.files.iter().all(|f| !f.name.starts_with("backups/")), "backups are not backed up again");

    // The catalog's dump lives in the platform's space, out of any tenant's reach.
    let (_, catalog_key) = latest_backup(&tdb, None);
    assert!(catalog_key.starts_with(&format!("{PLATFORM}/backups/")), "{catalog_key}");
    let c = manifest(&cli, &catalog_key);
    assert_eq!((c.kind.as_str(), c.schema.as_str()), ("catalog", "catalog"));
    assert!(c.tables.iter().any(|t| t.name == "tenants" && t.rows == 1), "{:?}", c.tables);
    assert_eq!(sha256_file(&cli.blob_path(&c.dump.key)), c.dump.sha256);
    assert!(BlobKey::parse_owned(gamma.id, &c.dump.key).is_err());
    let nil_tenant =
        tdb.conn().batch_execute(&format!("UPDATE catalog.tenants SET id = '{PLATFORM}' WHERE id = '{}'", gamma.id));
    assert!(
        nil_tenant.is_err_and(|e| e.to_string().contains("tenants_id_not_platform")),
        "no tenant may take the platform's id"
    );

    // A second backup stores an unchanged file only once.
    cli.ok(&["backup", "--tenant", "gamma", "--no-catalog"]);
    let copies = std::fs::read_dir(cli.data.join("blobs").join(gamma.id.to_string()).join("backups/files")).unwrap();
    assert_eq!(copies.count(), 1);
    let listed = cli.ok(&["backup", "list", "gamma"]);
    assert!(listed.contains("2 backup(s)"), "{listed}");
}

#[test]
fn a_tampered_dump_is_refused_with_a_clear_message_and_the_tenant_keeps_its_data() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let delta = seed(&db, "delta");
    let cli = Cli::new(&tdb);
    cli.ok(&["backup", "--tenant", "delta", "--no-catalog"]);
    change_data(&tdb, &delta, "delta-later");
    let changed = sums(&tdb, &delta);

    let (_, key) = latest_backup(&tdb, Some(&delta));
    let dump = cli.blob_path(&manifest(&cli, &key).dump.key);
    let mut bytes = std::fs::read(&dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&dump, &bytes).unwrap();

    let out = cli.run(&["restore", "delta"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("is damaged") && stderr.contains("does not match its checksum"), "{stderr}");
    assert!(stderr.contains("Nothing was changed"), "{stderr}");
    assert_eq!(sums(&tdb, &delta), changed, "the tenant's data is untouched");

    std::fs::remove_file(&dump).unwrap();
    let out = cli.run(&["restore", "delta", "--backup", "latest"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("is missing"), "{stderr}");
    assert_eq!(sums(&tdb, &delta), changed);
    let active = count(&mut tdb.conn(), "SELECT count(*) AS n FROM catalog.tenants WHERE status = 'active'");
    assert_eq!(active, 1, "never suspended: the check comes first");
}

#[test]
fn a_restore_that_does_not_reproduce_the_manifest_rolls_back_and_the_tenant_stays_as_it_was() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let eps = seed(&db, "epsilon");
    let cli = Cli::new(&tdb);
    cli.ok(&["backup", "--tenant", "epsilon", "--no-catalog"]);
    change_data(&tdb, &eps, "epsilon-later");
    let changed = sums(&tdb, &eps);
    let backed_up_pages = pages(&tdb, &eps); // one added, one deleted since

    // A manifest that claims one page more than the dump holds, pinned in the catalog
    // as if it had been written so: only the check inside the restore's transaction,
    // after the schema was dropped and reloaded, can catch it.
    let (id, key) = latest_backup(&tdb, Some(&eps));
    let mut m = manifest(&cli, &key);
    m.tables.iter_mut().find(|t| t.name == "pages").unwrap().rows += 1;
    let bytes = serde_json::to_vec_pretty(&m).unwrap();
    std::fs::write(cli.blob_path(&key), &bytes).unwrap();
    let sha = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    tdb.conn()
        .batch_execute(&format!("UPDATE catalog.backups SET manifest_sha256 = '{sha}' WHERE id = '{id}'"))
        .unwrap();

    let out = cli.run(&["restore", "epsilon", "--backup", &id]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let expected = format!("restored table pages has {backed_up_pages} rows");
    assert!(stderr.contains("left as it was") && stderr.contains(&expected), "{stderr}");
    assert_eq!(sums(&tdb, &eps), changed, "the old schema is intact");
    let active = count(&mut tdb.conn(), "SELECT count(*) AS n FROM catalog.tenants WHERE status = 'active'");
    assert_eq!(active, 1, "brought back after the failed restore");

    let out = cli.run(&["restore", "epsilon", "--backup", "not-an-id"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected `latest` or a backup id"));
}

#[test]
fn metrics_show_each_tenants_last_successful_backup_and_those_without_one() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let (zeta, _eta) = (seed(&db, "zeta"), seed(&db, "eta"));
    let app = TestApp::start(&tdb, TestConfig::default());
    let body = get(app.ops, "127.0.0.1", "/metrics").body;
    assert!(body.contains("civitas_backup_tenants_without_backup 2"), "{body}");
    assert!(body.contains("civitas_backup_catalog_last_success_timestamp_seconds 0"));

    provisioning::backups::back_up_tenant(&app.state.db, &*app.state.blobs, &zeta).expect("backup");
    provisioning::backups::back_up_catalog(&app.state.db, &*app.state.blobs).expect("catalog backup");
    let body = get(app.ops, "127.0.0.1", "/metrics").body;
    let line = body
        .lines()
        .find(|l| l.starts_with(r#"civitas_backup_last_success_timestamp_seconds{tenant="zeta"}"#))
        .unwrap_or_else(|| panic!("no backup line for zeta: {body}"));
    let at: i64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - at).abs() < 120, "{line}");
    assert!(!body.contains(r#"civitas_backup_last_success_timestamp_seconds{tenant="eta"}"#));
    assert!(body.contains("civitas_backup_tenants_without_backup 1"), "{body}");
    assert!(!body.contains("civitas_backup_catalog_last_success_timestamp_seconds 0\n"));
}

#[test]
fn pruning_keeps_recent_backups_and_the_latest_ones_and_removes_file_copies_nothing_lists() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let theta = seed(&db, "theta");
    let cli = Cli::new(&tdb);
    let (old_logo, new_logo) =
        (BlobKey::new(theta.id, "spaces/old.png").unwrap(), BlobKey::new(theta.id, "spaces/new.png").unwrap());
    cli.blobs().put(&old_logo, b"\x89PNG old").unwrap();
    cli.ok(&["backup", "--tenant", "theta"]);
    cli.blobs().delete(&old_logo).unwrap();
    cli.blobs().put(&new_logo, b"\x89PNG new").unwrap();
    cli.ok(&["backup", "--tenant", "theta"]);
    cli.ok(&["backup", "--tenant", "theta"]);
    let copies =
        || std::fs::read_dir(cli.data.join("blobs").join(theta.id.to_string()).join("backups/files")).unwrap().count();
    assert_eq!(copies(), 2);
    // The two oldest tenant backups and every catalog backup are 40 days old.
    tdb.conn()
        .batch_execute(&format!(
            "UPDATE catalog.backups SET started_at = started_at - interval '40 days'
              WHERE tenant_id IS NULL OR id IN (SELECT id FROM catalog.backups WHERE tenant_id = '{}'
                                                ORDER BY started_at LIMIT 2)",
            theta.id
        ))
        .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        k: String,
    }
    let oldest_key = diesel::sql_query(format!(
        "SELECT manifest_key AS k FROM catalog.backups WHERE tenant_id = '{}' ORDER BY started_at LIMIT 1",
        theta.id
    ))
    .get_result::<Key>(&mut tdb.conn())
    .unwrap()
    .k;

    let out = cli.ok(&["backup", "prune", "--keep-days", "30", "--keep-last", "3"]);
    assert!(out.contains("removed 0 backup(s) and 0 file copies"), "{out}");

    let out = cli.ok(&["backup", "prune", "--keep-days", "30", "--keep-last", "1"]);
    // Two of theta's, and the three catalog backups but the latest.
    assert!(out.contains("removed 4 backup(s) and 1 file copies"), "{out}");
    assert!(!cli.blob_path(&oldest_key).exists(), "the pruned backup's files are gone");
    assert_eq!(copies(), 1, "the old image's copy went, the one the kept backup lists stays");
    let left =
        count(&mut tdb.conn(), &format!("SELECT count(*) AS n FROM catalog.backups WHERE tenant_id = '{}'", theta.id));
    assert_eq!(left, 1);
    assert_eq!(count(&mut tdb.conn(), "SELECT count(*) AS n FROM catalog.backups WHERE tenant_id IS NULL"), 1);
    cli.ok(&["restore", "theta"]);
    assert!(cli.blobs().get(&new_logo).unwrap().is_some());

    let out = cli.run(&["backup", "prune", "--keep-last", "0"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--keep-last must be at least 1"));
}

/// The title of page `slug` of `tenant`, read in the database.
fn page_title(tdb: &TestDb, tenant: &Tenant, slug: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Title {
        #[diesel(sql_type = diesel::sql_types::Text)]
        title: String,
    }
    let t: Title = diesel::sql_query(format!("SELECT title FROM {}.pages WHERE slug = $1", tenant.schema.quoted()))
        .bind::<diesel::sql_types::Text, _>(slug)
        .get_result(&mut tdb.conn())
        .expect("the page exists");
    t.title
}

fn audited(tdb: &TestDb, action: &str, target: &str) -> i64 {
    count(
        &mut tdb.conn(),
        &format!("SELECT count(*) AS n FROM catalog.audit_log WHERE action = '{action}' AND target = '{target}'"),
    )
}

#[test]
fn the_staff_api_backs_a_tenant_up_lists_the_backup_and_restores_a_changed_row_from_it() {
    use crate::provisioning_api::{call, token};
    use provisioning::auth::Scopes;

    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let db = tdb.db(2);
    let alpha = seed(&db, "alpha");
    let write = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));

    let made = call(&app, "POST", "/api/v1/tenants/alpha/backups", &write, "");
    assert_eq!(made.status, 201, "{}", made.body);
    let backup = made.json()["backup"].clone();
    assert_eq!(backup["tenant"], "alpha", "{backup}");
    assert_eq!(backup["kind"], "tenant");
    assert_eq!(backup["status"], "succeeded");
    assert!(backup["size_bytes"].as_i64().unwrap() > 0, "{backup}");
    let id = backup["id"].as_str().unwrap().to_owned();
    assert_eq!(audited(&tdb, "tenant.backup", "alpha"), 1);

    let second = call(&app, "POST", "/api/v1/tenants/alpha/backups", &write, "");
    assert_eq!(second.status, 201, "{}", second.body);
    let newest = second.json()["backup"]["id"].as_str().unwrap().to_owned();

    // Newest first, one page at a time, checksums checked on request.
    let listed = call(&app, "GET", "/api/v1/backups?tenant=alpha&verify=true", &write, "");
    assert_eq!(listed.status, 200, "{}", listed.body);
    let list = listed.json();
    let ids: Vec<&str> = list["backups"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [newest.as_str(), id.as_str()], "{list}");
    assert!(list["backups"].as_array().unwrap().iter().all(|b| b["checksums_ok"] == true), "{list}");
    assert!(list["next_offset"].is_null(), "{list}");
    let page = call(&app, "GET", "/api/v1/backups?tenant=alpha&limit=1", &write, "").json();
    assert_eq!(page["backups"][0]["id"], newest.as_str(), "{page}");
    assert_eq!(page["backups"][0]["checksums_ok"], serde_json::Value::Null);
    assert_eq!(page["next_offset"], 1, "{page}");
    let next = call(&app, "GET", "/api/v1/backups?tenant=alpha&limit=1&offset=1", &write, "").json();
    assert_eq!(next["backups"][0]["id"], id.as_str(), "{next}");
    assert!(next["next_offset"].is_null(), "{next}");
    assert_eq!(call(&app, "GET", "/api/v1/backups?limit=0", &write, "").status, 422);
    let bad = call(&app, "GET", "/api/v1/backups?limit=many", &write, "");
    assert_eq!((bad.status, &bad.json()["error"]["code"]), (400, &serde_json::json!("bad_field")), "{}", bad.body);
    assert_eq!(call(&app, "GET", "/api/v1/backups?tenant=nobody", &write, "").status, 404);

    // A damaged blob shows in the verified list.
    let (_, manifest_key) = latest_backup(&tdb, Some(&alpha));
    let damaged = manifest(&Cli { url: tdb.url.clone(), data: app.data_dir.clone() }, &manifest_key);
    let dump_path = app.data_dir.join("blobs").join(&damaged.dump.key);
    let dump = std::fs::read(&dump_path).expect("the dump is in the app's store");
    std::fs::write(&dump_path, b"not a dump").unwrap();
    let checked = call(&app, "GET", "/api/v1/backups?tenant=alpha&verify=true", &write, "").json();
    assert_eq!(checked["backups"][0]["checksums_ok"], false, "{checked}");
    assert_eq!(checked["backups"][1]["checksums_ok"], true, "{checked}");
    std::fs::write(&dump_path, dump).unwrap();

    change_data(&tdb, &alpha, "added-later");
    assert_eq!(page_title(&tdb, &alpha, "stays"), "Edited after the backup");
    let restored = call(&app, "POST", "/api/v1/tenants/alpha/restore", &write, &format!(r#"{{"backup":"{id}"}}"#));
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(restored.json()["restored"]["backup_id"], id.as_str());
    assert_eq!(page_title(&tdb, &alpha, "stays"), "Stays");
    assert_eq!(page_title(&tdb, &alpha, "kept-until-changed"), "Deleted later");
    assert_eq!(count(&mut tdb.conn(), "SELECT count(*) AS n FROM t_alpha.pages WHERE slug = 'added-later'"), 0);
    assert_eq!(audited(&tdb, "tenant.restore", "alpha"), 1);
    let active = "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 'alpha' AND status = 'active'";
    assert_eq!(count(&mut tdb.conn(), active), 1, "the tenant is active again");

    // Without a backup named: the latest.
    change_data(&tdb, &alpha, "added-again");
    let latest = call(&app, "POST", "/api/v1/tenants/alpha/restore", &write, "");
    assert_eq!(latest.status, 200, "{}", latest.body);
    assert_eq!(latest.json()["restored"]["backup_id"], newest.as_str());
    assert_eq!(page_title(&tdb, &alpha, "stays"), "Stays");
}

#[test]
fn the_staff_api_refuses_another_tenants_backup_a_missing_one_a_moving_tenant_a_second_backup_and_a_read_token() {
    use crate::provisioning_api::{call, token};
    use provisioning::auth::Scopes;

    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let db = tdb.db(2);
    let (alpha, _beta) = (seed(&db, "alpha"), seed(&db, "beta"));
    let write = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));
    let beta_backup = call(&app, "POST", "/api/v1/tenants/beta/backups", &write, "");
    assert_eq!(beta_backup.status, 201, "{}", beta_backup.body);
    let beta_id = beta_backup.json()["backup"]["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&app, "POST", "/api/v1/tenants/alpha/backups", &write, "").status, 201);
    change_data(&tdb, &alpha, "added-later");
    let before = sums(&tdb, &alpha);

    let other = call(&app, "POST", "/api/v1/tenants/alpha/restore", &write, &format!(r#"{{"backup":"{beta_id}"}}"#));
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.json()["error"]["field"], "backup");
    assert!(other.body.contains("beta"), "{}", other.body);
    let missing = call(
        &app,
        "POST",
        "/api/v1/tenants/alpha/restore",
        &write,
        r#"{"backup":"00000000-0000-4000-8000-000000000001"}"#,
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert_eq!(call(&app, "POST", "/api/v1/tenants/alpha/restore", &write, r#"{"backup":"nope"}"#).status, 422);
    assert_eq!(call(&app, "POST", "/api/v1/tenants/alpha/restore", &write, r#"{"snapshot":1}"#).status, 400);
    assert_eq!(call(&app, "POST", "/api/v1/tenants/nobody/restore", &write, "").status, 404);
    assert_eq!(call(&app, "POST", "/api/v1/tenants/nobody/backups", &write, "").status, 404);

    // A tenant being moved: read-only in the catalog, or its move's lock held.
    tdb.conn().batch_execute("UPDATE catalog.tenants SET read_only = true WHERE slug = 'alpha'").unwrap();
    let moving = call(&app, "POST", "/api/v1/tenants/alpha/restore", &write, "");
    assert_eq!(moving.status, 409, "{}", moving.body);
    tdb.conn().batch_execute("UPDATE catalog.tenants SET read_only = false WHERE slug = 'alpha'").unwrap();
    let mut mover = tdb.conn();
    mover.batch_execute("SELECT pg_advisory_lock(hashtext('civitas.move:alpha'))").unwrap();
    let moving = call(&app, "POST", "/api/v1/tenants/alpha/restore", &write, "");
    assert_eq!(moving.status, 409, "{}", moving.body);
    mover.batch_execute("SELECT pg_advisory_unlock(hashtext('civitas.move:alpha'))").unwrap();

    // A backup of the tenant already running.
    let mut backer = tdb.conn();
    backer.batch_execute("SELECT pg_advisory_lock(hashtext('civitas.backup:alpha'))").unwrap();
    let running = call(&app, "POST", "/api/v1/tenants/alpha/backups", &write, "");
    assert_eq!(running.status, 409, "{}", running.body);
    backer.batch_execute("SELECT pg_advisory_unlock(hashtext('civitas.backup:alpha'))").unwrap();

    // A token that may only read can list, not back up or restore.
    let read = token(&tdb, Scopes::READ_ONLY, chrono::Duration::days(1));
    assert_eq!(call(&app, "POST", "/api/v1/tenants/alpha/restore", &read, "").status, 403);
    assert_eq!(call(&app, "POST", "/api/v1/tenants/alpha/backups", &read, "").status, 403);
    assert_eq!(call(&app, "POST", "/api/v1/tenants/alpha/restore", "cvt_nope", "").status, 401);
    let listed = call(&app, "GET", "/api/v1/backups", &read, "");
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.json()["backups"].as_array().unwrap().len(), 2, "{}", listed.body);

    assert_eq!(sums(&tdb, &alpha), before, "nothing refused changed the tenant");
    assert_eq!(page_title(&tdb, &alpha, "stays"), "Edited after the backup");
    assert_eq!(audited(&tdb, "tenant.restore_failed", "alpha"), 4);
    assert_eq!(audited(&tdb, "tenant.backup_failed", "alpha"), 1);
    assert_eq!(audited(&tdb, "tenant.restore", "alpha"), 0);
}
