//! What the method of equal shares returns: winners and one explanation per project.

use serde::Serialize;

use crate::rules::election::ProjectIndex;
use crate::rules::greedy::GreedyExplanation;

/// A supporter's payment for a bought project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupporterPayment {
    /// The voter (ballot position).
    pub voter: usize,
    /// What they paid.
    pub amount: f64,
}

/// What happened to a project in the rounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum MesDecision {
    /// It costs nothing and has supporters: funded before the first round.
    Free,
    /// Bought in `round`.
    Bought {
        /// The round, from 1.
        round: usize,
        /// What each supporter who could afford it paid (the others paid all they had left).
        max_payment: f64,
        /// Price per unit of utility: `max_payment / cost` (cost utilities) or `max_payment`.
        rho: f64,
        /// `cost / max_payment`: the number of voters who would pay the same if all had enough.
        effective_votes: f64,
        /// Every supporter's payment, by voter.
        payments: Vec<SupporterPayment>,
    },
    /// Nobody approved it.
    NoSupporters,
    /// Even at the start its supporters' shares together were less than its cost.
    NeverAffordable {
        /// Their money together.
        supporters_money: f64,
    },
    /// Each round another project had a lower `ρ`; then its supporters, having paid for
    /// other projects, had less money together than its cost.
    Outbid {
        /// The last round in which its supporters could still pay for it.
        last_affordable_round: usize,
        /// Its payment per supporter in that round.
        max_payment: f64,
        /// Its `ρ` in that round: the best it could still have had.
        rho: f64,
        /// The project bought in that round instead.
        bought_instead: ProjectIndex,
        /// That project's `ρ`.
        winning_rho: f64,
        /// Its supporters' money together at the end of the rounds.
        supporters_money_at_end: f64,
    },
}

/// One project's part in the outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MesExplanation {
    /// The project.
    pub project: ProjectIndex,
    /// Its cost.
    pub cost: u64,
    /// Its approvals.
    pub votes: usize,
    /// What the rounds did with it.
    pub decision: MesDecision,
    /// For projects the rounds did not fund, what the greedy completion did, if it ran.
    pub completion: Option<GreedyExplanation>,
}

/// The result of the method of equal shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MesOutcome {
    /// Funded projects: free ones, then by round, then added by greedy completion.
    pub winners: Vec<ProjectIndex>,
    /// Their total cost.
    pub total_cost: u64,
    /// The per-voter share of the final run (after add1 steps).
    pub endowment: f64,
    /// add1 steps taken (0 without add1).
    pub add1_steps: u32,
    /// Runs that had to be redone in exact fractions.
    pub exact_runs: u32,
    /// One explanation per project, in input order.
    pub projects: Vec<MesExplanation>,
}
