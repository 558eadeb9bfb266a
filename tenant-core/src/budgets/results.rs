//! Results: the three rules of `budget-rules` run on a budget's confirmed ballots.
//!
//! [`load`] reads the inputs (the budget, its projects in order, each confirmed
//! ballot's approved projects) and [`compute`] runs greedy by votes, maximal coverage
//! and the method of equal shares (add1 then greedy completion) on them, with the
//! options below, which the tests also use to run the crate directly on a file.
//! Nothing is stored: results follow the ballots. Project ids in the election are the
//! projects' PaBuLib ids, so ties are broken as pabutools breaks them (id in text
//! order) and a budget imported from a file gives the file's results.
use std::hash::{Hash, Hasher};

use budget_rules::rules::{
    greedy, maximal_coverage, method_of_equal_shares, Add1Options, Completion, CoverageOptions, CoverageOutcome,
    Election, ElectionError, GreedyOptions, GreedyOutcome, MesOptions, MesOutcome, ProjectIndex, TieBreaking, Utility,
};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use serde::Serialize;

use super::projects::{self, Project};
use super::{Budget, MesUtility, ResultsRule};
use crate::db::prepared::prepared;
use crate::error::CoreResult;
use crate::names::Locale;

/// What the rules read.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub budget: Budget,
    /// In the budget's order.
    pub projects: Vec<Project>,
    /// Each confirmed ballot's approved projects, by PaBuLib id.
    pub ballots: Vec<Vec<String>>,
}

impl Inputs {
    /// A digest of everything the results depend on, to key a cache with: any
    /// change of a ballot, a project's id or cost, or the budget's settings gives
    /// another key, so a cached result is never stale.
    pub fn fingerprint(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let b = &self.budget;
        (b.id, b.amount, b.money_scale, b.mes_utility.as_str(), b.add1_increment).hash(&mut h);
        for p in &self.projects {
            (&p.pb_id, p.amount).hash(&mut h);
        }
        self.ballots.hash(&mut h);
        h.finish()
    }

    /// The election the rules read: money in the budget's units.
    pub fn election(&self) -> Result<Election, ElectionError> {
        let units = |n: i64| u64::try_from(n).unwrap_or(0);
        Election::with_scale(
            units(self.budget.amount),
            self.budget.money_scale,
            self.projects.iter().map(|p| (p.pb_id.clone(), units(p.amount))),
            self.ballots.iter(),
        )
    }
}

/// Reads a budget's inputs; `None` when it is not a budget of this component.
pub fn load(
    conn: &mut PgConnection,
    component_id: i64,
    budget_id: i64,
    order: &[Locale],
) -> CoreResult<Option<Inputs>> {
    let Some(budget) = super::find(conn, component_id, budget_id, order)? else { return Ok(None) };
    let projects = projects::list(conn, budget_id)?;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Array<Text>)]
        projects: Vec<String>,
    }
    // Ordered by the ballots' random ids: the order says nothing of when people voted.
    let rows: Vec<Row> = prepared(
        "SELECT array(SELECT p.pb_id FROM budget_ballot_projects s JOIN budget_projects p ON p.id = s.project_id
                      WHERE s.ballot_id = b.id ORDER BY p.position, p.id) AS projects
         FROM budget_ballots b WHERE b.budget_id = $1 AND b.state = 'confirmed' ORDER BY b.id",
    )
    .bind::<BigInt, _>(budget_id)
    .load(conn)?;
    Ok(Some(Inputs { budget, projects, ballots: rows.into_iter().map(|r| r.projects).collect() }))
}

/// Greedy by votes, as the results use it: ties by project id in text order, projects
/// nobody approved never funded.
pub fn greedy_options() -> GreedyOptions {
    GreedyOptions { tie_breaking: TieBreaking::pabutools(), ..GreedyOptions::default() }
}

/// Maximal coverage, as the results use it (exact search up to 100,000 nodes or
/// 2·10^8 voter groups looked at, a few seconds at most).
pub fn coverage_options() -> CoverageOptions {
    CoverageOptions { tie_breaking: TieBreaking::pabutools(), ..CoverageOptions::default() }
}

/// The method of equal shares with add1 (`increment` units per voter and step,
/// starting from the exact share, as pabutools) then greedy completion.
pub fn mes_options(utility: MesUtility, increment: u64) -> MesOptions {
    MesOptions {
        utility: match utility {
            MesUtility::Cost => Utility::Cost,
            MesUtility::Approval => Utility::Approval,
        },
        completion: Completion::Add1ThenGreedy(Add1Options::pabutools(increment.max(1))),
        tie_breaking: TieBreaking::pabutools(),
        greedy: greedy_options(),
    }
}

/// The add1 step when the budget leaves it automatic: the largest power of ten at
/// most a hundredth of each voter's share (at least one unit), so that add1 takes
/// about a hundred steps to double the shares.
pub fn auto_increment(budget: u64, voters: usize) -> u64 {
    let share = budget / (voters.max(1) as u64);
    let target = share / 100;
    let mut step = 1u64;
    while step.saturating_mul(10) <= target {
        step *= 10;
    }
    step
}

/// The add1 step of a budget with `voters` ballots.
pub fn increment_for(budget: &Budget, voters: usize) -> u64 {
    match u64::try_from(budget.add1_increment) {
        Ok(n) if n > 0 => n,
        _ => auto_increment(u64::try_from(budget.amount).unwrap_or(0), voters),
    }
}

/// One rule's outcome, as the side-by-side shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub rule: ResultsRule,
    /// Funded projects (indices into the projects), in the order the rule chose them.
    pub winners: Vec<ProjectIndex>,
    pub total_cost: u64,
    /// Voters with at least one approved project funded.
    pub represented: usize,
    /// Why the rule gave no outcome, if it did not.
    pub error: Option<String>,
}

/// The three rules' outcomes.
#[derive(Clone, Debug, Serialize)]
pub struct Results {
    /// Confirmed ballots.
    pub voters: usize,
    /// Ballots approving at least one project.
    pub voters_with_approvals: usize,
    pub money_scale: u32,
    /// The add1 step used by equal shares.
    pub increment: u64,
    /// Greedy, coverage, equal shares, in that order.
    pub summaries: Vec<Summary>,
    pub greedy: Option<GreedyOutcome>,
    pub coverage: CoverageOutcome,
    pub mes: Option<MesOutcome>,
    /// Votes per project, in project order.
    pub votes: Vec<usize>,
}

impl Results {
    pub fn summary(&self, rule: ResultsRule) -> Option<&Summary> {
        self.summaries.iter().find(|s| s.rule == rule)
    }
}

/// Voters whose ballot approves at least one of `winners`.
pub fn represented(election: &Election, winners: &[ProjectIndex]) -> usize {
    let mut funded = vec![false; election.projects().len()];
    for &w in winners {
        funded[w] = true;
    }
    election.ballots().iter().filter(|b| b.iter().any(|&p| funded[p])).count()
}

/// Runs the three rules on `inputs` (a pure computation, outside any transaction).
pub fn compute(inputs: &Inputs) -> Result<Results, ElectionError> {
    let election = inputs.election()?;
    let increment = increment_for(&inputs.budget, election.voter_count());
    let summary = |rule, winners: &[ProjectIndex], total_cost| Summary {
        rule,
        winners: winners.to_vec(),
        total_cost,
        represented: represented(&election, winners),
        error: None,
    };
    let failed = |rule, e: String| Summary { rule, winners: Vec::new(), total_cost: 0, represented: 0, error: Some(e) };
    let greedy_outcome = greedy(&election, &greedy_options());
    let coverage = maximal_coverage(&election, &coverage_options());
    let mes = method_of_equal_shares(&election, &mes_options(inputs.budget.mes_utility, increment));
    let summaries = vec![
        match &greedy_outcome {
            Ok(o) => summary(ResultsRule::Greedy, &o.winners, o.total_cost),
            Err(e) => failed(ResultsRule::Greedy, e.to_string()),
        },
        summary(ResultsRule::Coverage, &coverage.winners, coverage.total_cost),
        match &mes {
            Ok(o) => summary(ResultsRule::EqualShares, &o.winners, o.total_cost),
            Err(e) => failed(ResultsRule::EqualShares, e.to_string()),
        },
    ];
    Ok(Results {
        voters: election.voter_count(),
        voters_with_approvals: election.ballots().iter().filter(|b| !b.is_empty()).count(),
        money_scale: election.money_scale(),
        increment,
        summaries,
        greedy: greedy_outcome.ok(),
        coverage,
        mes: mes.ok(),
        votes: (0..election.projects().len()).map(|p| election.votes(p)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_automatic_add1_step_is_a_hundredth_of_a_share_at_most() {
        // Wieliczka: 1,000,000 PLN, 6,586 voters: 151 PLN each, steps of 1.
        assert_eq!(auto_increment(1_000_000, 6_586), 1);
        // Bielany: 4,321,791 PLN, 409 voters: 10,566 each, steps of 100.
        assert_eq!(auto_increment(4_321_791, 409), 100);
        // Budapest: 1e9 HUF, 402 voters: 2,487,562 each, steps of 10,000.
        assert_eq!(auto_increment(1_000_000_000, 402), 10_000);
        assert_eq!(auto_increment(50, 0), 1);
        assert_eq!(auto_increment(0, 10), 1);
    }

    #[test]
    fn represented_voters_have_a_funded_project() {
        let projects = [("a", 5), ("b", 5), ("c", 5)].map(|(id, c)| (id.to_string(), c));
        let ballots = vec![vec!["a"], vec!["b", "c"], vec!["c"], vec![]];
        let election = Election::new(10, projects, ballots).unwrap();
        assert_eq!(represented(&election, &[0]), 1);
        assert_eq!(represented(&election, &[2]), 2);
        assert_eq!(represented(&election, &[0, 1]), 2);
        assert_eq!(represented(&election, &[]), 0);
    }
}
