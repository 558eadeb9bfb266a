//! One file per subcommand.
pub mod backup;
pub mod cluster;
pub mod demo;
mod demo_budgets;
mod demo_participation;
mod demo_petitions;
pub mod files;
pub mod migrate;
pub mod notifications;
pub mod provision;
pub mod secrets;
pub mod serve;
pub mod staff;
pub mod tenant;
