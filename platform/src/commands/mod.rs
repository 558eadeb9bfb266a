//! One file per subcommand.
pub mod demo;
pub mod migrate;
pub mod serve;
pub mod tenant;
