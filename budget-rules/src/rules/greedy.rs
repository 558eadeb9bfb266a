//! Greedy by votes: rank projects by approvals, fund each in turn if it still fits.
//!
//! This is pabutools' `greedy_utilitarian_welfare` with `Cost_Sat` (whose
//! satisfaction-per-cost density is exactly the number of votes) and the greedy
//! completion of equalshares.net. [`GreedyMetric::VotesPerCost`] is the same function
//! with `Cardinality_Sat` (votes divided by cost). A project that does not fit is
//! skipped and the next ones are still tried.
//!
//! Ties in the ranking are broken by [`GreedyOptions::tie_breaking`]; pabutools
//! breaks them by project id in text order ([`TieBreaking::pabutools`], the default).
//! Projects nobody approved are not funded unless
//! [`GreedyOptions::fund_projects_without_votes`] is set (pabutools and equalshares.net
//! would fund them last if they still fit; no reference instance has such a case).

use std::cmp::Ordering;

use serde::Serialize;

use super::election::{Election, ProjectIndex};
use super::tie_breaking::{TieBreaking, UnresolvedTie};

/// What the greedy rule ranks projects by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum GreedyMetric {
    /// The number of approvals (pabutools `Cost_Sat`).
    #[default]
    Votes,
    /// Approvals divided by cost (pabutools `Cardinality_Sat`); a free project with votes comes first.
    VotesPerCost,
}

/// Parameters of the greedy rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GreedyOptions {
    /// The ranking.
    pub metric: GreedyMetric,
    /// Between projects of equal rank.
    pub tie_breaking: TieBreaking,
    /// Fund projects that nobody approved if money is left (as pabutools does).
    pub fund_projects_without_votes: bool,
}

/// What happened to a project under the greedy rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum GreedyDecision {
    /// Funded; this much money was left after it.
    Funded {
        /// Budget left after paying for it.
        remaining_after: u64,
    },
    /// Its turn came when less money was left than it costs.
    DidNotFit {
        /// Budget left when its turn came.
        remaining_budget: u64,
    },
    /// Nobody approved it, so it is not funded.
    NoVotes,
}

/// One project's part in the greedy outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GreedyExplanation {
    /// The project.
    pub project: ProjectIndex,
    /// Its approvals.
    pub votes: usize,
    /// Its cost.
    pub cost: u64,
    /// Its place in the ranking, from 1.
    pub rank: usize,
    /// Funded or why not.
    pub decision: GreedyDecision,
}

/// The result of the greedy rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GreedyOutcome {
    /// Funded projects in the order they were funded.
    pub winners: Vec<ProjectIndex>,
    /// Their total cost.
    pub total_cost: u64,
    /// One explanation per project, in input order.
    pub projects: Vec<GreedyExplanation>,
}

/// Greedy by votes (or votes per cost) on the whole budget.
pub fn greedy(election: &Election, options: &GreedyOptions) -> Result<GreedyOutcome, UnresolvedTie> {
    let all: Vec<ProjectIndex> = (0..election.projects().len()).collect();
    let explanations = greedy_from(election, options, &all, election.budget())?;
    let mut ranked: Vec<&GreedyExplanation> = explanations.iter().collect();
    ranked.sort_by_key(|e| e.rank);
    let winners: Vec<ProjectIndex> =
        ranked.iter().filter(|e| matches!(e.decision, GreedyDecision::Funded { .. })).map(|e| e.project).collect();
    Ok(GreedyOutcome { total_cost: election.cost_of(&winners), winners, projects: explanations })
}

/// Runs the greedy rule over `candidates` with `budget` to spend; returns one explanation
/// per candidate, in the order of `candidates`.
pub(crate) fn greedy_from(
    election: &Election,
    options: &GreedyOptions,
    candidates: &[ProjectIndex],
    budget: u64,
) -> Result<Vec<GreedyExplanation>, UnresolvedTie> {
    let mut ranking = candidates.to_vec();
    let compare = |&a: &ProjectIndex, &b: &ProjectIndex| {
        let voted = |p| election.votes(p) > 0;
        voted(b)
            .cmp(&voted(a))
            .then_with(|| density_order(election, options.metric, a, b))
            .then_with(|| options.tie_breaking.compare(election, a, b))
    };
    ranking.sort_by(compare);
    if let Some(pair) = ranking.windows(2).find(|pair| compare(&pair[0], &pair[1]) == Ordering::Equal) {
        return Err(UnresolvedTie { projects: election.ids(pair) });
    }
    let mut remaining = budget;
    let mut decisions = Vec::with_capacity(ranking.len());
    for (position, &project) in ranking.iter().enumerate() {
        let cost = election.project(project).cost;
        let decision = if election.votes(project) == 0 && !options.fund_projects_without_votes {
            GreedyDecision::NoVotes
        } else if cost <= remaining {
            remaining -= cost;
            GreedyDecision::Funded { remaining_after: remaining }
        } else {
            GreedyDecision::DidNotFit { remaining_budget: remaining }
        };
        decisions.push(GreedyExplanation {
            project,
            votes: election.votes(project),
            cost,
            rank: position + 1,
            decision,
        });
    }
    // Back to the order of `candidates`.
    let mut place = vec![0; election.projects().len()];
    for (i, &c) in candidates.iter().enumerate() {
        place[c] = i;
    }
    decisions.sort_by_key(|d| place[d.project]);
    Ok(decisions)
}

/// `Less` when `a` ranks before `b` by the metric alone.
fn density_order(election: &Election, metric: GreedyMetric, a: ProjectIndex, b: ProjectIndex) -> Ordering {
    let (va, vb) = (election.votes(a) as u128, election.votes(b) as u128);
    match metric {
        GreedyMetric::Votes => vb.cmp(&va),
        GreedyMetric::VotesPerCost => {
            let (ca, cb) = (u128::from(election.project(a).cost), u128::from(election.project(b).cost));
            // A free project with votes has infinite density; with no votes, zero.
            let infinite = |v: u128, c: u128| v > 0 && c == 0;
            match (infinite(va, ca), infinite(vb, cb)) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) if va == 0 || vb == 0 => vb.min(1).cmp(&va.min(1)),
                (false, false) => (vb * ca).cmp(&(va * cb)),
            }
        }
    }
}
