//! Which of a tenant's files its rows name: the one list of the columns that hold a
//! blob key, for the orphan sweep (`civitas files sweep`). A file no row names is an
//! orphan: an upload whose row was never written (a crash, or an S3 write that timed
//! out on our side but completed on the store's).
//!
//! Each column holds the key's stored form, `<tenant id>/<name>`
//! ([`crate::blob::BlobKey::to_stored`]). The catalog names one more: the tenant's
//! logo (`tenants.logo_key`, on [`crate::Tenant`]).
use std::collections::HashSet;

use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};

use crate::blob::BlobKey;
use crate::error::CoreResult;
use crate::tenant::Tenant;

/// Every tenant table and column that names a file of the blob store. A migration
/// that adds such a column adds it here (a test compares this list with the tenant
/// schema's columns).
pub const TENANT_FILE_COLUMNS: &[(&str, &str)] =
    &[("proposal_attachments", "blob_key"), ("budget_project_images", "blob_key"), ("spaces", "hero_image_key")];

/// The names (without the tenant id) of every file `tenant`'s rows and its catalog
/// entry name. `conn` is in a transaction scoped to the tenant ([`crate::Db::tenant`]).
pub fn referenced(conn: &mut PgConnection, tenant: &Tenant) -> CoreResult<HashSet<String>> {
    #[derive(QueryableByName)]
    struct Key {
        #[diesel(sql_type = Text)]
        key: String,
    }
    // Fixed identifiers from the list above, never input.
    let sql = TENANT_FILE_COLUMNS
        .iter()
        .map(|(table, column)| format!("SELECT {column} AS key FROM {table} WHERE {column} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let stored: Vec<Key> = diesel::sql_query(sql).load(conn)?;
    let mut names = HashSet::new();
    for stored in stored.iter().map(|k| k.key.as_str()).chain(tenant.logo_key.as_deref()) {
        // A value that is not this tenant's key names none of its files.
        if let Ok(key) = BlobKey::parse_owned(tenant.id, stored) {
            names.insert(key.name().to_owned());
        }
    }
    Ok(names)
}
