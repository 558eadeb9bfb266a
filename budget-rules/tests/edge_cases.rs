//! Elections at the edges: empty ballots, no voters, a budget of 0, projects costing more
//! than the budget, ballots naming a project twice, and inputs that are refused.

// Helpers outside `#[test]` functions expect too: a failed expectation is a failed test.
#![allow(clippy::expect_used)]

use budget_rules::pb::Instance;
use budget_rules::rules::{
    greedy, maximal_coverage, method_of_equal_shares, Add1Options, Completion, CoverageDecision, CoverageOptions,
    Election, ElectionError, GreedyDecision, GreedyOptions, MesDecision, MesError, MesOptions,
};

fn election(budget: u64, projects: &[(&str, u64)], ballots: &[&[&str]]) -> Election {
    let projects = projects.iter().map(|&(id, cost)| (id.to_string(), cost));
    Election::new(budget, projects, ballots.iter().map(|b| b.iter())).expect("election")
}

fn all_rules(e: &Election) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mes = method_of_equal_shares(e, &MesOptions::default()).expect("mes");
    let greedy = greedy(e, &GreedyOptions::default()).expect("greedy");
    let coverage = maximal_coverage(e, &CoverageOptions::default());
    (e.ids(&mes.winners), e.ids(&greedy.winners), e.ids(&coverage.winners))
}

#[test]
fn empty_ballots_count_as_voters_with_a_share_they_never_spend() {
    let e = election(100, &[("x", 60)], &[&["x"], &[]]);
    let mes =
        method_of_equal_shares(&e, &MesOptions { completion: Completion::None, ..MesOptions::default() }).expect("mes");
    assert_eq!(mes.endowment, 50.0);
    assert!(mes.winners.is_empty());
    assert_eq!(mes.projects[0].decision, MesDecision::NeverAffordable { supporters_money: 50.0 });
    let coverage = maximal_coverage(&e, &CoverageOptions::default());
    assert_eq!((coverage.reached_voters, coverage.voters_with_approvals), (1, 1));
    // add1 raises the shares until x is affordable; greedy funds it directly.
    let (mes, greedy, coverage) = all_rules(&e);
    assert_eq!((mes, greedy, coverage), (vec!["x".into()], vec!["x".into()], vec!["x".into()]));
}

#[test]
fn a_project_costing_more_than_the_budget_is_never_funded() {
    let e = election(100, &[("big", 150), ("small", 40)], &[&["big"], &["big"], &["big", "small"]]);
    let (mes, greedy_winners, coverage_winners) = all_rules(&e);
    assert_eq!(
        (mes, greedy_winners, coverage_winners),
        (vec!["small".into()], vec!["small".into()], vec!["small".into()])
    );
    let g = greedy(&e, &GreedyOptions::default()).expect("greedy");
    assert_eq!(g.projects[0].rank, 1);
    assert_eq!(g.projects[0].decision, GreedyDecision::DidNotFit { remaining_budget: 100 });
    let c = maximal_coverage(&e, &CoverageOptions::default());
    assert_eq!(c.projects[0].decision, CoverageDecision::CostsMoreThanBudget);
}

#[test]
fn no_voters_fund_nothing() {
    let e = election(100, &[("a", 10), ("b", 0)], &[]);
    let (mes, greedy_winners, coverage_winners) = all_rules(&e);
    assert!(mes.is_empty() && greedy_winners.is_empty() && coverage_winners.is_empty());
    let m = method_of_equal_shares(&e, &MesOptions::default()).expect("mes");
    assert_eq!(m.endowment, 0.0);
    assert!(m.projects.iter().all(|p| p.decision == MesDecision::NoSupporters));
    // pabutools' greedy would fund projects nobody voted for; that is an option here.
    let options = GreedyOptions { fund_projects_without_votes: true, ..GreedyOptions::default() };
    assert_eq!(e.ids(&greedy(&e, &options).expect("greedy").winners), ["a", "b"]);
}

#[test]
fn a_budget_of_zero_funds_only_free_projects_with_votes() {
    let e = election(0, &[("paid", 1), ("free", 0), ("free-unvoted", 0)], &[&["paid", "free"], &["paid"]]);
    let (mes, greedy_winners, coverage_winners) = all_rules(&e);
    assert_eq!(
        (mes, greedy_winners, coverage_winners),
        (vec!["free".into()], vec!["free".into()], vec!["free".into()])
    );
    let m = method_of_equal_shares(&e, &MesOptions::default()).expect("mes");
    assert_eq!(m.projects[1].decision, MesDecision::Free);
    assert_eq!(m.add1_steps, 0, "one step would buy `paid`, which the real budget cannot pay");
}

#[test]
fn a_ballot_naming_a_project_twice_counts_it_once() {
    let e = election(10, &[("a", 10), ("b", 10)], &[&["a", "a", "a"], &["b"], &["b"]]);
    assert_eq!(e.votes(0), 1);
    assert_eq!(e.ballots()[0], [0]);
    let (mes, greedy_winners, _) = all_rules(&e);
    assert_eq!((mes, greedy_winners), (vec!["b".into()], vec!["b".into()]));
    // In a .pb file the same project twice in one vote is a data error.
    let text = "META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\na;10\nVOTES\nvoter_id;vote\n1;a,a\n";
    assert!(Instance::parse(text).is_err());
}

#[test]
fn bad_inputs_are_refused_with_a_reason() {
    let projects = || [("a".to_string(), 1), ("a".to_string(), 2)];
    assert_eq!(Election::new(5, projects(), Vec::<Vec<&str>>::new()), Err(ElectionError::DuplicateProject("a".into())));
    let unknown = Election::new(5, [("a".to_string(), 1)], [vec!["a"], vec!["zz"]]);
    assert_eq!(unknown, Err(ElectionError::UnknownProject { ballot: 1, project: "zz".into() }));
    let huge = Election::new(1 << 54, [("a".to_string(), 1)], [vec!["a"]]);
    assert_eq!(huge, Err(ElectionError::AmountTooLarge));
    let e = election(100, &[("a", 60)], &[&["a"], &[]]);
    let zero = MesOptions {
        completion: Completion::Add1(Add1Options { increment: 0, ..Add1Options::default() }),
        ..MesOptions::default()
    };
    assert_eq!(method_of_equal_shares(&e, &zero), Err(MesError::ZeroIncrement));
    let short = Add1Options { max_steps: 3, ..Add1Options::default() };
    let options = MesOptions { completion: Completion::Add1(short), ..MesOptions::default() };
    assert_eq!(method_of_equal_shares(&e, &options), Err(MesError::TooManySteps(3)));
}

#[test]
fn decimal_costs_become_whole_units_of_the_smallest_decimal_used() {
    let text = "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\na;10.5\nb;0.25\nVOTES\nvoter_id;vote\n1;a,b\n";
    let e = Election::from_pb(&Instance::parse(text).expect("parse")).expect("election");
    assert_eq!((e.money_scale(), e.budget(), e.project(0).cost, e.project(1).cost), (2, 10_000, 1050, 25));
    let ordinal = text.replace("approval", "ordinal");
    let refused = Election::from_pb(&Instance::parse(&ordinal).expect("parse"));
    assert!(matches!(refused, Err(ElectionError::NotApproval(_))));
}
