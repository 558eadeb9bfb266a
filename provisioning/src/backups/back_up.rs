//! Writing one backup: a tenant's schema and files, or the catalog.
use std::collections::HashSet;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use tenant_core::blob::{self, BlobKey, BlobStore, PLATFORM};
use tenant_core::schema::catalog::backups;
use tenant_core::{CoreError, CoreResult, DatabaseUrl, Db, Tenant};
use uuid::Uuid;

use super::table_sums::{table_sums, TableSum, STABLE_TEXT};
use super::{folder, sha256_hex, tenant_database_url, Manifest, Snapshot, StoredFile, TenantFile, FORMAT};
use crate::pg_tools::{qualified, PgTools};

/// A backup written.
#[derive(Debug)]
pub struct BackupOutcome {
    pub id: Uuid,
    pub manifest_key: String,
    /// The bytes the backup stands on: dump, manifest and the tenant's files.
    pub size_bytes: u64,
    pub tables: usize,
    pub rows: i64,
    pub files: usize,
}

/// What one snapshot showed: the dump and what the manifest says of it.
struct Dumped {
    dump: Vec<u8>,
    snapshot: Snapshot,
    tables: Vec<TableSum>,
    migration_version: Option<String>,
}

/// Dumps `schema` and reads its tables' counts and checksums and its migration
/// version in one exported snapshot, held open while `pg_dump` reads it.
fn dump_in_snapshot(url: &DatabaseUrl, schema: &str) -> CoreResult<Dumped> {
    #[derive(QueryableByName)]
    struct Snap {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        taken_at: chrono::DateTime<chrono::Utc>,
        #[diesel(sql_type = diesel::sql_types::Text)]
        wal_lsn: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        server_version: String,
    }
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        version: Option<String>,
    }
    let mut conn = PgConnection::establish(url.expose()).map_err(|e| CoreError::Unavailable(e.to_string()))?;
    let tools = PgTools::for_server(&mut conn)?;
    conn.build_transaction().repeatable_read().read_only().run(|conn| {
        conn.batch_execute(STABLE_TEXT)?;
        let snap: Snap = diesel::sql_query(
            "SELECT pg_export_snapshot() AS id, now() AS taken_at, \
             (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS wal_lsn, \
             current_setting('server_version') AS server_version",
        )
        .get_result(conn)?;
        let tables = table_sums(conn, schema)?;
        if tables.is_empty() {
            return Err(CoreError::NotFound(format!("schema {schema} has no tables")));
        }
        let migration_version = if tables.iter().any(|t| t.name == "__diesel_schema_migrations") {
            let v: Version = diesel::sql_query(format!(
                "SELECT max(version)::text AS version FROM {}",
                qualified(schema, "__diesel_schema_migrations")?
            ))
            .get_result(conn)?;
            v.version
        } else {
            None
        };
        let dump = tools.dump_schema(url, schema, &snap.id)?;
        Ok(Dumped {
            dump,
            snapshot: Snapshot {
                id: snap.id,
                taken_at: snap.taken_at,
                wal_lsn: snap.wal_lsn,
                server_version: snap.server_version,
            },
            tables,
            migration_version,
        })
    })
}

fn stored(key: &BlobKey, bytes: &[u8]) -> StoredFile {
    StoredFile { key: key.to_stored(), size: bytes.len() as u64, sha256: sha256_hex(bytes) }
}

/// Records the start of a backup, so a crashed one shows as `running` forever
/// rather than not at all.
fn start(db: &Db, id: Uuid, tenant: Option<&Tenant>) -> CoreResult<chrono::DateTime<chrono::Utc>> {
    db.catalog(|conn| {
        Ok(diesel::insert_into(backups::table)
            .values((
                backups::id.eq(id),
                backups::tenant_id.eq(tenant.map(|t| t.id)),
                backups::slug.eq(tenant.map(|t| t.slug.as_str()).unwrap_or("")),
            ))
            .returning(backups::started_at)
            .get_result(conn)?)
    })
}

fn finish(db: &Db, id: Uuid, result: &CoreResult<(BackupOutcome, String)>) -> CoreResult<()> {
    db.catalog(|conn| {
        let row = backups::table.find(id);
        match result {
            Ok((outcome, manifest_sha)) => diesel::update(row)
                .set((
                    backups::status.eq("succeeded"),
                    backups::finished_at.eq(diesel::dsl::now),
                    backups::manifest_key.eq(&outcome.manifest_key),
                    backups::manifest_sha256.eq(manifest_sha),
                    backups::size_bytes.eq(outcome.size_bytes as i64),
                ))
                .execute(conn)?,
            Err(e) => diesel::update(row)
                .set((
                    backups::status.eq("failed"),
                    backups::finished_at.eq(diesel::dsl::now),
                    backups::error.eq(e.to_string()),
                ))
                .execute(conn)?,
        };
        Ok(())
    })
}

/// Runs `write` between the catalog row's start and finish.
fn recorded(
    db: &Db,
    tenant: Option<&Tenant>,
    write: impl FnOnce(Uuid, chrono::DateTime<chrono::Utc>) -> CoreResult<(BackupOutcome, String)>,
) -> CoreResult<BackupOutcome> {
    let id = Uuid::new_v4();
    let started = start(db, id, tenant)?;
    let result = write(id, started);
    finish(db, id, &result)?;
    result.map(|(outcome, _)| outcome)
}

/// One backup of a tenant at a time, across processes: a session lock on a catalog
/// connection held until the backup ends (a crashed backup releases it).
fn take_backup_lock(db: &Db, tenant: &Tenant) -> CoreResult<PgConnection> {
    crate::session_lock::try_hold(db, &format!("civitas.backup:{}", tenant.slug))?
        .ok_or_else(|| CoreError::Conflict(format!("a backup of tenant {} is already running", tenant.slug)))
}

/// Backs up one tenant: its schema, its files, and a manifest. Refused (conflict)
/// while another backup of the same tenant runs.
pub fn back_up_tenant(db: &Db, blobs: &dyn BlobStore, tenant: &Tenant) -> CoreResult<BackupOutcome> {
    let _lock = take_backup_lock(db, tenant)?;
    recorded(db, Some(tenant), |id, started| {
        let dumped = dump_in_snapshot(&tenant_database_url(db, tenant)?, tenant.schema.as_str())?;
        let base = folder(id, started);
        let dump_key = BlobKey::new(tenant.id, &format!("{base}/schema.dump"))?;
        blobs.put(&dump_key, &dumped.dump)?;
        let dump = stored(&dump_key, &dumped.dump);
        let mut size = dump.size;
        // Each distinct content once, under its SHA-256: unchanged files cost nothing
        // on the next backup.
        let listed = blobs.list_tenant(tenant.id)?;
        let kept: HashSet<&str> = listed.iter().filter_map(|k| k.name().strip_prefix("backups/files/")).collect();
        let mut files = Vec::new();
        for key in listed.iter().filter(|k| !blob::is_operator_copy(k.name())) {
            let Some(bytes) = blobs.get(key)? else { continue }; // deleted meanwhile
            let sha = sha256_hex(&bytes);
            let copy = BlobKey::new(tenant.id, &format!("backups/files/{sha}"))?;
            if !kept.contains(sha.as_str()) {
                blobs.put(&copy, &bytes)?;
            }
            size += bytes.len() as u64;
            files.push(TenantFile { name: key.name().to_owned(), stored: stored(&copy, &bytes) });
        }
        let manifest = Manifest {
            format: FORMAT,
            backup_id: id,
            kind: "tenant".into(),
            tenant_id: Some(tenant.id),
            slug: Some(tenant.slug.to_string()),
            schema: tenant.schema.to_string(),
            migration_version: dumped.migration_version,
            created_at: started,
            snapshot: dumped.snapshot,
            dump,
            tables: dumped.tables,
            files,
        };
        write_manifest(blobs, BlobKey::new(tenant.id, &format!("{base}/manifest.json"))?, manifest, size)
    })
}

/// Backs up the catalog (tenants, hosts, staff, settings, jobs, audit log, the
/// backups' own records) into the platform's reserved space.
pub fn back_up_catalog(db: &Db, blobs: &dyn BlobStore) -> CoreResult<BackupOutcome> {
    recorded(db, None, |id, started| {
        let dumped = dump_in_snapshot(db.url(), "catalog")?;
        let base = folder(id, started);
        let dump_key = BlobKey::platform(&format!("{base}/catalog.dump"))?;
        blobs.put(&dump_key, &dumped.dump)?;
        let dump = stored(&dump_key, &dumped.dump);
        let size = dump.size;
        let manifest = Manifest {
            format: FORMAT,
            backup_id: id,
            kind: "catalog".into(),
            tenant_id: None,
            slug: None,
            schema: "catalog".into(),
            migration_version: dumped.migration_version,
            created_at: started,
            snapshot: dumped.snapshot,
            dump,
            tables: dumped.tables,
            files: Vec::new(),
        };
        debug_assert_eq!(dump_key.tenant(), PLATFORM);
        write_manifest(blobs, BlobKey::platform(&format!("{base}/manifest.json"))?, manifest, size)
    })
}

/// Writes the manifest last: a backup without one is incomplete by construction.
fn write_manifest(
    blobs: &dyn BlobStore,
    key: BlobKey,
    manifest: Manifest,
    size: u64,
) -> CoreResult<(BackupOutcome, String)> {
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| CoreError::Invalid(e.to_string()))?;
    blobs.put(&key, &bytes)?;
    let outcome = BackupOutcome {
        id: manifest.backup_id,
        manifest_key: key.to_stored(),
        size_bytes: size + bytes.len() as u64,
        tables: manifest.tables.len(),
        rows: manifest.tables.iter().map(|t| t.rows).sum(),
        files: manifest.files.len(),
    };
    Ok((outcome, sha256_hex(&bytes)))
}
