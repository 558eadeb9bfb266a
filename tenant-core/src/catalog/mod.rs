//! Catalog rows: tenants, their hosts and modules.
pub mod certificates;
pub mod clusters;
pub mod keys;
mod load;
mod write;

pub use load::{load_all, load_one};
pub use write::{insert_tenant, set_status, update_tenant, NewTenant, TenantChanges};
