//! What a tenant uses of its plan: accounts, stored files, and when someone last
//! signed in. Read on demand (one tenant at a time), from its schema and its files.
use serde::Serialize;
use tenant_core::accounts::users;
use tenant_core::blob::BlobStore;
use tenant_core::{CoreResult, Db, Tenant};

#[derive(Debug, Serialize)]
pub struct Usage {
    pub users: i64,
    pub max_users: Option<i32>,
    pub storage_bytes: u64,
    pub max_storage_bytes: Option<i64>,
    pub last_sign_in_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn of(db: &Db, blobs: &dyn BlobStore, tenant: &Tenant) -> CoreResult<Usage> {
    let (users, last_sign_in_at) = db.tenant(tenant, users::activity)?;
    Ok(Usage {
        users,
        max_users: tenant.max_users,
        storage_bytes: blobs.tenant_usage(tenant.id)?,
        max_storage_bytes: tenant.max_storage_bytes,
        last_sign_in_at,
    })
}
