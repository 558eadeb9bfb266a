//! A purged tenant leaves no export archive behind in the blob store, even one
//! written while the purge ran.
use std::sync::Arc;
use std::time::Duration;

use diesel::RunQueryDsl;
use provisioning::auth::Scopes;
use provisioning::delete_tenant::{delete_tenant, PurgeTenantJob};
use provisioning::export_tenant::{enqueue_export, ExportTenantJob};
use provisioning::jobs::{JobHandler, JobStatus, Runner, RunnerOptions};
use provisioning::Actor;
use tenant_core::blob::{BlobKey, BlobStore, LocalBlobStore};
use tenant_core::names::TenantSlug;

use crate::provisioning_api::{call, token, wait_for_job};
use crate::support::app::temp_dir;
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

#[test]
fn purging_a_tenant_removes_its_export_archives_from_the_blob_store() {
    let tdb = TestDb::new();
    let app = TestApp::start(&tdb, TestConfig::default());
    let token = token(&tdb, Scopes::READ_WRITE, chrono::Duration::days(1));
    let created =
        call(&app, "POST", "/api/v1/tenants", &token, r#"{"slug":"brest","name":"Brest","hosts":["brest.test"]}"#);
    assert_eq!(wait_for_job(&app, &token, created.header("location").unwrap())["status"], "succeeded");
    let tenant_id =
        call(&app, "GET", "/api/v1/tenants/brest", &token, "").json()["tenant"]["id"].as_str().unwrap().to_owned();
    let started = call(&app, "POST", "/api/v1/tenants/brest/exports", &token, "");
    assert_eq!(wait_for_job(&app, &token, started.header("location").unwrap())["status"], "succeeded");
    let export_id = call(&app, "GET", "/api/v1/tenants/brest/exports", &token, "").json()["exports"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let archive = app.data_dir.join("blobs").join(&tenant_id).join("exports").join(format!("{export_id}.tar.gz"));
    assert!(archive.is_file(), "the export is in the blob store at {}", archive.display());

    // An export exists, so no waiver is needed; no retention: purged at once.
    let deleted = call(&app, "DELETE", "/api/v1/tenants/brest", &token, r#"{"retention_days":0}"#);
    assert_eq!(deleted.status, 202, "{}", deleted.body);
    let job = wait_for_job(&app, &token, deleted.header("location").unwrap());
    assert_eq!((job["status"].as_str(), job["result"]["purged"].as_bool()), (Some("succeeded"), Some(true)), "{job}");
    assert!(!archive.exists(), "the export archive outlived its tenant");
    assert!(!app.data_dir.join("blobs").join(&tenant_id).exists(), "files of the purged tenant are left");
    assert_eq!(count(&mut tdb.conn(), "SELECT count(*) AS n FROM catalog.tenant_exports"), 0);
}

#[test]
fn an_export_whose_tenant_was_purged_while_it_wrote_the_archive_removes_the_archive() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let blobs_dir = temp_dir("blobs");
    let blobs = Arc::new(LocalBlobStore::new(&blobs_dir));
    let tenant = tenants::create(&db, "morlaix", &["morlaix.test"], &[]);
    let slug = TenantSlug::parse("morlaix").unwrap();
    let export = enqueue_export(&db, &slug, &Actor::system()).unwrap();
    let handlers: Vec<Arc<dyn JobHandler>> =
        vec![Arc::new(ExportTenantJob { blobs: blobs.clone() }), Arc::new(PurgeTenantJob { blobs: blobs.clone() })];
    let runner =
        Runner::new(tdb.db(2), handlers, RunnerOptions { poll: Duration::from_millis(50), ..RunnerOptions::default() });
    // The purge runs first to the end...
    let purge = delete_tenant(&db, &slug, 0, true, &Actor::system()).unwrap();
    assert_eq!(runner.run_job("w", purge).unwrap().status, JobStatus::Succeeded);
    // ...while the export, which had read the tenant before, writes its archive
    // after the purge removed the tenant's files (its "archive" step is done).
    let mut conn = tdb.conn();
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let export_id =
        diesel::sql_query(format!("SELECT payload->>'export_id' AS id FROM catalog.jobs WHERE id = '{export}'"))
            .get_result::<Id>(&mut conn)
            .unwrap()
            .id;
    let key = BlobKey::new(tenant.id, &format!("exports/{export_id}.tar.gz")).unwrap();
    blobs.put(&key, b"an archive of a tenant that is gone").unwrap();
    diesel::sql_query(format!("UPDATE catalog.jobs SET steps_done = '{{archive}}' WHERE id = '{export}'"))
        .execute(&mut conn)
        .unwrap();

    let outcome = runner.run_job("w", export);
    assert!(outcome.is_err(), "the export cannot be recorded for a purged tenant");
    let failed = db.catalog(|c| provisioning::jobs::find(c, export)).unwrap();
    assert_eq!(failed.status, JobStatus::Failed, "not retried: {:?}", failed.error);
    assert!(failed.error.as_deref().unwrap_or("").contains("purged"), "{:?}", failed.error);
    assert_eq!(blobs.get(&key).unwrap(), None, "the archive outlived its tenant");
    assert!(blobs.list_tenant(tenant.id).unwrap().is_empty());
}
