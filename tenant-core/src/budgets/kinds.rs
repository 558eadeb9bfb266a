//! The kinds a budget chooses from: its ballot rule, its results rule, and what a
//! voter gains under the method of equal shares.
use serde::Serialize;

use crate::error::{CoreError, CoreResult};

/// What a ballot must respect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The chosen projects cost at most the budget (with optional limits on their
    /// number and a minimum share of the budget to spend).
    Knapsack,
    /// Approval voting: at most K projects, whatever they cost.
    Approval,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Knapsack => "knapsack",
            RuleKind::Approval => "approval",
        }
    }

    pub fn parse(s: &str) -> CoreResult<RuleKind> {
        match s {
            "knapsack" => Ok(RuleKind::Knapsack),
            "approval" => Ok(RuleKind::Approval),
            other => Err(CoreError::Invalid(format!("rule: knapsack or approval (not {other:?})"))),
        }
    }
}

/// The rule that chooses the funded projects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultsRule {
    /// Greedy by number of votes.
    Greedy,
    /// Maximal coverage: the most voters with at least one funded project.
    Coverage,
    /// The method of equal shares, completed by add1 then greedy.
    EqualShares,
}

impl ResultsRule {
    pub const ALL: [ResultsRule; 3] = [ResultsRule::Greedy, ResultsRule::Coverage, ResultsRule::EqualShares];

    pub fn as_str(self) -> &'static str {
        match self {
            ResultsRule::Greedy => "greedy",
            ResultsRule::Coverage => "coverage",
            ResultsRule::EqualShares => "equal_shares",
        }
    }

    pub fn parse(s: &str) -> CoreResult<ResultsRule> {
        ResultsRule::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| CoreError::Invalid(format!("results_rule: greedy, coverage or equal_shares (not {s:?})")))
    }
}

/// What a voter gains from a funded project, for the method of equal shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MesUtility {
    /// Its cost (each euro of a project one approves counts).
    Cost,
    /// One per approved project.
    Approval,
}

impl MesUtility {
    pub fn as_str(self) -> &'static str {
        match self {
            MesUtility::Cost => "cost",
            MesUtility::Approval => "approval",
        }
    }

    pub fn parse(s: &str) -> CoreResult<MesUtility> {
        match s {
            "cost" => Ok(MesUtility::Cost),
            "approval" => Ok(MesUtility::Approval),
            other => Err(CoreError::Invalid(format!("mes_utility: cost or approval (not {other:?})"))),
        }
    }
}
