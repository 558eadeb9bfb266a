//! Rules that choose the funded projects from approval ballots.
//!
//! Each rule takes an [`Election`] and returns the winners in selection order, their
//! total cost, and one explanation per project (structured data a results page turns
//! into sentences):
//!
//! - [`greedy()`]: by number of votes, skipping what no longer fits;
//! - [`maximal_coverage()`]: reach the most voters with at least one funded project;
//! - [`method_of_equal_shares()`]: proportional, with cost or approval utilities and add1 /
//!   greedy completion.

mod coverage;
mod election;
mod greedy;
mod mes;
mod tie_breaking;

pub use coverage::{
    maximal_coverage, CoverageDecision, CoverageExplanation, CoverageGuarantee, CoverageOptions, CoverageOutcome,
    MODIFIED_GREEDY_GUARANTEE,
};
pub use election::{Election, ElectionError, ElectionProject, ProjectIndex, MAX_TOTAL};
pub use greedy::{greedy, GreedyDecision, GreedyExplanation, GreedyMetric, GreedyOptions, GreedyOutcome};
pub use mes::{
    method_of_equal_shares, Add1Options, Add1Start, Completion, ExhaustiveOver, MesDecision, MesError, MesExplanation,
    MesOptions, MesOutcome, SupporterPayment, Utility,
};
pub use tie_breaking::{TieBreak, TieBreaking, UnresolvedTie};
