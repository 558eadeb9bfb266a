//! Suspending and resuming a tenant.
use tenant_core::catalog;
use tenant_core::names::TenantSlug;
use tenant_core::{CoreResult, Db, Tenant, TenantStatus};

/// Sets the status and returns the tenant as it now is. Serving processes learn of
/// it through the catalog trigger's NOTIFY.
pub fn set_tenant_status(db: &Db, slug: &TenantSlug, status: TenantStatus) -> CoreResult<Tenant> {
    db.catalog(|conn| {
        let previous = catalog::set_status(conn, slug, status)?;
        tracing::info!(%slug, from = previous.as_str(), to = status.as_str(), "tenant status changed");
        catalog::load_one(conn, slug)
    })
}
