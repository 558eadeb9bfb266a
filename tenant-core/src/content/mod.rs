//! Rows inside a tenant schema. Every function takes a connection that
//! [`crate::Db::tenant`] has already scoped to one tenant.
pub mod blog;
pub mod home_blocks;
pub mod pages;
