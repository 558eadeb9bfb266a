//! Restoring one tenant to its state in one of its backups, leaving every other
//! tenant alone.
//!
//! 1. Everything is read and checked before anything changes: the manifest against
//!    the SHA-256 the catalog row pins, the dump and each file against the manifest.
//!    A missing or damaged blob stops here, with nothing changed.
//! 2. The tenant is suspended (503 with the maintenance page) unless it already was.
//! 3. Files the backup has and the store lost are put back (new names only: the
//!    current rows do not point to them, so this changes nothing the tenant shows).
//! 4. One `psql` transaction drops the schema, recreates it from the dump, then
//!    checks every table's row count and checksum against the manifest; any
//!    difference or error rolls all of it back, the old schema untouched.
//! 5. Migrations newer than the backup are applied; files whose content changed
//!    since the backup get the backup's content back.
//! 6. The tenant gets its previous status back, whether the restore worked or not.
//!
//! Files added since the backup are kept: nothing points to them any more, and a
//! restore never deletes.
use diesel::prelude::*;
use tenant_core::blob::{self, BlobKey, BlobStore};
use tenant_core::migrations::{run_tenant_in, TENANT};
use tenant_core::names::TenantSlug;
use tenant_core::schema::catalog::{backups, tenants};
use tenant_core::{catalog, CoreError, CoreResult, Db, Tenant, TenantStatus};
use uuid::Uuid;

use super::table_sums::verification_sql;
use super::{sha256_hex, tenant_database_url, Manifest, StoredFile, FORMAT};
use crate::audit::{self, Actor};
use crate::pg_tools::PgTools;

/// Which backup to restore.
#[derive(Clone, Copy, Debug)]
pub enum BackupChoice {
    /// The tenant's most recent successful backup.
    Latest,
    Id(Uuid),
}

impl BackupChoice {
    /// `latest` or a backup id.
    pub fn parse(raw: &str) -> CoreResult<Self> {
        if raw == "latest" {
            return Ok(Self::Latest);
        }
        Uuid::parse_str(raw)
            .map(Self::Id)
            .map_err(|_| CoreError::Invalid(format!("--backup: expected `latest` or a backup id, not {raw:?}")))
    }
}

/// What a restore did.
#[derive(Debug, serde::Serialize)]
pub struct RestoreOutcome {
    pub backup_id: Uuid,
    /// The instant the tenant's data is back at.
    pub snapshot_taken_at: chrono::DateTime<chrono::Utc>,
    pub tables: usize,
    pub rows: i64,
    /// Files written back (missing or changed since the backup).
    pub files_restored: usize,
    /// Migrations newer than the backup, applied after it.
    pub migrations_applied: Vec<String>,
}

/// A backup read from the store and checked, ready to restore.
struct Checked {
    manifest: Manifest,
    dump: Vec<u8>,
    files: Vec<(String, Vec<u8>)>,
}

/// Restores tenant `slug` from one of its backups. See the module's documentation.
pub fn restore_tenant(
    db: &Db,
    blobs: &dyn BlobStore,
    slug: &TenantSlug,
    choice: BackupChoice,
    actor: &Actor,
) -> CoreResult<RestoreOutcome> {
    let tenant = db.catalog(|conn| catalog::load_one(conn, slug))?;
    if !matches!(tenant.status, TenantStatus::Active | TenantStatus::Suspended) {
        return Err(CoreError::Conflict(format!(
            "tenant {slug} is {}: only an active or suspended tenant can be restored",
            tenant.status.as_str()
        )));
    }
    // Held for the whole restore: a move of this tenant cannot start meanwhile.
    let _no_move = hold_move_lock(db, slug)?;
    if tenant.read_only {
        return Err(CoreError::Conflict(format!(
            "tenant {slug} is read-only while it is being moved: restore it once the move is over"
        )));
    }
    let url = tenant_database_url(db, &tenant)?;
    let mut lock = PgConnection::establish(url.expose()).map_err(|e| CoreError::Unavailable(e.to_string()))?;
    take_restore_lock(&mut lock, &tenant)?;
    let tools = PgTools::for_server(&mut lock)?;

    let row = find_backup(db, &tenant, choice)?;
    let checked = read_and_check(blobs, &tenant, &row)?;
    let known = known_migrations()?;
    if let Some(newer) = checked.manifest.migration_version.as_ref().filter(|v| !known.contains(v)) {
        return Err(CoreError::Invalid(format!(
            "backup {} comes from a newer Civitas (migration {newer}); upgrade this one first. Nothing was changed.",
            row.0
        )));
    }
    let mut script =
        format!("SET LOCAL lock_timeout = '60s';\nDROP SCHEMA {} CASCADE;\n", tenant.schema.quoted()).into_bytes();
    script.extend(tools.archive_to_sql(&checked.dump)?);
    script.extend(verification_sql(tenant.schema.as_str(), &checked.manifest.tables)?.into_bytes());

    let previous = tenant.status;
    if previous == TenantStatus::Active {
        crate::set_tenant_status(db, slug, TenantStatus::Suspended, actor)?;
    }
    let restored = apply(db, blobs, &tools, &tenant, &checked, &script, actor);
    if previous == TenantStatus::Active {
        if let Err(e) = crate::set_tenant_status(db, slug, TenantStatus::Active, actor) {
            let what = if restored.is_ok() { "was restored" } else { "was left as it was" };
            return Err(CoreError::Unavailable(format!(
                "tenant {slug} {what} but stays suspended: resuming it failed ({e}); run `civitas tenant resume {slug}`"
            )));
        }
    }
    restored
}

/// Steps 3 to 5, while the tenant is suspended.
fn apply(
    db: &Db,
    blobs: &dyn BlobStore,
    tools: &PgTools,
    tenant: &Tenant,
    checked: &Checked,
    script: &[u8],
    actor: &Actor,
) -> CoreResult<RestoreOutcome> {
    let mut files_restored = 0;
    for (name, bytes) in &checked.files {
        let key = BlobKey::new(tenant.id, name)?;
        if blobs.get(&key)?.is_none() {
            blobs.put(&key, bytes)?;
            files_restored += 1;
        }
    }
    tools.run_in_one_transaction(&tenant_database_url(db, tenant)?, script).map_err(|e| {
        CoreError::Invalid(format!(
            "the backup could not be restored, and tenant {} was left as it was: {e}",
            tenant.slug
        ))
    })?;
    let migrations_applied =
        db.on_cluster(&tenant.cluster, |conn| run_tenant_in(conn, &tenant.schema, TENANT)).map_err(|e| {
            CoreError::Migration(format!(
                "tenant {} was restored but migrating it to this version failed ({e}); \
             run `civitas migrate`, then `civitas tenant resume {}`",
                tenant.slug, tenant.slug
            ))
        })?;
    for (name, bytes) in &checked.files {
        let key = BlobKey::new(tenant.id, name)?;
        if blobs.get(&key)?.is_none_or(|now| now != *bytes) {
            blobs.put(&key, bytes)?;
            files_restored += 1;
        }
    }
    let m = &checked.manifest;
    db.catalog(|conn| {
        audit::record(
            conn,
            actor,
            "tenant.restore",
            Some(tenant.slug.as_str()),
            None,
            Some(serde_json::json!({
                "backup": m.backup_id,
                "snapshot_taken_at": m.snapshot.taken_at,
                "migrations_applied": migrations_applied,
            })),
        )
    })?;
    Ok(RestoreOutcome {
        backup_id: m.backup_id,
        snapshot_taken_at: m.snapshot.taken_at,
        tables: m.tables.len(),
        rows: m.tables.iter().map(|t| t.rows).sum(),
        files_restored,
        migrations_applied,
    })
}

/// One restore of a tenant at a time, across processes: a session lock on a
/// connection the restore holds until it ends.
fn take_restore_lock(conn: &mut PgConnection, tenant: &Tenant) -> CoreResult<()> {
    if crate::session_lock::try_lock(conn, &format!("civitas.restore:{}", tenant.slug))? {
        Ok(())
    } else {
        Err(CoreError::Conflict(format!("a restore of tenant {} is already running", tenant.slug)))
    }
}

/// The lock a move of tenant `slug` holds (see `move_tenant`), taken on a session of
/// its own: refused while the tenant is being moved, and no move starts until it is
/// released.
fn hold_move_lock(db: &Db, slug: &TenantSlug) -> CoreResult<PgConnection> {
    crate::session_lock::try_hold(db, &crate::move_tenant::lock_name(slug))?
        .ok_or_else(|| CoreError::Conflict(format!("tenant {slug} is being moved: restore it once the move is over")))
}

/// Checks that backup `id` exists, is a tenant's, and that its manifest, dump and
/// files are all there and match their checksums. `Ok(false)` names what is wrong
/// in the log only; errors are the catalog's or the store's.
pub fn verify_backup(db: &Db, blobs: &dyn BlobStore, id: Uuid) -> CoreResult<bool> {
    let found = db.catalog(|conn| {
        let row: Option<(Option<Uuid>, Option<String>, Option<String>)> = backups::table
            .find(id)
            .filter(backups::status.eq("succeeded"))
            .select((backups::tenant_id, backups::manifest_key, backups::manifest_sha256))
            .first(conn)
            .optional()?;
        let Some((Some(tenant_id), Some(key), Some(sha))) = row else { return Ok(None) };
        let slug: Option<String> = tenants::table.find(tenant_id).select(tenants::slug).first(conn).optional()?;
        let Some(slug) = slug.and_then(|s| TenantSlug::parse(&s).ok()) else { return Ok(None) };
        Ok(Some((catalog::load_one(conn, &slug)?, key, sha)))
    })?;
    let Some((tenant, key, sha)) = found else { return Ok(false) };
    match read_and_check(blobs, &tenant, &(id, key, sha)) {
        Ok(_) => Ok(true),
        Err(CoreError::Invalid(why)) => {
            tracing::warn!(backup = %id, reason = %why, "backup check failed");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The backup's id, manifest key and manifest checksum, from the catalog.
fn find_backup(db: &Db, tenant: &Tenant, choice: BackupChoice) -> CoreResult<(Uuid, String, String)> {
    db.catalog(|conn| {
        let mut query = backups::table
            .filter(backups::tenant_id.eq(tenant.id).and(backups::status.eq("succeeded")))
            .order(backups::started_at.desc())
            .select((backups::id, backups::manifest_key, backups::manifest_sha256))
            .into_boxed();
        if let BackupChoice::Id(id) = choice {
            query = query.filter(backups::id.eq(id));
        }
        let found: Option<(Uuid, Option<String>, Option<String>)> = query.first(conn).optional()?;
        match found {
            Some((id, Some(key), Some(sha))) => Ok((id, key, sha)),
            _ => {
                if let BackupChoice::Id(id) = choice {
                    if let Some(refusal) = not_its_own(conn, tenant, id)? {
                        return Err(CoreError::Invalid(refusal));
                    }
                }
                Err(CoreError::NotFound(match choice {
                    BackupChoice::Latest => format!("tenant {} has no successful backup", tenant.slug),
                    BackupChoice::Id(id) => format!("tenant {} has no successful backup {id}", tenant.slug),
                }))
            }
        }
    })
}

/// Why backup `id` cannot restore `tenant` when it is another tenant's or the
/// catalog's (`None` when it is the tenant's own, or no backup at all).
pub fn not_its_own(conn: &mut PgConnection, tenant: &Tenant, id: Uuid) -> CoreResult<Option<String>> {
    let owner: Option<String> = backups::table
        .find(id)
        .filter(backups::tenant_id.is_distinct_from(Some(tenant.id)))
        .select(backups::slug)
        .first(conn)
        .optional()?;
    Ok(owner.map(|owner| {
        let whose = if owner.is_empty() { "the catalog".to_owned() } else { format!("tenant {owner}") };
        format!(
            "backup {id} is {whose}'s, not tenant {}'s: a tenant can only be restored from its own backups. Nothing was changed.",
            tenant.slug
        )
    }))
}

/// Reads the manifest, the dump and every file, and checks each against what pins it.
fn read_and_check(blobs: &dyn BlobStore, tenant: &Tenant, row: &(Uuid, String, String)) -> CoreResult<Checked> {
    let (id, manifest_key, manifest_sha) = row;
    let damaged = |what: String| {
        CoreError::Invalid(format!(
            "backup {id} of tenant {} is damaged: {what}. Nothing was changed; restore another backup (--backup ID).",
            tenant.slug
        ))
    };
    let read = |stored: &StoredFile, what: &str| -> CoreResult<Vec<u8>> {
        let key = BlobKey::parse_owned(tenant.id, &stored.key)
            .map_err(|_| damaged(format!("{what} is not this tenant's")))?;
        let bytes = blobs.get(&key)?.ok_or_else(|| damaged(format!("{what} ({}) is missing", stored.key)))?;
        let sha = sha256_hex(&bytes);
        if bytes.len() as u64 != stored.size || sha != stored.sha256 {
            return Err(damaged(format!(
                "{what} ({}) does not match its checksum: SHA-256 {sha} and {} bytes, the manifest says {} and {} bytes",
                stored.key,
                bytes.len(),
                stored.sha256,
                stored.size
            )));
        }
        Ok(bytes)
    };
    let manifest_bytes = blobs
        .get(&BlobKey::parse_owned(tenant.id, manifest_key)?)?
        .ok_or_else(|| damaged(format!("its manifest ({manifest_key}) is missing")))?;
    if sha256_hex(&manifest_bytes) != *manifest_sha {
        return Err(damaged(format!("its manifest ({manifest_key}) does not match the checksum the catalog recorded")));
    }
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| damaged(format!("its manifest does not parse: {e}")))?;
    if manifest.format != FORMAT || manifest.kind != "tenant" {
        return Err(damaged(format!("its manifest is of format {} ({})", manifest.format, manifest.kind)));
    }
    if manifest.tenant_id != Some(tenant.id) || manifest.schema != tenant.schema.as_str() {
        return Err(damaged("its manifest names another tenant or schema".into()));
    }
    let dump = read(&manifest.dump, "the schema dump")?;
    let mut files = Vec::with_capacity(manifest.files.len());
    for file in &manifest.files {
        if blob::is_operator_copy(&file.name) {
            return Err(damaged(format!("file {} is not one of the tenant's own", file.name)));
        }
        files.push((file.name.clone(), read(&file.stored, &format!("file {}", file.name))?));
    }
    Ok(Checked { manifest, dump, files })
}

fn known_migrations() -> CoreResult<Vec<String>> {
    Ok(diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&TENANT)
        .map_err(|e| CoreError::Migration(e.to_string()))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
}
