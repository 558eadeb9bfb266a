//! Suspending and resuming a tenant.
use tenant_core::catalog;
use tenant_core::names::TenantSlug;
use tenant_core::{CoreResult, Db, Tenant, TenantStatus};

use crate::audit::{self, Actor};

/// Sets the status and returns the tenant as it now is. Serving processes learn of
/// it through the catalog trigger's NOTIFY.
pub fn set_tenant_status(db: &Db, slug: &TenantSlug, status: TenantStatus, actor: &Actor) -> CoreResult<Tenant> {
    db.catalog(|conn| {
        let previous = catalog::set_status(conn, slug, status)?;
        let action = if status == TenantStatus::Suspended { "tenant.suspend" } else { "tenant.resume" };
        audit::record(
            conn,
            actor,
            action,
            Some(slug.as_str()),
            Some(serde_json::json!({ "status": previous.as_str() })),
            Some(serde_json::json!({ "status": status.as_str() })),
        )?;
        tracing::info!(%slug, from = previous.as_str(), to = status.as_str(), "tenant status changed");
        catalog::load_one(conn, slug)
    })
}
