//! Backups of each tenant and of the catalog, and the restore of one tenant.
//!
//! A backup is a set of blobs under its owner's id and one catalog row (`backups`):
//!
//! ```text
//! <tenant id>/backups/<yyyymmdd-hhmmss>-<backup id>/schema.dump     pg_dump -Fc of t_<slug>
//! <tenant id>/backups/<yyyymmdd-hhmmss>-<backup id>/manifest.json   what the backup holds
//! <tenant id>/backups/files/<sha256>                                 the tenant's files, by content
//! 00000000-0000-0000-0000-000000000000/backups/<stamp>-<id>/catalog.dump   the catalog
//! 00000000-0000-0000-0000-000000000000/backups/<stamp>-<id>/manifest.json
//! ```
//!
//! The dump, the row counts and checksums in the manifest and the migration version
//! are all read in one exported snapshot, so they describe the same instant. The
//! tenant's files are copied, once per distinct content (a file that did not change
//! is not stored again): a restore must bring back the attachments and images its
//! restored rows point to, including those deleted since. The catalog row pins the
//! manifest's SHA-256, the manifest pins every other blob's.
mod back_up;
mod prune;
mod restore_tenant;
mod status;
mod table_sums;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tenant_core::{DatabaseUrl, Db, Tenant};
use uuid::Uuid;

pub use back_up::{back_up_catalog, back_up_tenant, BackupOutcome};
pub use prune::{prune_backups, Pruned, Retention};
pub use restore_tenant::{not_its_own, restore_tenant, verify_backup, BackupChoice, RestoreOutcome};
pub use status::{last_successes, list_backups, list_page, BackupRow, BackupsHealth};
pub use table_sums::{table_sums, TableSum};

/// The manifest's format; a restore refuses any other.
pub const FORMAT: u32 = 1;

/// What a backup holds, written last, as `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub backup_id: Uuid,
    /// `tenant` or `catalog`.
    pub kind: String,
    /// The tenant's id and slug (absent for the catalog).
    pub tenant_id: Option<Uuid>,
    pub slug: Option<String>,
    /// The PostgreSQL schema dumped.
    pub schema: String,
    /// The latest migration applied to that schema when it was dumped.
    pub migration_version: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub snapshot: Snapshot,
    /// The dump itself.
    pub dump: StoredFile,
    /// Every table of the schema, as read in the snapshot.
    pub tables: Vec<TableSum>,
    /// The tenant's own files when it was backed up (not its exports or backups).
    pub files: Vec<TenantFile>,
}

/// The instant a dump shows.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// The exported snapshot `pg_dump` read (`pg_export_snapshot()`).
    pub id: String,
    /// The server's clock at the snapshot.
    pub taken_at: chrono::DateTime<chrono::Utc>,
    /// The write-ahead log position at the snapshot: a point-in-time recovery of the
    /// whole cluster to this LSN shows the same data (see deploy/BACKUPS.md).
    pub wal_lsn: String,
    pub server_version: String,
}

/// A blob of the backup, with what it must weigh and hash to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredFile {
    /// The stored key, `<owner id>/<name>`.
    pub key: String,
    pub size: u64,
    pub sha256: String,
}

/// One of the tenant's files: its name under the tenant, and where the backup keeps
/// a copy of its content.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TenantFile {
    pub name: String,
    #[serde(flatten)]
    pub stored: StoredFile,
}

/// The database holding `tenant`'s schema (its cluster's). The one place that answers it,
/// for dumps and restores.
pub fn tenant_database_url(db: &Db, tenant: &Tenant) -> tenant_core::CoreResult<DatabaseUrl> {
    db.cluster_url(&tenant.cluster)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `backups/<yyyymmdd-hhmmss>-<id>`: sorts by time, unique by id.
pub(crate) fn folder(id: Uuid, at: chrono::DateTime<chrono::Utc>) -> String {
    format!("backups/{}-{}", at.format("%Y%m%d-%H%M%S"), id.simple())
}
