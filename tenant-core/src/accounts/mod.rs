//! People of a tenant: accounts, sessions, one-use email links, linked identities,
//! verifications and anonymous proofs. Every function takes a connection already
//! scoped to one tenant's schema ([`crate::Db::tenant`]); none can reach another's.
//!
//! Hashing of secrets (passwords, cookie and link tokens) happens at the edge; this
//! module stores and compares hashes only.
pub mod export;
pub mod identities;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod verifications;

pub use users::{User, UserRole};
