//! Times the method of equal shares on the shipped real files (release build advised):
//! `cargo run --release -p budget-rules --example timing`.

#![allow(clippy::expect_used)] // a tool run by hand: a failure may stop it

use std::path::Path;
use std::time::Instant;

use budget_rules::pb::Instance;
use budget_rules::rules::{
    maximal_coverage, method_of_equal_shares, Add1Options, Completion, CoverageOptions, Election, MesOptions, Utility,
};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pabulib");
    let files = [
        ("poland_wieliczka_2023_green-budget.pb", 1),
        ("netherlands_amsterdam_2022_west.pb", 1),
        ("poland_warszawa_2021_bielany.pb", 1000),
        ("hungary_budapest_2024.pb", 100_000),
    ];
    for (file, increment) in files {
        let text = std::fs::read_to_string(dir.join(file)).expect("read");
        let election = Election::from_pb(&Instance::parse(&text).expect("parse")).expect("election");
        let start = Instant::now();
        let coverage = maximal_coverage(&election, &CoverageOptions::default());
        println!(
            "{file:40} coverage: {} winners, {} cost, reached {}/{} exact {} nodes {} work {} in {:.1} ms",
            coverage.winners.len(),
            coverage.total_cost,
            coverage.reached_voters,
            coverage.voters_with_approvals,
            coverage.exact,
            coverage.search_nodes,
            coverage.search_work,
            start.elapsed().as_secs_f64() * 1000.0
        );
        for (label, utility, completion) in [
            ("cost, none", Utility::Cost, Completion::None),
            ("cost, add1+greedy", Utility::Cost, Completion::Add1ThenGreedy(Add1Options::pabutools(increment))),
            ("approval, none", Utility::Approval, Completion::None),
            ("approval, add1", Utility::Approval, Completion::Add1(Add1Options::pabutools(increment))),
        ] {
            let options = MesOptions { utility, completion, ..MesOptions::default() };
            let start = Instant::now();
            let outcome = method_of_equal_shares(&election, &options).expect("outcome");
            let elapsed = start.elapsed();
            println!(
                "{file:40} {label:18} {:>3} winners {:>11} cost {:>4} add1 steps {:>3} exact runs {:>8.1} ms",
                outcome.winners.len(),
                outcome.total_cost,
                outcome.add1_steps,
                outcome.exact_runs,
                elapsed.as_secs_f64() * 1000.0
            );
        }
    }
}
