//! Bringing every tenant schema to the current migration set.
use tenant_core::migrations::{run_tenant_in, TENANT};
use tenant_core::{catalog, CoreResult, Db};

/// One line of progress: which tenant, and the versions applied to it.
#[derive(Debug)]
pub struct MigrationProgress<'a> {
    pub slug: &'a str,
    pub index: usize,
    pub total: usize,
    pub applied: &'a [String],
}

/// Migrates each tenant in its own transaction; stops at the first failure, leaving
/// that tenant as it was.
pub fn migrate_all(db: &Db, mut progress: impl FnMut(MigrationProgress<'_>)) -> CoreResult<usize> {
    let tenants = db.catalog(catalog::load_all)?;
    let total = tenants.len();
    for (i, tenant) in tenants.iter().enumerate() {
        let applied = db.on_cluster(&tenant.cluster, |conn| run_tenant_in(conn, &tenant.schema, TENANT))?;
        progress(MigrationProgress { slug: tenant.slug.as_str(), index: i + 1, total, applied: &applied });
    }
    Ok(total)
}
