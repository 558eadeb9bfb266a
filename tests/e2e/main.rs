//! End-to-end tests: the real server and CLI against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a failed expectation is the test failing
mod support;

mod accounts;
mod backups;
mod budgets;
mod cli;
mod clusters;
mod comments;
mod console;
mod database_down;
mod demo;
mod directory_notify;
mod embedded_cluster;
mod file_sweep;
mod graceful_shutdown;
mod invitation;
mod isolation;
mod jobs;
mod metrics;
mod migrations;
mod notifications;
mod oidc;
mod permissions;
mod petition_crash;
mod petitions;
mod proposals;
mod provisioning_api;
mod provisioning_atomicity;
mod purge_exports;
mod routing;
mod s3_storage;
mod spaces;
mod tenant_admin;
mod tenant_mail;
mod tls;
mod upgrade_crash;
