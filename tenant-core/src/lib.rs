//! `tenant-core`: the tenant model and the only door to the database.
//!
//! It owns the connection pools, tenant schemas and their migrations, the in-memory
//! tenant directory, the blob store and the domain rows. It must never know about
//! HTTP: no actix-web, no templates, no OpenID client (CI checks its dependency tree).
//! Code that holds a [`Tenant`] reaches that tenant's rows through [`Db::tenant`],
//! which scopes a transaction to the tenant's schema; there is no other way in.
pub mod accounts;
pub mod admin_log;
pub mod blob;
pub mod blob_refs;
pub mod budgets;
pub mod catalog;
pub mod comments;
pub mod components;
pub mod content;
pub mod content_versions;
pub mod db;
pub mod directory;
pub mod error;
pub mod follows;
pub mod mail;
pub mod mentions;
pub mod migrations;
pub mod moderation;
pub mod names;
pub mod notifications;
pub mod petitions;
pub mod profiles;
pub mod proposals;
pub mod rate_limits;
pub mod resources;
pub mod richtext;
pub mod schema;
pub mod secrets;
pub mod space_edits;
pub mod space_events;
pub mod spaces;
pub mod tenant;

pub use db::{DatabaseUrl, Db, PoolOptions, PoolStatus, DEFAULT_MAX_TENANTS_PER_CONNECTION};
pub use directory::{Directory, HostMatch};
pub use error::{CoreError, CoreResult};
pub use tenant::{Tenant, TenantStatus};
