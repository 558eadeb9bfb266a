//! Times the rules on `.pb` files (issue 7; `tests/load/budgets/run.sh` runs it, and
//! `pabutools/bench.py` times pabutools on the same files and rules).
//!
//! `cargo run --release -p budget-rules --example bench_rules -- [--reps N]
//! [--parse-reps N] [--max-seconds S] [--json OUT.json] [--rules R1,R2,...] [--increment N] FILE.pb
//! [[--increment N] FILE.pb ...]`
//!
//! `--increment` is the add1 increment per voter, in currency units, for the files that
//! follow it (default 1). For each file, reading and parsing (`Instance::parse` then
//! `Election::from_pb`) is timed apart from the rules; each rule runs `--reps` times
//! (default 5; parsing `--parse-reps`, default the same), fewer if its repetitions pass `--max-seconds` (default 20), at least once;
//! min and median wall times are reported. Rules (all unless `--rules` names some), with pabutools' tie-breaking (project
//! id in text order) and, as pabutools, projects without votes funded last by greedy:
//!
//! - `greedy_votes`: greedy by votes (pabutools `greedy_utilitarian_welfare`, `Cost_Sat`);
//! - `max_coverage`: maximal coverage, default node limit (no pabutools equivalent);
//! - `mes_cost_add1_greedy`: equal shares, cost utilities, add1 with the increment
//!   (pabutools `voter_budget_increment`) then greedy by votes;
//! - `mes_cost`: equal shares, cost utilities, no completion.

#![allow(clippy::expect_used)] // a tool run by hand: a failure may stop it

use std::path::Path;
use std::time::{Duration, Instant};

use budget_rules::pb::Instance;
use budget_rules::rules::{
    greedy, maximal_coverage, method_of_equal_shares, Add1Options, Completion, CoverageOptions, Election, GreedyMetric,
    GreedyOptions, MesOptions, TieBreaking, Utility,
};
use serde_json::{json, Value};

struct Options {
    reps: usize,
    parse_reps: usize,
    max_seconds: f64,
    json: Option<String>,
    rules: Option<Vec<String>>,
    files: Vec<(String, u64)>,
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_rules [--reps N] [--parse-reps N] [--max-seconds S] [--json OUT] [--rules R1,R2] [--increment N] FILE.pb [...]"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let mut options = Options { reps: 5, parse_reps: 0, max_seconds: 20.0, json: None, rules: None, files: Vec::new() };
    let mut increment = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--reps" => options.reps = value().parse().unwrap_or_else(|_| usage()),
            "--parse-reps" => options.parse_reps = value().parse().unwrap_or_else(|_| usage()),
            "--max-seconds" => options.max_seconds = value().parse().unwrap_or_else(|_| usage()),
            "--json" => options.json = Some(value()),
            "--rules" => options.rules = Some(value().split(',').map(str::to_string).collect()),
            "--increment" => increment = value().parse().unwrap_or_else(|_| usage()),
            _ if arg.starts_with("--") => usage(),
            _ => options.files.push((arg, increment)),
        }
    }
    if options.files.is_empty() || options.reps == 0 {
        usage()
    }
    options
}

/// Runs `f` `reps` times (fewer past `max_seconds`, at least once); the times and the last result.
fn timed<T>(reps: usize, max_seconds: f64, mut f: impl FnMut() -> T) -> (Vec<f64>, T) {
    let mut times = Vec::with_capacity(reps);
    let started = Instant::now();
    loop {
        let start = Instant::now();
        let result = std::hint::black_box(f());
        times.push(start.elapsed().as_secs_f64());
        if times.len() >= reps || started.elapsed() > Duration::from_secs_f64(max_seconds) {
            return (times, result);
        }
    }
}

fn summary(times: &[f64]) -> (f64, f64) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
    (sorted[0], median)
}

fn ms(seconds: f64) -> String {
    if seconds < 0.01 {
        format!("{:.3} ms", seconds * 1000.0)
    } else {
        format!("{:.1} ms", seconds * 1000.0)
    }
}

fn ids(election: &Election, winners: &[usize]) -> Vec<String> {
    let mut ids = election.ids(winners);
    ids.sort();
    ids
}

fn main() {
    let o = options();
    let mut results = Vec::new();
    for (path, increment) in &o.files {
        let name = Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parse_reps = if o.parse_reps == 0 { o.reps } else { o.parse_reps };
        let (parse_times, election) = timed(parse_reps, o.max_seconds, || {
            let text = std::fs::read_to_string(path).expect("read the file");
            Election::from_pb(&Instance::parse(&text).expect("parse")).expect("an approval election")
        });
        let approvals: usize = (0..election.projects().len()).map(|p| election.votes(p)).sum();
        println!(
            "{name}: {} projects, {} voters, {} approvals, add1 increment {increment} per voter",
            election.projects().len(),
            election.voter_count(),
            approvals
        );
        let mut rules = serde_json::Map::new();
        let mut record = |rule: &str, times: &[f64], winners: Option<Vec<String>>, detail: String, facts: Value| {
            let (min, median) = summary(times);
            println!("  {rule:22} min {:>10}  median {:>10}  ({} runs)  {detail}", ms(min), ms(median), times.len());
            rules.insert(
                rule.to_string(),
                json!({
                    "seconds": times, "min": min, "median": median, "winners": winners, "detail": detail, "facts": facts
                }),
            );
        };
        record("parse", &parse_times, None, "read + Instance::parse + Election::from_pb".into(), json!({}));
        let wanted = |rule: &str| o.rules.as_ref().is_none_or(|rules| rules.iter().any(|r| r == rule));

        let greedy_options = GreedyOptions {
            metric: GreedyMetric::Votes,
            tie_breaking: TieBreaking::pabutools(),
            fund_projects_without_votes: true,
        };
        if wanted("greedy_votes") {
            let (times, outcome) =
                timed(o.reps, o.max_seconds, || greedy(&election, &greedy_options).expect("no tie left"));
            let detail = format!("{} winners, cost {}", outcome.winners.len(), outcome.total_cost);
            let facts = json!({ "winners": outcome.winners.len(), "total_cost": outcome.total_cost });
            record("greedy_votes", &times, Some(ids(&election, &outcome.winners)), detail, facts);
        }
        if wanted("max_coverage") {
            let (times, outcome) =
                timed(o.reps, o.max_seconds, || maximal_coverage(&election, &CoverageOptions::default()));
            let detail = format!(
                "{}: {} nodes, {} voter groups looked at; {} winners, cost {}, reaches {}/{} voters",
                if outcome.exact {
                    "exact (branch and bound finished)"
                } else {
                    "approximation (search limit reached)"
                },
                outcome.search_nodes,
                outcome.search_work,
                outcome.winners.len(),
                outcome.total_cost,
                outcome.reached_voters,
                outcome.voters_with_approvals
            );
            let facts = json!({
                "winners": outcome.winners.len(),
                "total_cost": outcome.total_cost,
                "exact": outcome.exact,
                "search_nodes": outcome.search_nodes,
                "search_work": outcome.search_work,
                "reached_voters": outcome.reached_voters,
                "voters_with_approvals": outcome.voters_with_approvals,
            });
            record("max_coverage", &times, Some(ids(&election, &outcome.winners)), detail, facts);
        }

        for (rule, completion) in [
            ("mes_cost_add1_greedy", Completion::Add1ThenGreedy(Add1Options::pabutools(*increment))),
            ("mes_cost", Completion::None),
        ] {
            if !wanted(rule) {
                continue;
            }
            let options = MesOptions {
                utility: Utility::Cost,
                completion,
                tie_breaking: TieBreaking::pabutools(),
                greedy: greedy_options.clone(),
            };
            let (times, outcome) =
                timed(o.reps, o.max_seconds, || method_of_equal_shares(&election, &options).expect("an outcome"));
            let detail = format!(
                "{} winners, cost {}, {} add1 steps, {} exact runs",
                outcome.winners.len(),
                outcome.total_cost,
                outcome.add1_steps,
                outcome.exact_runs
            );
            let facts = json!({
                "winners": outcome.winners.len(),
                "total_cost": outcome.total_cost,
                "add1_steps": outcome.add1_steps,
                "exact_runs": outcome.exact_runs,
            });
            record(rule, &times, Some(ids(&election, &outcome.winners)), detail, facts);
        }
        results.push(json!({
            "file": name,
            "path": path,
            "projects": election.projects().len(),
            "voters": election.voter_count(),
            "approvals": approvals,
            "add1_increment": increment,
            "rules": Value::Object(rules),
        }));
    }
    if let Some(out) = &o.json {
        let text = serde_json::to_string_pretty(&json!({ "implementation": "budget-rules", "files": results }))
            .expect("serialise");
        std::fs::write(out, text).expect("write the json file");
    }
}
