//! Test support: a real PostgreSQL, the real server, a raw HTTP client.
#![allow(dead_code)]
pub mod app;
pub mod browser;
pub mod cluster;
pub mod http;
pub mod oidc;
pub mod s3;
pub mod smtp;
pub mod sql;
pub mod tenants;

pub use app::{TestApp, TestConfig};
pub use cluster::TestDb;
