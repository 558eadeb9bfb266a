//! Checks budget-rules against the winners pabutools computed (`pabutools/rules.py`).
//!
//! `cargo run --release -p budget-rules --example check_pabutools -- pabutools.json [data_dir]`
//! prints a table and exits with status 1 if any winner set differs.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use budget_rules::pb::Instance;
use budget_rules::rules::{
    greedy, method_of_equal_shares, Add1Options, Completion, Election, GreedyMetric, GreedyOptions, MesOptions,
    TieBreaking, Utility,
};
use serde_json::Value;

/// Our winners for one of rules.py's rule names.
fn ours(election: &Election, rule: &str, increment: u64) -> Result<Vec<usize>, String> {
    // pabutools' greedy funds projects without votes last if they fit; so do we here.
    let greedy_options =
        |metric| GreedyOptions { metric, tie_breaking: TieBreaking::pabutools(), fund_projects_without_votes: true };
    let mes = |utility, completion| {
        let options = MesOptions {
            utility,
            completion,
            tie_breaking: TieBreaking::pabutools(),
            greedy: greedy_options(GreedyMetric::Votes),
        };
        method_of_equal_shares(election, &options).map(|o| o.winners).map_err(|e| e.to_string())
    };
    let add1 = Add1Options::pabutools(increment);
    match rule {
        "greedy_votes" => {
            greedy(election, &greedy_options(GreedyMetric::Votes)).map(|o| o.winners).map_err(|e| e.to_string())
        }
        "greedy_votes_per_cost" => {
            greedy(election, &greedy_options(GreedyMetric::VotesPerCost)).map(|o| o.winners).map_err(|e| e.to_string())
        }
        "mes_cost" => mes(Utility::Cost, Completion::None),
        "mes_cost_add1" => mes(Utility::Cost, Completion::Add1(add1)),
        "mes_cost_add1_greedy" => mes(Utility::Cost, Completion::Add1ThenGreedy(add1)),
        "mes_approval" => mes(Utility::Approval, Completion::None),
        other => Err(format!("unknown rule {other:?}")),
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(json_path) = args.next() else {
        eprintln!("usage: check_pabutools PABUTOOLS.json [DATA_DIR]");
        return ExitCode::from(2);
    };
    let data_dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/pabulib"));
    let reference: Value = match std::fs::read_to_string(&json_path).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => {
            eprintln!("{json_path}: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{json_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(files) = reference["files"].as_object() else {
        eprintln!("{json_path}: no \"files\" object");
        return ExitCode::from(2);
    };
    println!("{:<40} {:<22} {:>22} {:>22}  identical?", "file", "rule", "ours (n, cost)", "pabutools (n, cost)");
    let mut differences = Vec::new();
    let mut rows = 0;
    for (file, entry) in files {
        let text = match std::fs::read_to_string(data_dir.join(file)) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        };
        let election = match Instance::parse(&text)
            .map_err(|e| e.to_string())
            .and_then(|i| Election::from_pb(&i).map_err(|e| e.to_string()))
        {
            Ok(election) => election,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        };
        let increment = entry["add1_increment"].as_u64().unwrap_or(1);
        let Some(rules) = entry["rules"].as_object() else { continue };
        for (rule, winners) in rules {
            rows += 1;
            let theirs: BTreeSet<String> =
                winners.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
            let their_cost: u64 =
                theirs.iter().filter_map(|id| election.project_index(id)).map(|p| election.project(p).cost).sum();
            let (ours_text, identical) = match ours(&election, rule, increment) {
                Ok(winners) => {
                    let mine: BTreeSet<String> = election.ids(&winners).into_iter().collect();
                    let text = format!("{}, {}", mine.len(), election.cost_of(&winners));
                    if mine != theirs {
                        let only_ours: Vec<&String> = mine.difference(&theirs).collect();
                        let only_theirs: Vec<&String> = theirs.difference(&mine).collect();
                        differences
                            .push(format!("{file} {rule}: only ours {only_ours:?}, only pabutools {only_theirs:?}"));
                    }
                    (text, mine == theirs)
                }
                Err(e) => {
                    differences.push(format!("{file} {rule}: our rule failed: {e}"));
                    (format!("error: {e}"), false)
                }
            };
            let theirs_text = format!("{}, {}", theirs.len(), their_cost);
            println!(
                "{file:<40} {rule:<22} {ours_text:>22} {theirs_text:>22}  {}",
                if identical { "yes" } else { "NO" }
            );
        }
    }
    if differences.is_empty() && rows > 0 {
        println!("all {rows} winner sets identical");
        ExitCode::SUCCESS
    } else {
        for d in &differences {
            eprintln!("DIFFERENT: {d}");
        }
        if rows == 0 {
            eprintln!("no rows to compare");
        }
        ExitCode::FAILURE
    }
}
