//! Budgeted maximum coverage: an exact branch and bound, and the modified greedy.
//!
//! A selection is better if it reaches more voters, then if it spends more. Among equally
//! good selections the search keeps the first in its order: candidates are ordered by
//! votes (then tie-breaking) and each is tried "in" before "out", so the selection kept
//! is the one that includes the best-ranked projects.

use std::cmp::Ordering;

use super::voters::GroupSet;
use crate::rules::election::ProjectIndex;

/// A project the rule may fund: it has votes and fits the budget alone.
pub(super) struct Candidate {
    pub project: ProjectIndex,
    pub cost: u64,
    /// The voter groups approving it, increasing.
    pub groups: Vec<u32>,
}

/// The candidates, in search order, the voter groups' sizes and the budget.
pub(super) struct Problem {
    pub candidates: Vec<Candidate>,
    pub weights: Vec<u64>,
    pub budget: u64,
}

impl Problem {
    /// The voters `candidate` reaches that `covered` does not.
    pub fn gain(&self, candidate: usize, covered: &GroupSet) -> u64 {
        self.candidates[candidate]
            .groups
            .iter()
            .filter(|&&g| !covered.contains(g))
            .map(|&g| self.weights[g as usize])
            .sum()
    }

    pub fn no_groups(&self) -> GroupSet {
        GroupSet::empty(self.weights.len())
    }
}

/// A selection of candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Selection {
    /// Per candidate, in search order.
    pub chosen: Vec<bool>,
    /// Voters reached.
    pub covered: u64,
    pub cost: u64,
}

impl Selection {
    fn value(&self) -> (u64, u64) {
        (self.covered, self.cost)
    }
}

/// `gain / cost` of `a` against `b`, a free project with a gain being infinitely good.
fn ratio_order(gain_a: u64, cost_a: u64, gain_b: u64, cost_b: u64) -> Ordering {
    (u128::from(gain_a) * u128::from(cost_b)).cmp(&(u128::from(gain_b) * u128::from(cost_a)))
}

/// Khuller, Moss and Naor's modified greedy: add the candidate reaching the most new
/// voters per unit of cost while one fits, compare with the best single candidate, keep
/// the better; then spend what is left on the most expensive candidates that still fit.
pub(super) fn modified_greedy(problem: &Problem) -> Selection {
    let candidates = &problem.candidates;
    let mut covered = problem.no_groups();
    let mut selection = Selection { chosen: vec![false; candidates.len()], covered: 0, cost: 0 };
    loop {
        let mut best: Option<(usize, u64)> = None;
        for (j, c) in candidates.iter().enumerate() {
            if selection.chosen[j] || c.cost > problem.budget - selection.cost {
                continue;
            }
            let gain = problem.gain(j, &covered);
            let better = match best {
                None => gain > 0,
                Some((b, best_gain)) => ratio_order(gain, c.cost, best_gain, candidates[b].cost) == Ordering::Greater,
            };
            if better {
                best = Some((j, gain));
            }
        }
        let Some((j, gain)) = best else { break };
        selection.chosen[j] = true;
        selection.cost += candidates[j].cost;
        selection.covered += gain;
        covered.add(&candidates[j]);
    }
    let empty = problem.no_groups();
    let single =
        (0..candidates.len()).map(|j| (j, problem.gain(j, &empty))).max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    if let Some((j, reach)) = single {
        if reach > selection.covered {
            let mut chosen = vec![false; candidates.len()];
            chosen[j] = true;
            selection = Selection { covered: reach, cost: candidates[j].cost, chosen };
        }
    }
    fill(problem, &mut selection);
    selection
}

/// Adds the most expensive candidates that still fit, until none does.
pub(super) fn fill(problem: &Problem, selection: &mut Selection) {
    let mut order: Vec<usize> = (0..problem.candidates.len()).collect();
    order.sort_by(|&a, &b| problem.candidates[b].cost.cmp(&problem.candidates[a].cost).then(a.cmp(&b)));
    for j in order {
        let c = &problem.candidates[j];
        if !selection.chosen[j] && c.cost <= problem.budget - selection.cost {
            selection.chosen[j] = true;
            selection.cost += c.cost;
        }
    }
}

/// Lagrange multipliers for the coverage constraints ("a group counts only if one of
/// its candidates is funded"), tuned at the root by projected subgradient descent.
///
/// For any `μ` in `[0, 1]` per group, the voters reachable with `room` money are at most
/// `Σ weight·(1 − μ)` over reachable groups plus the fractional knapsack of the
/// candidates valued `Σ weight·μ` over their groups: a bound close to the linear
/// relaxation's, much tighter than adding up each candidate's new voters.
fn multipliers(problem: &Problem, target: f64) -> Vec<f64> {
    let candidates = &problem.candidates;
    let weights: Vec<f64> = problem.weights.iter().map(|&w| w as f64).collect();
    let mut mu = vec![0.5; weights.len()];
    let mut best = (f64::INFINITY, mu.clone());
    let mut step_scale = 2.0;
    let mut stalled = 0;
    let mut values = vec![0.0; candidates.len()];
    let mut taken = vec![0.0; weights.len()];
    for _ in 0..400 {
        for (j, c) in candidates.iter().enumerate() {
            values[j] = c.groups.iter().map(|&g| weights[g as usize] * mu[g as usize]).sum();
        }
        let fractions = fractional_knapsack(&values, candidates, problem.budget);
        let knapsack: f64 = fractions.iter().map(|&(j, x)| x * values[j]).sum();
        let bound = weights.iter().zip(&mu).map(|(w, m)| w * (1.0 - m)).sum::<f64>() + knapsack;
        if bound < best.0 - 1e-9 {
            best = (bound, mu.clone());
            stalled = 0;
        } else {
            stalled += 1;
            if stalled >= 20 {
                step_scale /= 2.0;
                stalled = 0;
            }
        }
        if best.0 < target + 1.0 - 1e-6 || step_scale < 1e-4 {
            break;
        }
        taken.iter_mut().for_each(|t| *t = 0.0);
        for &(j, x) in &fractions {
            for &g in &candidates[j].groups {
                taken[g as usize] += x;
            }
        }
        let gradient: Vec<f64> = weights.iter().zip(&taken).map(|(w, t)| w * (t - 1.0)).collect();
        let norm: f64 = gradient.iter().map(|g| g * g).sum();
        if norm == 0.0 {
            break;
        }
        let step = step_scale * (bound - target) / norm;
        for (m, g) in mu.iter_mut().zip(&gradient) {
            *m = (*m - step * g).clamp(0.0, 1.0);
        }
    }
    best.1
}

/// The fractional knapsack of `values` over all candidates with `room` money: the
/// candidates taken and the fraction of each (the last one may be partial).
fn fractional_knapsack(values: &[f64], candidates: &[Candidate], room: u64) -> Vec<(usize, f64)> {
    let mut order: Vec<usize> = (0..candidates.len()).filter(|&j| candidates[j].cost <= room).collect();
    let density =
        |j: usize| if candidates[j].cost == 0 { f64::INFINITY } else { values[j] / candidates[j].cost as f64 };
    order.sort_by(|&a, &b| density(b).total_cmp(&density(a)));
    let mut left = room;
    let mut taken = Vec::new();
    for j in order {
        let cost = candidates[j].cost;
        if cost <= left {
            left -= cost;
            taken.push((j, 1.0));
        } else {
            taken.push((j, left as f64 / cost as f64));
            break;
        }
    }
    taken
}

/// The largest sum of costs of candidates `i..` that fits a capacity, for every `i`,
/// by a bit-set subset-sum table (in units of the costs' greatest common divisor).
struct SuffixSums {
    unit: u64,
    reach: Vec<Vec<u64>>,
}

impl SuffixSums {
    /// `None` when the table would exceed `max_words` 64-bit words.
    fn build(costs: &[u64], budget: u64, max_words: usize) -> Option<Self> {
        let unit = costs.iter().copied().filter(|&c| c > 0).fold(0, gcd).max(1);
        let capacity = usize::try_from(budget / unit).ok()?;
        let words = capacity / 64 + 1;
        if words.checked_mul(costs.len() + 1)? > max_words {
            return None;
        }
        let mut reach = vec![vec![0u64; words]; costs.len() + 1];
        reach[costs.len()][0] = 1;
        for i in (0..costs.len()).rev() {
            let shift = usize::try_from(costs[i] / unit).ok()?;
            let (next, this) = {
                let (head, tail) = reach.split_at_mut(i + 1);
                (&tail[0], &mut head[i])
            };
            this.copy_from_slice(next);
            if shift <= capacity {
                let (word_shift, bit_shift) = (shift / 64, shift % 64);
                for w in (word_shift..words).rev() {
                    let mut moved = next[w - word_shift] << bit_shift;
                    if bit_shift > 0 && w > word_shift {
                        moved |= next[w - word_shift - 1] >> (64 - bit_shift);
                    }
                    this[w] |= moved;
                }
            }
            // Sums above the capacity are not needed.
            let extra = words * 64 - (capacity + 1);
            if extra > 0 {
                this[words - 1] &= u64::MAX >> extra;
            }
        }
        Some(Self { unit, reach })
    }

    /// The largest reachable sum of costs of candidates `i..` that is at most `room`.
    fn best_at_most(&self, i: usize, room: u64) -> u64 {
        let row = &self.reach[i];
        let limit = usize::try_from(room / self.unit).unwrap_or(usize::MAX).min(row.len() * 64 - 1);
        let (mut w, bit) = (limit / 64, limit % 64);
        let mut word = row[w] & (u64::MAX >> (63 - bit));
        loop {
            if word != 0 {
                let top = 63 - word.leading_zeros() as usize;
                return (w * 64 + top) as u64 * self.unit;
            }
            if w == 0 {
                return 0;
            }
            w -= 1;
            word = row[w];
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The subset-sum table may take this many words (16 MiB).
const MAX_TABLE_WORDS: usize = 1 << 21;

struct Search<'a> {
    problem: &'a Problem,
    sums: Option<SuffixSums>,
    mu: Vec<f64>,
    best: Selection,
    best_is_seed: bool,
    chosen: Vec<bool>,
    /// Per group, the last node that counted it (to count each group once per node).
    seen: Vec<u64>,
    nodes: u64,
    node_limit: u64,
    /// Voter groups looked at by the bounds so far, and the most allowed.
    work: u64,
    work_limit: u64,
    stopped: bool,
}

/// The branch and bound's result.
pub(super) struct Searched {
    pub selection: Selection,
    /// Whether the search finished, so the selection is optimal.
    pub optimal: bool,
    pub nodes: u64,
    /// Voter groups the bounds looked at.
    pub work: u64,
}

/// Searches for the best selection, starting from `seed` (a feasible selection), visiting
/// at most `node_limit` nodes and looking at most `work_limit` voter groups in the bounds
/// (a node's cost grows with the distinct ballots, so the node count alone does not
/// bound the time).
pub(super) fn branch_and_bound(problem: &Problem, seed: Selection, node_limit: u64, work_limit: u64) -> Searched {
    let costs: Vec<u64> = problem.candidates.iter().map(|c| c.cost).collect();
    let mut search = Search {
        problem,
        sums: SuffixSums::build(&costs, problem.budget, MAX_TABLE_WORDS),
        mu: multipliers(problem, seed.covered as f64),
        best: seed,
        best_is_seed: true,
        chosen: vec![false; problem.candidates.len()],
        seen: vec![0; problem.weights.len()],
        nodes: 0,
        node_limit,
        work: 0,
        work_limit,
        stopped: false,
    };
    search.visit(0, &problem.no_groups(), 0, 0);
    Searched { selection: search.best, optimal: !search.stopped, nodes: search.nodes, work: search.work }
}

impl Search<'_> {
    fn visit(&mut self, i: usize, covered: &GroupSet, reached: u64, cost: u64) {
        if self.stopped {
            return;
        }
        self.nodes += 1;
        if self.nodes > self.node_limit || self.work > self.work_limit {
            self.stopped = true;
            return;
        }
        let candidates = &self.problem.candidates;
        let room = self.problem.budget - cost;
        let fitting: Vec<usize> = (i..candidates.len()).filter(|&j| candidates[j].cost <= room).collect();
        if fitting.is_empty() {
            self.offer(reached, cost);
            return;
        }
        let (reach_bound, cost_bound) = self.bounds(i, &fitting, covered, room);
        if self.dominated(reached + reach_bound, cost + cost_bound) {
            return;
        }
        // Candidates between `i` and the first that fits are out in both branches.
        let first = fitting[0];
        let gain = self.problem.gain(first, covered);
        let mut with = covered.clone();
        with.add(&candidates[first]);
        self.chosen[first] = true;
        self.visit(first + 1, &with, reached + gain, cost + candidates[first].cost);
        self.chosen[first] = false;
        self.visit(first + 1, covered, reached, cost);
    }

    /// Upper bounds on the voters newly reached and the money spent by candidates from
    /// `fitting` with `room` money: the least of the voters they reach together, the
    /// fractional knapsack of their new voters per cost, and the Lagrangian bound of
    /// [`multipliers`]; and the largest subset sum of their costs.
    fn bounds(&mut self, i: usize, fitting: &[usize], covered: &GroupSet, room: u64) -> (u64, u64) {
        let problem = self.problem;
        let stamp = self.nodes;
        let mut union = 0u64;
        let mut unclaimed = 0.0f64;
        let mut gains = Vec::with_capacity(fitting.len());
        let mut values = Vec::with_capacity(fitting.len());
        for &j in fitting {
            self.work += problem.candidates[j].groups.len() as u64;
            let (mut gain, mut value) = (0u64, 0.0f64);
            for &g in &problem.candidates[j].groups {
                if covered.contains(g) {
                    continue;
                }
                let (w, m) = (problem.weights[g as usize], self.mu[g as usize]);
                gain += w;
                value += w as f64 * m;
                if self.seen[g as usize] != stamp {
                    self.seen[g as usize] = stamp;
                    union += w;
                    unclaimed += w as f64 * (1.0 - m);
                }
            }
            gains.push(gain);
            values.push(value);
        }
        let mut by_gain: Vec<usize> = (0..fitting.len()).collect();
        by_gain.sort_by(|&a, &b| {
            ratio_order(gains[b], problem.candidates[fitting[b]].cost, gains[a], problem.candidates[fitting[a]].cost)
        });
        let mut knapsack = 0u64;
        let mut left = room;
        for k in by_gain {
            let cost = problem.candidates[fitting[k]].cost;
            if cost <= left {
                knapsack += gains[k];
                left -= cost;
            } else {
                // Part of the next one, rounded down: the integer optimum is at most the bound.
                knapsack +=
                    u64::try_from(u128::from(gains[k]) * u128::from(left) / u128::from(cost)).unwrap_or(u64::MAX);
                break;
            }
        }
        let mut by_value: Vec<usize> = (0..fitting.len()).collect();
        let density = |k: usize| {
            let cost = problem.candidates[fitting[k]].cost;
            if cost == 0 {
                f64::INFINITY
            } else {
                values[k] / cost as f64
            }
        };
        by_value.sort_by(|&a, &b| density(b).total_cmp(&density(a)));
        let mut lagrangian = unclaimed;
        let mut left = room;
        for k in by_value {
            let cost = problem.candidates[fitting[k]].cost;
            if cost <= left {
                lagrangian += values[k];
                left -= cost;
            } else {
                lagrangian += values[k] * left as f64 / cost as f64;
                break;
            }
        }
        // The float bound is rounded down with a margin far above its rounding errors.
        let lagrangian = (lagrangian + 1e-6).floor().max(0.0) as u64;
        let reach_bound = union.min(knapsack).min(lagrangian);
        let cost_bound = match &self.sums {
            Some(sums) => sums.best_at_most(i, room),
            None => fitting.iter().map(|&j| problem.candidates[j].cost).sum::<u64>().min(room),
        };
        (reach_bound, cost_bound)
    }

    /// Whether no selection below can replace the best: worse, or equal and found later
    /// in the search order than a best the search itself found.
    fn dominated(&self, reach_bound: u64, cost_bound: u64) -> bool {
        match (reach_bound, cost_bound).cmp(&self.best.value()) {
            Ordering::Less => true,
            Ordering::Equal => !self.best_is_seed,
            Ordering::Greater => false,
        }
    }

    fn offer(&mut self, reached: u64, cost: u64) {
        let better = match (reached, cost).cmp(&self.best.value()) {
            Ordering::Greater => true,
            Ordering::Equal => self.best_is_seed,
            Ordering::Less => false,
        };
        if better {
            self.best = Selection { chosen: self.chosen.clone(), covered: reached, cost };
            self.best_is_seed = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_sums_find_the_largest_fitting_sum() {
        let sums = SuffixSums::build(&[30, 70, 50], 100, 1 << 10).expect("small table");
        assert_eq!(sums.unit, 10);
        assert_eq!(sums.best_at_most(0, 100), 100);
        assert_eq!(sums.best_at_most(0, 95), 80);
        assert_eq!(sums.best_at_most(1, 100), 70);
        assert_eq!(sums.best_at_most(2, 49), 0);
        assert_eq!(sums.best_at_most(3, 100), 0);
        let wide = SuffixSums::build(&[1, 64, 127, 200], 400, 1 << 10).expect("table");
        assert_eq!(wide.best_at_most(0, 400), 392);
        assert_eq!(wide.best_at_most(1, 300), 264);
        assert_eq!(wide.best_at_most(2, 126), 0);
    }
}
