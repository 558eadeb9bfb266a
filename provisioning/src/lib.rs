//! `provisioning`: the tenant lifecycle (create, change status, migrate).
//!
//! Every step that changes a tenant runs in one database transaction: PostgreSQL
//! DDL is transactional, so a failure or a `kill -9` at any moment leaves either
//! the whole tenant or nothing. It depends on `tenant-core` only and never on the
//! serving platform.
pub mod api;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod clusters;
pub mod console;
pub mod create_tenant;
pub mod delete_tenant;
pub mod export_tenant;
pub mod extra_migrations;
pub mod host_certificates;
pub mod identity_providers;
pub mod invitation;
pub mod jobs;
pub mod mail_settings;
mod migrate_tenants;
pub mod move_tenant;
pub mod pg_tools;
mod session_lock;
pub mod set_tenant_status;
mod spec;
pub mod staff;
pub mod sweep_files;
pub mod update_tenant;
pub mod upgrade_tenants;
pub mod usage;

pub use audit::Actor;
pub use create_tenant::{create_tenant, create_tenant_with, CreateTenantJob};
pub use migrate_tenants::{migrate_all, MigrationProgress};
pub use set_tenant_status::set_tenant_status;
pub use spec::{FieldError, Logo, TenantSpec};
