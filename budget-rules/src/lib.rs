//! `budget-rules`: participatory budgeting results, computed from approval ballots.
//!
//! It owns two things: reading and writing PaBuLib `.pb` files ([`pb`]) and the rules
//! that choose funded projects, each with an explanation per project ([`rules`]).
//! It must stay pure: no database, no HTTP, no files, no clock, no randomness.
//! `tenant-core` feeds it stored ballots and keeps the results.

pub mod decimal;
pub mod pb;
pub mod rules;

pub use decimal::Decimal;
