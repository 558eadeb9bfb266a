//! The method of equal shares (Peters & Skowron), for approval ballots.
//!
//! Every voter gets an equal share of the budget; projects are bought one by one, each
//! time the one whose supporters can pay for it at the lowest price per unit of utility
//! `ρ`, each supporter paying at most what is left of their share (see `run.rs`).
//! Utilities are either the cost of the funded approved projects ([`Utility::Cost`], what
//! equalshares.net and pabutools' `Cost_Sat` use) or their number ([`Utility::Approval`],
//! pabutools' `Cardinality_Sat`).
//!
//! Because the rounds rarely spend the whole budget, a [`Completion`] can follow:
//! `add1` (rerun with the per-voter share raised step by step, keeping the last outcome
//! that fits the real budget, as equalshares.net and pabutools'
//! `voter_budget_increment` do), then optionally greedy by votes on what is left.
//!
//! **Numbers.** Decisions equal those of exact fractions (pabutools' default): each run
//! is done in `f64` and every comparison it decides on must be clear by a relative 1e-9,
//! or be known exactly (a tie between two projects whose supporters all pay the same, or
//! between projects with the same cost and supporters); otherwise that run is redone in
//! exact fractions. [`MesOutcome::exact_runs`] tells how often that happened. The money
//! figures in explanations are floats, for display.
//!
//! **Ties** are broken by [`MesOptions::tie_breaking`]; the default is pabutools' (project
//! id in text order). A tie it leaves unresolved is an error, as on equalshares.net.
//!
//! **Speed.** A run reads the money of a project's supporters once per evaluation, so
//! on large elections memory access sets its speed. With add1, voters who approve the
//! same projects are grouped (they always hold the same money: `groups.rs`), one budget
//! per group, laid out by approvals; projects whose supporters' shares cannot pay for
//! them are dropped before the rounds; the supporters' money is found in one pass, the
//! equal split taken when the poorest supporter with money can pay it. In a release build
//! on a shared 2-core machine: the generated 500,000-ballot election of the benchmark
//! (200 projects; 101 add1 steps of 1 unit per voter, then greedy) takes about 0.7 to
//! 1.3 s, Wieliczka 2023 (64 projects, 6,586 voters, 150 add1 steps) about 10 ms, and
//! the three subsampled reference files 2 ms each, or about 30 ms when one run is redone
//! exactly. An exact run of Wieliczka alone takes 0.25 to 0.7 s, so an election where
//! every add1 step had to be redone exactly would be slow; on the reference data this
//! happens at most once per computation. (`tests/load/budgets/run.sh` measures it
//! against pabutools; the root `BENCHMARKS.md`.)

mod explain;
mod groups;
mod number;
mod options;
mod outcome;
mod run;

use num_rational::BigRational;

use self::number::Number;
pub use self::options::{Add1Options, Add1Start, Completion, ExhaustiveOver, MesError, MesOptions, Utility};
pub use self::outcome::{MesDecision, MesExplanation, MesOutcome, SupporterPayment};
use self::run::{Prepared, Run, RunError, Workspace};
use super::election::{Election, ProjectIndex};
use super::greedy::{greedy_from, GreedyDecision};
use super::tie_breaking::TieBreaking;

/// The per-voter share of one run.
struct Share {
    start: Add1Start,
    increment: u64,
    voters: u64,
    budget: u64,
}

impl Share {
    fn at<N: Number>(&self, steps: u32) -> N {
        let base = match self.start {
            Add1Start::ExactShare => N::ratio(self.budget, self.voters),
            Add1Start::WholeUnits => N::from_u64(self.budget / self.voters),
        };
        base.add(&N::from_u64(self.increment.saturating_mul(u64::from(steps))))
    }
}

/// Runs the method of equal shares.
pub fn method_of_equal_shares(election: &Election, options: &MesOptions) -> Result<MesOutcome, MesError> {
    let add1 = match &options.completion {
        Completion::Add1(add1) | Completion::Add1ThenGreedy(add1) => Some(*add1),
        Completion::None | Completion::Greedy => None,
    };
    let prepared = Prepared::new(election, options.utility, add1.is_some());
    if add1.is_some_and(|a| a.increment == 0) {
        return Err(MesError::ZeroIncrement);
    }
    let mut runs = Runs { exact_runs: 0, floats: Workspace::default(), exact: Workspace::default() };
    let (run, endowment, steps) = if election.voter_count() == 0 {
        // No voters, no shares: nothing is bought (pabutools returns the empty outcome).
        (Run { winners: Vec::new(), record: None }, 0.0, 0)
    } else {
        let share = Share {
            start: add1.map(|a| a.start).unwrap_or_default(),
            increment: add1.map(|a| a.increment).unwrap_or(0),
            voters: election.voter_count() as u64,
            budget: election.budget(),
        };
        let steps = match add1 {
            Some(add1) => add1_steps(&prepared, &share, &add1, &options.tie_breaking, &mut runs)?,
            None => 0,
        };
        let run = runs.certified(&prepared, &share, steps, &options.tie_breaking, true)?;
        (run, share.at::<f64>(steps), steps)
    };

    let mut winners = run.winners.clone();
    let completion = match options.completion {
        Completion::Greedy | Completion::Add1ThenGreedy(_) => {
            let left = election.budget().saturating_sub(election.cost_of(&winners));
            let candidates: Vec<ProjectIndex> =
                (0..election.projects().len()).filter(|p| !winners.contains(p)).collect();
            let mut added = greedy_from(election, &options.greedy, &candidates, left)?;
            added.sort_by_key(|e| e.rank);
            winners.extend(
                added.iter().filter(|e| matches!(e.decision, GreedyDecision::Funded { .. })).map(|e| e.project),
            );
            Some(added)
        }
        Completion::None | Completion::Add1(_) => None,
    };
    let projects = explain::explanations(&prepared, &run, completion.unwrap_or_default());
    Ok(MesOutcome {
        total_cost: election.cost_of(&winners),
        winners,
        endowment,
        add1_steps: steps,
        exact_runs: runs.exact_runs,
        projects,
    })
}

/// The number of add1 steps: the last one whose outcome fits the budget, stopping early
/// at an exhaustive outcome.
fn add1_steps(
    prepared: &Prepared<'_>,
    share: &Share,
    add1: &Add1Options,
    tie_breaking: &TieBreaking,
    runs: &mut Runs,
) -> Result<u32, MesError> {
    let election = prepared.election;
    let mut steps = 0;
    let mut accepted = runs.certified(prepared, share, 0, tie_breaking, false)?;
    loop {
        if is_exhaustive(prepared, &accepted.winners, add1.exhaustive_over) {
            return Ok(steps);
        }
        if steps >= add1.max_steps {
            return Err(MesError::TooManySteps(add1.max_steps));
        }
        let next = runs.certified(prepared, share, steps + 1, tie_breaking, false)?;
        if election.cost_of(&next.winners) > election.budget() {
            return Ok(steps);
        }
        accepted = next;
        steps += 1;
    }
}

fn is_exhaustive(prepared: &Prepared<'_>, winners: &[ProjectIndex], over: ExhaustiveOver) -> bool {
    let election = prepared.election;
    let left = election.budget().saturating_sub(election.cost_of(winners));
    let fits = |&p: &ProjectIndex| !winners.contains(&p) && election.project(p).cost <= left;
    match over {
        ExhaustiveOver::SupportedProjects => !prepared.eligible.iter().any(fits),
        ExhaustiveOver::AllProjects => !(0..election.projects().len()).any(|p| fits(&p)),
    }
}

/// The runs of one computation: their buffers, and how many were redone exactly.
struct Runs {
    exact_runs: u32,
    floats: Workspace<f64>,
    exact: Workspace<BigRational>,
}

impl Runs {
    /// A run in floats, redone in exact fractions if floats cannot certify a decision.
    fn certified(
        &mut self,
        prepared: &Prepared<'_>,
        share: &Share,
        steps: u32,
        tie_breaking: &TieBreaking,
        record: bool,
    ) -> Result<Run, MesError> {
        match run::run::<f64>(prepared, &share.at(steps), tie_breaking, record, &mut self.floats) {
            Ok(run) => Ok(run),
            Err(RunError::Tie(tie)) => Err(tie.into()),
            Err(RunError::TooClose) => {
                self.exact_runs += 1;
                match run::run::<BigRational>(prepared, &share.at(steps), tie_breaking, record, &mut self.exact) {
                    Ok(run) => Ok(run),
                    Err(RunError::Tie(tie)) => Err(tie.into()),
                    Err(RunError::TooClose) => unreachable!("exact runs decide every comparison"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    /// Small elections with few distinct costs and many overlapping ballots, so ties and
    /// near-ties are common.
    fn random_election(rng: &mut Lcg) -> Election {
        let projects: Vec<(String, u64)> =
            (0..2 + rng.below(9)).map(|i| (format!("p{i}"), 10 * (1 + rng.below(6)))).collect();
        let m = projects.len() as u64;
        let ballots: Vec<Vec<String>> = (0..1 + rng.below(30))
            .map(|_| (0..m).filter(|_| rng.below(10) < 4).map(|i| format!("p{i}")).collect())
            .collect();
        Election::new(30 + 10 * rng.below(20), projects, ballots).expect("election")
    }

    fn both_runs(
        election: &Election,
        utility: Utility,
        endowment: (u64, u64),
        grouped: bool,
    ) -> (Result<Run, RunError>, Run) {
        let prepared = Prepared::new(election, utility, grouped);
        let tie = TieBreaking::pabutools();
        let float =
            run::run::<f64>(&prepared, &f64::ratio(endowment.0, endowment.1), &tie, true, &mut Workspace::default());
        let exact = run::run::<BigRational>(
            &prepared,
            &BigRational::ratio(endowment.0, endowment.1),
            &tie,
            true,
            &mut Workspace::default(),
        );
        (float, exact.unwrap_or_else(|_| panic!("exact runs always finish with pabutools tie-breaking")))
    }

    #[test]
    fn certified_float_runs_decide_as_exact_runs() {
        let mut rng = Lcg(3);
        let (mut agreed, mut redone) = (0, 0);
        for round in 0..2000 {
            let election = random_election(&mut rng);
            let utility = if round % 2 == 0 { Utility::Cost } else { Utility::Approval };
            let n = election.voter_count() as u64;
            let steps = rng.below(4);
            let grouped = round % 4 < 2;
            let (float, exact) = both_runs(&election, utility, (election.budget() + steps * n, n), grouped);
            match float {
                Ok(float) => {
                    assert_eq!(float.winners, exact.winners, "round {round}");
                    agreed += 1;
                }
                Err(RunError::TooClose) => redone += 1,
                Err(RunError::Tie(tie)) => panic!("round {round}: {tie}"),
            }
        }
        assert!(agreed > 1500, "{agreed} agreed, {redone} redone");
    }

    /// Exact runs with voters grouped by ballot or one group per voter, recorded or not
    /// (unrecorded runs drop projects their supporters' shares cannot pay at once), buy
    /// the same projects, and recorded runs explain them the same way.
    #[test]
    fn grouping_voters_and_dropping_unaffordable_projects_change_nothing() {
        let mut rng = Lcg(11);
        let tie = TieBreaking::pabutools();
        for round in 0..1000 {
            let election = random_election(&mut rng);
            let utility = if round % 2 == 0 { Utility::Cost } else { Utility::Approval };
            let n = election.voter_count() as u64;
            let endowment = BigRational::ratio(election.budget() + rng.below(4) * n, n);
            let run = |grouped, record| {
                let prepared = Prepared::new(&election, utility, grouped);
                run::run::<BigRational>(&prepared, &endowment, &tie, record, &mut Workspace::default())
                    .unwrap_or_else(|_| panic!("exact runs always finish with pabutools tie-breaking"))
            };
            let reference = run(false, true);
            for (grouped, record) in [(true, true), (true, false), (false, false)] {
                let other = run(grouped, record);
                assert_eq!(other.winners, reference.winners, "round {round}, grouped {grouped}, record {record}");
                let (Some(a), Some(b)) = (&reference.record, &other.record) else { continue };
                for (x, y) in a.rounds.iter().zip(&b.rounds) {
                    assert_eq!((x.winner, x.rho, &x.payments), (y.winner, y.rho, &y.payments), "round {round}");
                }
                for (x, y) in a.projects.iter().zip(&b.projects) {
                    assert_eq!(x.last_affordable, y.last_affordable, "round {round}");
                    assert_eq!(x.dropped_in_round, y.dropped_in_round, "round {round}");
                    assert!((x.money_when_dropped - y.money_when_dropped).abs() <= 1e-9, "round {round}");
                }
                for (x, y) in a.final_money.iter().zip(&b.final_money) {
                    assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "round {round}");
                }
            }
        }
    }

    #[test]
    fn float_and_exact_runs_agree_on_a_real_file() {
        // Exact runs on the larger files take seconds in a debug build; Amsterdam has the most ties.
        for file in ["netherlands_amsterdam_2022_west.pb"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pabulib").join(file);
            let text = std::fs::read_to_string(path).expect("read");
            let election = Election::from_pb(&crate::pb::Instance::parse(&text).expect("parse")).expect("election");
            for utility in [Utility::Cost, Utility::Approval] {
                let n = election.voter_count() as u64;
                let (float, exact) = both_runs(&election, utility, (election.budget(), n), true);
                let float = float.unwrap_or_else(|e| panic!("{file}: {e:?}"));
                assert_eq!(float.winners, exact.winners, "{file} {utility:?}");
                let (float, exact) = (float.record.expect("recorded"), exact.record.expect("recorded"));
                for (f, e) in float.rounds.iter().zip(&exact.rounds) {
                    assert!((f.rho - e.rho).abs() <= 1e-12 * e.rho, "{file}: ρ {} ≠ {}", f.rho, e.rho);
                }
            }
        }
    }
}
