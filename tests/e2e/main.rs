//! End-to-end tests: the real server and CLI against a real PostgreSQL.
mod support;

mod cli;
mod database_down;
mod directory_notify;
mod isolation;
mod metrics;
mod migrations;
mod provisioning_atomicity;
mod routing;
