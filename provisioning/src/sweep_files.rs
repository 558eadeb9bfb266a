//! `civitas files sweep`: removes a tenant's orphan files, those no row names.
//!
//! An upload writes its file first and the row that names it after, so a crash or a
//! store write that timed out on our side (but completed on the store's) can leave a
//! file that nothing names: it takes room in the tenant's plan and is served to no
//! one. The sweep lists each tenant's files with their dates, then reads which ones
//! its rows name ([`tenant_core::blob_refs`]), and removes the files named by none
//! and older than a grace period: an upload still on its way to its row is never
//! that old, and a file is only ever named by the upload that wrote it, so an old
//! unnamed file can never become named later. The hosting company's copies
//! (exports, backups) are not the tenant's files and are left alone; so is a file
//! whose store gives no date.
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tenant_core::blob::{is_operator_copy, BlobStore};
use tenant_core::{blob_refs, CoreResult, Db, Tenant, TenantStatus};

/// How a sweep runs.
#[derive(Clone, Copy, Debug)]
pub struct SweepOptions {
    /// Files written less than this long ago are kept whatever names them.
    pub grace: Duration,
    /// Say what would go, remove nothing.
    pub dry_run: bool,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self { grace: Duration::minutes(60), dry_run: false }
    }
}

/// What a sweep found in one tenant.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Swept {
    pub tenant: String,
    /// The tenant's own files (copies left out).
    pub files: usize,
    /// Named by none of its rows and older than the grace period: removed (or, in a
    /// dry run, to be removed).
    pub orphans: Vec<String>,
    /// Named by none of its rows but recent, or undated: kept.
    pub kept_unnamed: usize,
}

/// Sweeps one tenant as of `now`.
pub fn sweep_tenant(
    db: &Db,
    blobs: &dyn BlobStore,
    tenant: &Tenant,
    options: SweepOptions,
    now: DateTime<Utc>,
) -> CoreResult<Swept> {
    // The listing first, then the rows: a file listed before its row was written is
    // recent, and kept by the grace period.
    let files: Vec<_> =
        blobs.list_tenant_dated(tenant.id)?.into_iter().filter(|(key, _)| !is_operator_copy(key.name())).collect();
    let named: HashSet<String> = db.tenant(tenant, |conn| blob_refs::referenced(conn, tenant))?;
    let mut swept = Swept { tenant: tenant.slug.as_str().to_owned(), files: files.len(), ..Swept::default() };
    for (key, written) in files {
        if named.contains(key.name()) {
            continue;
        }
        match written {
            Some(at) if now - at >= options.grace => {
                if !options.dry_run {
                    blobs.delete(&key)?;
                }
                swept.orphans.push(key.name().to_owned());
            }
            _ => swept.kept_unnamed += 1,
        }
    }
    if !swept.orphans.is_empty() {
        tracing::info!(tenant = %tenant.slug, orphans = swept.orphans.len(), dry_run = options.dry_run, "orphan files swept");
    }
    Ok(swept)
}

/// Sweeps every active or suspended tenant (or those of `only`), one after the other;
/// a tenant that fails does not stop the others: its error comes back in its place.
pub fn sweep_all(
    db: &Db,
    blobs: Arc<dyn BlobStore>,
    only: &[tenant_core::names::TenantSlug],
    options: SweepOptions,
) -> CoreResult<Vec<(String, CoreResult<Swept>)>> {
    let tenants = db.catalog(tenant_core::catalog::load_all)?;
    let now = Utc::now();
    Ok(tenants
        .iter()
        .filter(|t| matches!(t.status, TenantStatus::Active | TenantStatus::Suspended))
        .filter(|t| only.is_empty() || only.contains(&t.slug))
        .map(|t| (t.slug.as_str().to_owned(), sweep_tenant(db, &*blobs, t, options, now)))
        .collect())
}
