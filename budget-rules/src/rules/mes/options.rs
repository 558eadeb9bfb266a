//! The parameters of the method of equal shares, and its errors.

use serde::Serialize;

use crate::rules::greedy::GreedyOptions;
use crate::rules::tie_breaking::{TieBreaking, UnresolvedTie};

/// What a voter gains from a funded project they approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Utility {
    /// Its cost (equalshares.net; pabutools `Cost_Sat`): `ρ` is the share of the cost a
    /// supporter pays, per unit of money of the project.
    #[default]
    Cost,
    /// One per project (pabutools `Cardinality_Sat`): `ρ` is the payment per supporter.
    Approval,
}

/// Where the add1 completion starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Add1Start {
    /// At budget ÷ voters, exactly (pabutools).
    #[default]
    ExactShare,
    /// At budget ÷ voters rounded down to a whole unit (equalshares.net's "integral").
    WholeUnits,
}

/// Which projects add1 looks at to decide that an outcome is exhaustive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ExhaustiveOver {
    /// Projects with at least one vote (pabutools).
    #[default]
    SupportedProjects,
    /// All projects (equalshares.net).
    AllProjects,
}

/// Parameters of the add1 completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Add1Options {
    /// How much each voter's share grows per step, in money units (1 = one currency
    /// unit per voter, as equalshares.net and pabutools' `voter_budget_increment=1`).
    pub increment: u64,
    /// Where the share starts.
    pub start: Add1Start,
    /// What exhaustive means.
    pub exhaustive_over: ExhaustiveOver,
    /// Give up (with [`MesError::TooManySteps`]) after this many steps.
    pub max_steps: u32,
}

impl Add1Options {
    /// pabutools' `voter_budget_increment=increment`.
    pub fn pabutools(increment: u64) -> Self {
        Self {
            increment,
            start: Add1Start::ExactShare,
            exhaustive_over: ExhaustiveOver::SupportedProjects,
            max_steps: 100_000,
        }
    }

    /// equalshares.net's add1 with options "exhaustive" and "integral".
    pub fn equalshares_net(increment: u64) -> Self {
        Self {
            increment,
            start: Add1Start::WholeUnits,
            exhaustive_over: ExhaustiveOver::AllProjects,
            max_steps: 100_000,
        }
    }
}

impl Default for Add1Options {
    fn default() -> Self {
        Self::pabutools(1)
    }
}

/// What to do with the money the rounds leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Completion {
    /// Nothing.
    None,
    /// add1.
    Add1(Add1Options),
    /// add1, then greedy with [`MesOptions::greedy`] on the money left.
    Add1ThenGreedy(Add1Options),
    /// Greedy with [`MesOptions::greedy`] on the money left (equalshares.net "utilitarian").
    Greedy,
}

/// Parameters of the method of equal shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MesOptions {
    /// Cost or approval utilities.
    pub utility: Utility,
    /// What follows the rounds.
    pub completion: Completion,
    /// Between projects with the same `ρ` in a round.
    pub tie_breaking: TieBreaking,
    /// The greedy completion's ranking and tie-breaking.
    pub greedy: GreedyOptions,
}

impl Default for MesOptions {
    /// Cost utilities, add1 by 1 unit per voter then greedy, pabutools tie-breaking.
    fn default() -> Self {
        Self {
            utility: Utility::Cost,
            completion: Completion::Add1ThenGreedy(Add1Options::default()),
            tie_breaking: TieBreaking::default(),
            greedy: GreedyOptions::default(),
        }
    }
}

/// Why the method of equal shares gave no outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MesError {
    /// A tie the tie-breaking leaves.
    #[error(transparent)]
    UnresolvedTie(#[from] UnresolvedTie),
    /// add1 did not end within its step limit.
    #[error("add1 needed more than {0} steps; use a larger increment")]
    TooManySteps(u32),
    /// add1 with an increment of 0 would never end.
    #[error("the add1 increment must be at least 1")]
    ZeroIncrement,
}
