//! What a tenant uses of its plan: accounts, stored files, and when someone last
//! signed in. Measured from its schema and its files ([`of`]); each measure is kept
//! in `catalog.tenant_usage` for the staff overview, refreshed for every tenant in
//! the background ([`spawn_refresher`]) and for one tenant whenever its page is read.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use serde::Serialize;
use tenant_core::accounts::users;
use tenant_core::blob::BlobStore;
use tenant_core::schema::catalog::tenant_usage;
use tenant_core::{CoreResult, Db, Tenant};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct Usage {
    pub users: i64,
    pub max_users: Option<i32>,
    pub storage_bytes: u64,
    pub max_storage_bytes: Option<i64>,
    pub last_sign_in_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Measures the tenant now and keeps the measure.
pub fn of(db: &Db, blobs: &dyn BlobStore, tenant: &Tenant) -> CoreResult<Usage> {
    let (users, last_sign_in_at) = db.tenant(tenant, users::activity)?;
    let usage = Usage {
        users,
        max_users: tenant.max_users,
        storage_bytes: blobs.tenant_usage(tenant.id)?,
        max_storage_bytes: tenant.max_storage_bytes,
        last_sign_in_at,
    };
    let storage = i64::try_from(usage.storage_bytes).unwrap_or(i64::MAX);
    db.catalog(|conn| {
        diesel::insert_into(tenant_usage::table)
            .values((
                tenant_usage::tenant_id.eq(tenant.id),
                tenant_usage::users.eq(usage.users),
                tenant_usage::storage_bytes.eq(storage),
                tenant_usage::last_sign_in_at.eq(usage.last_sign_in_at),
            ))
            .on_conflict(tenant_usage::tenant_id)
            .do_update()
            .set((
                tenant_usage::users.eq(usage.users),
                tenant_usage::storage_bytes.eq(storage),
                tenant_usage::last_sign_in_at.eq(usage.last_sign_in_at),
                tenant_usage::measured_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(usage)
}

/// The last measure of every tenant, by id.
#[derive(Clone, Debug, Serialize, Queryable)]
pub struct Measured {
    #[serde(skip)]
    pub tenant_id: Uuid,
    pub users: i64,
    pub storage_bytes: i64,
    pub last_sign_in_at: Option<chrono::DateTime<chrono::Utc>>,
    pub measured_at: chrono::DateTime<chrono::Utc>,
}

pub fn last_measures(conn: &mut diesel::PgConnection) -> CoreResult<HashMap<Uuid, Measured>> {
    let rows: Vec<Measured> = tenant_usage::table
        .select((
            tenant_usage::tenant_id,
            tenant_usage::users,
            tenant_usage::storage_bytes,
            tenant_usage::last_sign_in_at,
            tenant_usage::measured_at,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|m| (m.tenant_id, m)).collect())
}

/// Measures every served tenant (active or suspended); returns how many.
pub fn refresh_all(db: &Db, blobs: &dyn BlobStore) -> CoreResult<usize> {
    let tenants = db.catalog(tenant_core::catalog::load_all)?;
    let mut measured = 0;
    for tenant in tenants
        .iter()
        .filter(|t| matches!(t.status, tenant_core::TenantStatus::Active | tenant_core::TenantStatus::Suspended))
    {
        match of(db, blobs, tenant) {
            Ok(_) => measured += 1,
            Err(e) => tracing::warn!(tenant = %tenant.slug, error = %e, "tenant usage not measured"),
        }
    }
    Ok(measured)
}

/// Measures every tenant now and then every `every`, on a thread of its own.
pub fn spawn_refresher(db: Db, blobs: Arc<dyn BlobStore>, every: Duration) -> std::io::Result<()> {
    std::thread::Builder::new().name("usage-refresher".into()).spawn(move || loop {
        match refresh_all(&db, &*blobs) {
            Ok(n) => tracing::debug!(tenants = n, "tenant usage measured"),
            Err(e) => tracing::warn!(error = %e, "tenant usage not measured"),
        }
        std::thread::sleep(every);
    })?;
    Ok(())
}
