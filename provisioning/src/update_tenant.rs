//! Changing a tenant: one transaction, audited with the tenant before and after.
use tenant_core::blob::{BlobKey, BlobStore};
use tenant_core::catalog::{self, TenantChanges};
use tenant_core::names::TenantSlug;
use tenant_core::{CoreResult, Db, Tenant};

use crate::audit::{self, Actor};
use crate::spec::Logo;

/// Applies `changes` (and a new logo, if given) and returns the tenant as it now is.
pub fn update_tenant(
    db: &Db,
    blobs: &dyn BlobStore,
    slug: &TenantSlug,
    mut changes: TenantChanges,
    logo: Option<Logo>,
    actor: &Actor,
) -> CoreResult<Tenant> {
    let before = db.catalog(|conn| catalog::load_one(conn, slug))?;
    // The new logo is written first under a name of its own; the old one is removed
    // once the change has committed.
    if let (Some(l), Some(max)) = (&logo, before.max_storage_bytes) {
        // The old logo goes once the new one is in: count the new one on top.
        let used = blobs.tenant_usage(before.id)?;
        if used + l.bytes.len() as u64 > max as u64 {
            return Err(tenant_core::CoreError::Invalid(format!(
                "storage: the logo does not fit in the plan ({} of {} MiB used)",
                used / (1024 * 1024),
                max / (1024 * 1024)
            )));
        }
    }
    let new_key = match &logo {
        Some(l) => {
            let key = BlobKey::new(before.id, &format!("branding/logo-r{}.{}", before.revision + 1, l.extension))?;
            blobs.put(&key, &l.bytes)?;
            changes.logo_key = Some(Some(key.to_stored()));
            Some(key)
        }
        None => None,
    };
    let result = db.catalog(|conn| {
        catalog::update_tenant(conn, slug, &changes)?;
        let after = catalog::load_one(conn, slug)?;
        audit::record(
            conn,
            actor,
            "tenant.update",
            Some(slug.as_str()),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )?;
        Ok(after)
    });
    match (&result, new_key) {
        (Ok(_), Some(_)) => {
            if let Some(old) = before.logo_key.as_deref().and_then(|k| BlobKey::parse_owned(before.id, k).ok()) {
                let _ = blobs.delete(&old);
            }
        }
        (Err(_), Some(key)) => {
            let _ = blobs.delete(&key);
        }
        _ => {}
    }
    result
}
