//! Our winners against pabutools' (the academic reference implementation), from the
//! JSON files in `tests/data/pabulib/reference/` (produced with pabutools, lexicographic
//! tie-breaking, exact fractions).

// Helpers outside `#[test]` functions expect too: a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use budget_rules::rules::{
    greedy, method_of_equal_shares, Completion, GreedyMetric, GreedyOptions, MesOptions, TieBreaking, Utility,
};
use common::{election, file_name, ids, reference, sorted, strings};

fn mes_winners(file: &str, utility: Utility) -> Vec<String> {
    let e = election(file);
    let options = MesOptions { utility, completion: Completion::None, ..MesOptions::default() };
    let outcome = method_of_equal_shares(&e, &options).expect("an outcome");
    sorted(ids(&e, &outcome.winners))
}

#[test]
fn equal_shares_with_cost_utilities_matches_pabutools_on_the_four_real_files() {
    let reference = reference("pabutools_reference.json");
    let entries = reference.as_object().expect("object");
    assert_eq!(entries.len(), 4);
    for (key, entry) in entries {
        let file = file_name(key);
        assert_eq!(mes_winners(file, Utility::Cost), strings(&entry["winners"]), "{file}");
        let e = election(file);
        let options = MesOptions { completion: Completion::None, ..MesOptions::default() };
        let outcome = method_of_equal_shares(&e, &options).expect("an outcome");
        assert_eq!(outcome.total_cost, entry["total_cost"].as_u64().expect("cost"), "{file}");
    }
}

#[test]
fn equal_shares_with_cost_and_approval_utilities_matches_pabutools_satisfaction_reference() {
    let reference = reference("pabutools_satisfaction_reference.json");
    for (key, entry) in reference.as_object().expect("object") {
        let file = file_name(key);
        assert_eq!(mes_winners(file, Utility::Cost), strings(&entry["cost"]), "{file} cost");
        assert_eq!(mes_winners(file, Utility::Approval), strings(&entry["cardinality"]), "{file} cardinality");
        // Not supported: `effort` (Effort_Sat, utility = share of the cost paid) is not a
        // utility this crate offers; only cost and approval (cardinality) utilities are.
        assert!(entry.get("effort").is_some());
    }
}

#[test]
fn greedy_matches_pabutools_greedy_utilitarian_welfare() {
    let reference = reference("pabutools_rules_reference.json");
    for (key, entry) in reference.as_object().expect("object") {
        let file = file_name(key);
        let e = election(file);
        // pabutools' `Cost_Sat` ranks by votes, `Cardinality_Sat` by votes per cost.
        for (name, metric) in [("greedy_cost", GreedyMetric::Votes), ("greedy_cardinality", GreedyMetric::VotesPerCost)]
        {
            let options =
                GreedyOptions { metric, tie_breaking: TieBreaking::pabutools(), fund_projects_without_votes: true };
            let outcome = greedy(&e, &options).expect("an outcome");
            assert_eq!(sorted(ids(&e, &outcome.winners)), strings(&entry[name]), "{file} {name}");
        }
        // Not supported: `phragmen` (sequential Phragmén) is not one of this crate's rules.
        assert!(entry.get("phragmen").is_some());
    }
}
