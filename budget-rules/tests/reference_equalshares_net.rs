//! Our winners against the original equalshares.net JavaScript, from
//! `reference/js_reference.json` (Wieliczka, 8 parameter sets) and
//! `reference/pb_reference.json` (the 3 subsampled files, 6 parameter sets each).
//!
//! The JavaScript runs in floats or fractions; both give the same winners everywhere
//! here, and so do we (see the numbers note in `rules::mes`). Winners are compared in
//! selection order.

// Helpers outside `#[test]` functions expect too: a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use budget_rules::rules::{
    method_of_equal_shares, Add1Options, Completion, GreedyMetric, GreedyOptions, MesError, MesOptions, TieBreak,
    TieBreaking, Utility,
};
use common::{election, ids, reference, strings};
use serde_json::Value;

/// The crate's options for equalshares.net `params`, or why they are not supported.
fn options(params: &Value) -> Result<MesOptions, String> {
    if params["comparison"] != "none" {
        return Err(format!(
            "comparison {:?}: the final \"MES or greedy, whichever more voters prefer\" step is not implemented",
            params["comparison"]
        ));
    }
    let options = strings(&params["add1options"]);
    assert_eq!(options, ["exhaustive", "integral"], "the references only use these add1 options");
    let mut tie_breaking = Vec::new();
    for method in strings(&params["tieBreaking"]) {
        tie_breaking.push(match method.as_str() {
            "maxVotes" => TieBreak::MoreVotes,
            "minCost" => TieBreak::LowerCost,
            "maxCost" => TieBreak::HigherCost,
            other => return Err(format!("tie-breaking {other:?}")),
        });
    }
    let increment = params["increment"].as_u64().expect("increment");
    let add1 = Add1Options::equalshares_net(increment);
    let completion = match params["completion"].as_str().expect("completion") {
        "none" => Completion::None,
        "add1" => Completion::Add1(add1),
        "add1u" => Completion::Add1ThenGreedy(add1),
        "utilitarian" => Completion::Greedy,
        other => return Err(format!("completion {other:?}")),
    };
    // equalshares.net's greedy completion sorts by votes, keeping JavaScript key order on ties.
    let greedy = GreedyOptions {
        metric: GreedyMetric::Votes,
        tie_breaking: TieBreaking(vec![TieBreak::IdNumericThenInput]),
        fund_projects_without_votes: true,
    };
    Ok(MesOptions { utility: Utility::Cost, completion, tie_breaking: TieBreaking(tie_breaking), greedy })
}

/// Checks one reference entry; returns a note if it is not supported.
fn check(label: &str, file: &str, entry: &Value) -> Option<String> {
    let options = match options(&entry["params"]) {
        Ok(options) => options,
        Err(reason) => return Some(format!("{label}: not supported: {reason}")),
    };
    let e = election(file);
    let outcome = method_of_equal_shares(&e, &options);
    if let Some(error) = entry.get("error") {
        let Err(MesError::UnresolvedTie(tie)) = outcome else {
            panic!("{label}: expected the error {error}, got {outcome:?}");
        };
        let message = error.as_str().expect("error text");
        let expected = format!("tie between projects {} could not be resolved", tie.projects.join(", "));
        assert!(message.contains(&expected), "{label}: {message:?} should name {:?}", tie.projects);
        return None;
    }
    let outcome = outcome.unwrap_or_else(|err| panic!("{label}: {err}"));
    let result = &entry["result"];
    assert_eq!(ids(&e, &outcome.winners), strings(&result["winners"]), "{label}: winners in order");
    assert_eq!(outcome.total_cost, result["totalCost"].as_u64().expect("totalCost"), "{label}");
    let endowment = result["endowment"].as_f64().expect("endowment");
    assert!((outcome.endowment - endowment).abs() < 1e-6, "{label}: endowment {} ≠ {endowment}", outcome.endowment);
    None
}

#[test]
fn wieliczka_matches_the_equalshares_net_javascript() {
    let reference = reference("js_reference.json");
    let mut unsupported = Vec::new();
    for (label, entry) in reference.as_object().expect("object") {
        unsupported.extend(check(label, "poland_wieliczka_2023_green-budget.pb", entry));
    }
    // The one entry with comparison "satisfaction" keeps the MES outcome (its winners are
    // those of add1u); the comparison step itself is not implemented.
    assert_eq!(unsupported.len(), 1, "{unsupported:?}");
    assert!(unsupported[0].starts_with("floats_add1u_satisfaction"), "{unsupported:?}");
}

#[test]
fn subsampled_files_match_the_equalshares_net_javascript() {
    let reference = reference("pb_reference.json");
    let entries = reference.as_object().expect("object");
    assert_eq!(entries.len(), 18);
    for (label, entry) in entries {
        let file = entry["fixture"].as_str().expect("fixture");
        assert_eq!(check(label, file, entry), None);
    }
}

#[test]
fn amsterdam_without_tie_breaking_stops_on_the_same_tie_as_the_javascript() {
    let e = election("netherlands_amsterdam_2022_west.pb");
    let options =
        MesOptions { completion: Completion::None, tie_breaking: TieBreaking::none(), ..MesOptions::default() };
    let Err(MesError::UnresolvedTie(tie)) = method_of_equal_shares(&e, &options) else {
        panic!("expected an unresolved tie");
    };
    assert_eq!(tie.projects, ["44496", "44516"]);
}
