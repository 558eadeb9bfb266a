//! What each rule says about each project, on a small election worked out by hand.
//!
//! Budget 100, four voters (25 each under equal shares):
//! A costs 40, approved by v1 v2 v3; B costs 60, by v4; C costs 30, by v1 v2;
//! D is free, approved by v4; E costs 10 and nobody approves it.

// Helpers outside `#[test]` functions expect too: a failed expectation is a failed test.
#![allow(clippy::expect_used)]

use budget_rules::rules::{
    greedy, method_of_equal_shares, Completion, Election, GreedyDecision, GreedyOptions, MesDecision, MesOptions,
};

fn election() -> Election {
    let projects = [("A", 40), ("B", 60), ("C", 30), ("D", 0), ("E", 10)].map(|(id, cost)| (id.to_string(), cost));
    let ballots = vec![vec!["A", "C"], vec!["A", "C"], vec!["A"], vec!["B", "D"]];
    Election::new(100, projects, ballots).expect("election")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn equal_shares_explains_purchases_and_refusals() {
    let e = election();
    let outcome = method_of_equal_shares(&e, &MesOptions { completion: Completion::Greedy, ..MesOptions::default() })
        .expect("mes");
    assert_eq!(e.ids(&outcome.winners), ["D", "A", "C"], "free first, then round 1, then completion");
    assert_eq!(outcome.total_cost, 70);

    let MesDecision::Bought { round, max_payment, rho, effective_votes, payments } = &outcome.projects[0].decision
    else {
        panic!("A is bought: {:?}", outcome.projects[0]);
    };
    assert_eq!(*round, 1);
    assert!(close(*max_payment, 40.0 / 3.0) && close(*rho, 1.0 / 3.0) && close(*effective_votes, 3.0));
    assert_eq!(payments.iter().map(|p| p.voter).collect::<Vec<_>>(), [0, 1, 2]);

    assert_eq!(outcome.projects[1].decision, MesDecision::NeverAffordable { supporters_money: 25.0 });
    let MesDecision::Outbid {
        last_affordable_round,
        max_payment,
        rho,
        bought_instead,
        winning_rho,
        supporters_money_at_end,
    } = outcome.projects[2].decision
    else {
        panic!("C lost round 1 to A: {:?}", outcome.projects[2]);
    };
    assert_eq!((last_affordable_round, bought_instead), (1, 0));
    assert!(close(max_payment, 15.0) && close(rho, 0.5) && close(winning_rho, 1.0 / 3.0));
    assert!(close(supporters_money_at_end, 2.0 * (25.0 - 40.0 / 3.0)));
    assert_eq!(outcome.projects[3].decision, MesDecision::Free);
    assert_eq!(outcome.projects[4].decision, MesDecision::NoSupporters);

    // The greedy completion had 60 left: C (2 votes) fits, then B (1 vote) does not.
    let completion = |p: usize| outcome.projects[p].completion.as_ref().map(|c| c.decision.clone());
    assert_eq!(completion(2), Some(GreedyDecision::Funded { remaining_after: 30 }));
    assert_eq!(completion(1), Some(GreedyDecision::DidNotFit { remaining_budget: 30 }));
    assert_eq!(completion(4), Some(GreedyDecision::NoVotes));
    assert_eq!(completion(0), None, "bought in the rounds");
}

#[test]
fn greedy_explains_rank_and_what_was_left() {
    let e = election();
    let outcome = greedy(&e, &GreedyOptions::default()).expect("greedy");
    // B and D have one vote each: the tie goes to the id first in text order, B.
    assert_eq!(e.ids(&outcome.winners), ["A", "C", "D"]);
    let decisions: Vec<(usize, GreedyDecision)> =
        outcome.projects.iter().map(|p| (p.rank, p.decision.clone())).collect();
    assert_eq!(
        decisions,
        [
            (1, GreedyDecision::Funded { remaining_after: 60 }),
            (3, GreedyDecision::DidNotFit { remaining_budget: 30 }),
            (2, GreedyDecision::Funded { remaining_after: 30 }),
            (4, GreedyDecision::Funded { remaining_after: 30 }),
            (5, GreedyDecision::NoVotes),
        ]
    );
}
