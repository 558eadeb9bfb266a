//! One run of the method of equal shares at a fixed per-voter endowment.
//!
//! Each voter starts with the endowment. Each round, for every project its supporters
//! can still afford, the *water level* `t` is the payment that splits its cost as
//! equally as their money allows (those with less than `t` pay all they have, the others
//! pay `t`). The project with the lowest price per unit of utility `ρ` is bought:
//! `ρ = t / cost` with cost utilities, `ρ = t` with approval utilities. The run ends when
//! no project is affordable. This follows pabutools' `method_of_equal_shares` and
//! equalshares.net step by step, including their skipping of projects whose previous
//! `ρ`, a lower bound of the current one, is already worse than the round's best.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;

use super::groups::Groups;
use super::number::{Comparison, Number};
use super::Utility;
use crate::rules::election::{Election, ProjectIndex};
use crate::rules::tie_breaking::{TieBreaking, UnresolvedTie};

/// What a run needs besides the endowment, computed once per election.
pub(crate) struct Prepared<'a> {
    pub election: &'a Election,
    pub utility: Utility,
    /// Free projects with supporters: funded before the first round (as pabutools does).
    pub free: Vec<ProjectIndex>,
    /// Projects with supporters and a positive cost: the ones the rounds compete over.
    pub eligible: Vec<ProjectIndex>,
    /// Projects with the same cost and the same supporters share a class: their `ρ` is
    /// always the same number, so a tie between them is certain even in floats.
    clone_class: Vec<usize>,
    /// Voters who approve the same eligible projects, who hold the same money in a run.
    groups: Groups,
}

impl<'a> Prepared<'a> {
    /// `many_runs`: whether several runs will follow (add1), which pays for grouping the
    /// voters by ballot; otherwise each voter is a group of its own.
    pub fn new(election: &'a Election, utility: Utility, many_runs: bool) -> Self {
        let mut free = Vec::new();
        let mut eligible = Vec::new();
        let mut classes: FxHashMap<(u64, &[u32]), usize> = FxHashMap::default();
        let mut clone_class = Vec::with_capacity(election.projects().len());
        for (p, project) in election.projects().iter().enumerate() {
            let supporters = election.supporters(p);
            let next = classes.len();
            clone_class.push(*classes.entry((project.cost, supporters)).or_insert(next));
            if supporters.is_empty() {
                continue;
            }
            if project.cost == 0 {
                free.push(p);
            } else {
                eligible.push(p);
            }
        }
        let groups =
            if many_runs { Groups::new(election, &eligible) } else { Groups::one_per_voter(election, &eligible) };
        Self { election, utility, free, eligible, clone_class, groups }
    }
}

/// A run could not finish.
#[derive(Debug)]
pub(crate) enum RunError {
    /// Floats could not certify a decision: redo the run exactly.
    TooClose,
    /// A tie the tie-breaking does not resolve.
    Tie(UnresolvedTie),
}

/// The payment of one round.
#[derive(Debug, Clone)]
pub(crate) struct RoundRecord {
    pub winner: ProjectIndex,
    pub max_payment: f64,
    pub rho: f64,
    pub payments: Vec<(u32, f64)>,
}

/// What happened to one project during a recorded run.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProjectRecord {
    /// The last round in which its supporters could afford it, with its `t` and `ρ` then.
    pub last_affordable: Option<(usize, f64, f64)>,
    /// The round in which its supporters' money fell below its cost.
    pub dropped_in_round: Option<usize>,
    /// Its supporters' money when it dropped.
    pub money_when_dropped: f64,
}

/// Everything a recorded run saw, for explanations.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub rounds: Vec<RoundRecord>,
    pub projects: Vec<ProjectRecord>,
    /// Each project's supporters' money at the end.
    pub final_money: Vec<f64>,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// Free projects first, then one per round.
    pub winners: Vec<ProjectIndex>,
    pub record: Option<Record>,
}

struct Candidate<N> {
    project: ProjectIndex,
    rho: N,
    payment: N,
    /// `ρ` as an exact fraction of integers, known when every supporter pays the same.
    exact_rho: Option<(u128, u128)>,
    money_too_close: bool,
}

/// Buffers that runs reuse, so that add1's many runs do not allocate them each time.
pub(crate) struct Workspace<N> {
    /// Each group's money left, per voter of the group.
    budgets: Vec<N>,
    /// The supporting groups of the project being evaluated that have money left: their
    /// money per voter and their number of voters.
    rich: Vec<(N, u64)>,
}

impl<N> Default for Workspace<N> {
    fn default() -> Self {
        Self { budgets: Vec::new(), rich: Vec::new() }
    }
}

/// Runs the rounds with `endowment` per voter. With `record`, every project is evaluated
/// every round (no skipping) and the details are kept.
pub(crate) fn run<N: Number>(
    prepared: &Prepared<'_>,
    endowment: &N,
    tie_breaking: &TieBreaking,
    record: bool,
    workspace: &mut Workspace<N>,
) -> Result<Run, RunError> {
    let election = prepared.election;
    let Workspace { budgets, rich } = workspace;
    budgets.clear();
    budgets.resize(prepared.groups.count, endowment.clone());
    let members = &prepared.groups.members;
    // With `record`, what each group paid in the last round.
    let mut paid_by_group = vec![0.0; if record { prepared.groups.count } else { 0 }];
    let mut remaining = prepared.eligible.clone();
    if !record {
        // Money only decreases, so a project whose supporters' shares together certainly
        // fall short of its cost is never bought: it would be found unaffordable when
        // first evaluated, and dropped without other effect. Drop it now, without a pass
        // over its supporters. (A recorded run evaluates it, for its explanation.)
        remaining.retain(|&p| {
            let shares = endowment.mul_u64(election.votes(p) as u64);
            shares.decide(&N::from_u64(election.project(p).cost)) != Comparison::Certain(Ordering::Less)
        });
    }
    let mut lower_bound: Vec<N> = (0..election.projects().len())
        .map(|p| {
            let (cost, votes) = (election.project(p).cost, election.votes(p).max(1) as u64);
            match prepared.utility {
                Utility::Cost => N::ratio(1, votes),
                Utility::Approval => N::ratio(cost, votes),
            }
        })
        .collect();
    let mut winners = prepared.free.clone();
    let mut rounds = Vec::new();
    let mut projects = vec![ProjectRecord::default(); if record { election.projects().len() } else { 0 }];
    let mut round = 0;
    loop {
        round += 1;
        remaining.sort_by(|&a, &b| lower_bound[a].order(&lower_bound[b]).then(a.cmp(&b)));
        let mut best: Option<N> = None;
        let mut candidates: Vec<Candidate<N>> = Vec::new();
        let mut unaffordable = Vec::new();
        for &p in &remaining {
            if let (false, Some(best)) = (record, &best) {
                if lower_bound[p].decide(best) == Comparison::Certain(Ordering::Greater) {
                    break;
                }
            }
            let cost_value = election.project(p).cost;
            let cost = N::from_u64(cost_value);
            let money = N::money(budgets, &members[p]);
            let affordable = money.total.decide(&cost);
            if affordable == Comparison::Certain(Ordering::Less) {
                unaffordable.push(p);
                if record {
                    projects[p].dropped_in_round = Some(round);
                    projects[p].money_when_dropped = money.total.to_f64();
                }
                continue;
            }
            // If the poorest supporter with money can pay an equal split between those
            // with money, that is the payment; otherwise the water level is searched.
            let equal_split = cost.div_u64(money.rich_voters);
            let (payment, nobody_short) = if money.least.order(&equal_split) != Ordering::Less {
                (equal_split, true)
            } else {
                rich.clear();
                rich.extend(members[p].iter().filter_map(|m| {
                    let budget = &budgets[m.group as usize];
                    (!budget.is_zero()).then(|| (budget.clone(), u64::from(m.voters)))
                }));
                water_level(rich, &cost)
            };
            // In floats, "everyone pays `t`" is trusted only if no budget is within the
            // tolerance of `t` (the least budget is the closest: `decide` is monotone).
            let everyone_pays_it = money.all_have_money
                && nobody_short
                && (N::EXACT || money.least.decide(&payment) == Comparison::Certain(Ordering::Greater));
            let rho = match prepared.utility {
                Utility::Cost => payment.div(&cost),
                Utility::Approval => payment.clone(),
            };
            let votes = election.votes(p) as u128;
            let exact_rho = everyone_pays_it.then_some(match prepared.utility {
                Utility::Cost => (1, votes),
                Utility::Approval => (u128::from(cost_value), votes),
            });
            if record {
                projects[p].last_affordable = Some((round, payment.to_f64(), rho.to_f64()));
            }
            if best.as_ref().is_none_or(|b| rho.order(b) == Ordering::Less) {
                best = Some(rho.clone());
            }
            lower_bound[p] = rho.clone();
            let money_too_close = affordable == Comparison::TooClose;
            candidates.push(Candidate { project: p, rho, payment, exact_rho, money_too_close });
        }
        remaining.retain(|p| !unaffordable.contains(p));
        let Some(best) = best else { break };

        let near: Vec<&Candidate<N>> =
            candidates.iter().filter(|c| c.rho.decide(&best) != Comparison::Certain(Ordering::Greater)).collect();
        let tied = certified_ties(prepared, &near)?;
        let winner = match tied.as_slice() {
            [one] => *one,
            _ => tie_breaking.choose(election, &tied).map_err(RunError::Tie)?,
        };
        let Some(chosen) = candidates.iter().find(|c| c.project == winner) else {
            unreachable!("the winner is a candidate");
        };
        for m in &members[winner] {
            let budget = &mut budgets[m.group as usize];
            let paid = if budget.order(&chosen.payment) == Ordering::Greater {
                *budget = budget.sub(&chosen.payment);
                chosen.payment.clone()
            } else {
                std::mem::replace(budget, N::zero())
            };
            if record {
                paid_by_group[m.group as usize] = paid.to_f64();
            }
        }
        if record {
            let group_of = &prepared.groups.group_of;
            let payments = election
                .supporters(winner)
                .iter()
                .map(|&s| (s, paid_by_group[group_of[s as usize] as usize]))
                .filter(|&(_, paid)| paid != 0.0)
                .collect();
            let (max_payment, rho) = (chosen.payment.to_f64(), chosen.rho.to_f64());
            rounds.push(RoundRecord { winner, max_payment, rho, payments });
        }
        winners.push(winner);
        remaining.retain(|&p| p != winner);
    }
    let record = record.then(|| {
        let final_money = (0..election.projects().len())
            .map(|p| members[p].iter().map(|m| budgets[m.group as usize].to_f64() * f64::from(m.voters)).sum())
            .collect();
        Record { rounds, projects, final_money }
    });
    Ok(Run { winners, record })
}

/// The projects that certainly share the lowest `ρ`, from those not certainly worse
/// than the best. Exact numbers decide by themselves; floats need each pair either
/// known exactly (every supporter pays the same) or clones of each other.
fn certified_ties<N: Number>(prepared: &Prepared<'_>, near: &[&Candidate<N>]) -> Result<Vec<ProjectIndex>, RunError> {
    if N::EXACT {
        return Ok(near.iter().map(|c| c.project).collect());
    }
    if near.iter().any(|c| c.money_too_close) {
        return Err(RunError::TooClose);
    }
    if let [one] = near {
        return Ok(vec![one.project]);
    }
    let same_class = near.iter().all(|c| prepared.clone_class[c.project] == prepared.clone_class[near[0].project]);
    if same_class {
        return Ok(near.iter().map(|c| c.project).collect());
    }
    let exact: Option<Vec<(u128, u128)>> = near.iter().map(|c| c.exact_rho).collect();
    let Some(exact) = exact else { return Err(RunError::TooClose) };
    // The smallest fraction and every candidate equal to it (cross-multiplied, exact).
    let less = |a: (u128, u128), b: (u128, u128)| a.0 * b.1 < b.0 * a.1;
    let Some(min) = exact.iter().copied().reduce(|m, x| if less(x, m) { x } else { m }) else {
        return Err(RunError::TooClose);
    };
    Ok(near.iter().zip(&exact).filter(|(_, &x)| !less(min, x)).map(|(c, _)| c.project).collect())
}

/// The payment `t` that each supporter with enough money makes so that together they
/// pay `cost`: supporters with less than `t` pay everything they have. `rich` holds the
/// supporting groups with money left, as (money per voter, voters) (supporters without
/// money pay nothing whatever `t` is, as `cost` is positive); it is left holding those
/// who pay `t`. Returns `t` and whether every group in `rich` has at least `t`. If their
/// money is short (only possible within float tolerance), returns the largest budget.
fn water_level<N: Number>(rich: &mut Vec<(N, u64)>, cost: &N) -> (N, bool) {
    let mut poor_money = N::zero();
    let mut most_poor: Option<N> = None;
    let mut rich_voters: u64 = rich.iter().map(|&(_, voters)| voters).sum();
    let mut first = true;
    loop {
        if rich.is_empty() {
            return (most_poor.unwrap_or_else(N::zero), false);
        }
        let payment = cost.sub(&poor_money).div_u64(rich_voters);
        let before = rich.len();
        rich.retain(|(budget, voters)| {
            if budget.order(&payment) == Ordering::Less {
                poor_money = poor_money.add(&budget.mul_u64(*voters));
                rich_voters -= *voters;
                if most_poor.as_ref().is_none_or(|m| budget.order(m) == Ordering::Greater) {
                    most_poor = Some(budget.clone());
                }
                false
            } else {
                true
            }
        });
        if rich.len() == before {
            return (payment, first);
        }
        first = false;
    }
}
