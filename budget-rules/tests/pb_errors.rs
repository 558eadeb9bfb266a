//! What the `.pb` reader refuses (with the line and a reason) and what it accepts.

// Helpers outside `#[test]` functions expect too: a failed expectation is a failed test.
#![allow(clippy::expect_used)]

use budget_rules::pb::{Instance, ParseErrorKind as Kind, Section, VoteType};

const GOOD: &str = "META
key;value
budget;100
vote_type;approval
PROJECTS
project_id;cost;name
1;40;First
2;60;Second
VOTES
voter_id;vote
a;1,2
b;2
";

/// `GOOD` with `from` replaced by `to`, parsed; the error's line and kind.
fn error_after(from: &str, to: &str) -> (Option<usize>, Kind) {
    assert!(GOOD.contains(from), "{from:?}");
    let err = Instance::parse(&GOOD.replacen(from, to, 1)).expect_err("an error");
    assert!(!err.to_string().is_empty());
    (err.line, err.kind)
}

#[test]
fn the_good_file_parses() {
    let instance = Instance::parse(GOOD).expect("parse");
    assert_eq!(instance.projects.len(), 2);
    assert_eq!(instance.votes[0].projects, ["1", "2"]);
}

#[test]
fn structure_errors_name_the_line() {
    assert_eq!(error_after("PROJECTS\n", "PROJECTZ\n"), (Some(5), Kind::UnknownSection("PROJECTZ".into())));
    assert_eq!(error_after("META\n", "hello;world\nMETA\n"), (Some(1), Kind::DataBeforeFirstSection));
    assert_eq!(error_after("VOTES\n", "META\nVOTES\n"), (Some(9), Kind::DuplicateSection(Section::Meta)));
    assert_eq!(error_after("VOTES\nvoter_id;vote\na;1,2\nb;2\n", ""), (None, Kind::MissingSection(Section::Votes)));
    assert_eq!(
        error_after("VOTES\nvoter_id;vote\na;1,2\nb;2\n", "VOTES\n"),
        (Some(9), Kind::MissingHeader(Section::Votes))
    );
    assert_eq!(error_after("key;value", "name;value"), (Some(2), Kind::BadMetaHeader));
    assert_eq!(
        error_after("project_id;cost;name", "project_id;price;name"),
        (Some(6), Kind::MissingColumn { section: Section::Projects, column: "cost" })
    );
    assert_eq!(
        error_after("project_id;cost;name", "project_id;cost;cost"),
        (Some(6), Kind::BadColumnName { section: Section::Projects, column: "cost".into() })
    );
    assert_eq!(error_after("2;60;Second", "2;60"), (Some(8), Kind::WrongFieldCount { expected: 3, found: 2 }));
    assert_eq!(error_after("2;60;Second", "2;60;Second;x"), (Some(8), Kind::WrongFieldCount { expected: 3, found: 4 }));
}

#[test]
fn quoting_errors_name_the_line() {
    assert_eq!(error_after("1;40;First", "1;40;\"First"), (Some(7), Kind::UnterminatedQuote));
    assert_eq!(error_after("1;40;First", "1;40;\"Fir\"st"), (Some(7), Kind::TextAfterClosingQuote('s')));
}

#[test]
fn meta_errors() {
    assert_eq!(error_after("budget;100\n", ""), (Some(2), Kind::MissingBudget));
    assert_eq!(error_after("vote_type;approval\n", ""), (Some(2), Kind::MissingVoteType));
    let bad_budget = error_after("budget;100", "budget;lots");
    assert!(matches!(bad_budget, (Some(3), Kind::BadMetaNumber { .. })), "{bad_budget:?}");
    assert!(matches!(error_after("budget;100", "budget;-5"), (Some(3), Kind::BadMetaNumber { .. })));
    assert!(matches!(error_after("budget;100", "budget;100\nmax_length;3.5"), (Some(4), Kind::BadMetaNumber { .. })));
    assert_eq!(error_after("budget;100", "budget;100\nbudget;200"), (Some(4), Kind::DuplicateMetaKey("budget".into())));
    assert_eq!(error_after("budget;100", "budget;100\ncountry"), (Some(4), Kind::MetaWithoutValue("country".into())));
}

#[test]
fn project_errors() {
    let non_numeric = Kind::NonNumericCost { project: "1".into(), value: "forty".into() };
    assert_eq!(error_after("1;40;First", "1;forty;First"), (Some(7), non_numeric));
    assert_eq!(
        error_after("1;40;First", "1;1e3;First").1,
        Kind::NonNumericCost { project: "1".into(), value: "1e3".into() }
    );
    let negative = Kind::NegativeCost { project: "1".into(), value: "-40".into() };
    assert_eq!(error_after("1;40;First", "1;-40;First"), (Some(7), negative));
    assert_eq!(error_after("2;60;Second", "1;60;Second"), (Some(8), Kind::DuplicateProject("1".into())));
    assert_eq!(error_after("2;60;Second", ";60;Second"), (Some(8), Kind::EmptyId("project")));
}

#[test]
fn vote_errors() {
    let unknown = Kind::UnknownProjectInVote { voter: "b".into(), project: "3".into() };
    assert_eq!(error_after("b;2", "b;3"), (Some(12), unknown));
    assert_eq!(error_after("b;2", "a;2"), (Some(12), Kind::DuplicateVoter("a".into())));
    assert_eq!(
        error_after("b;2", "b;2,2"),
        (Some(12), Kind::DuplicateProjectInVote { voter: "b".into(), project: "2".into() })
    );
    assert_eq!(error_after("b;2", "b;2,"), (Some(12), Kind::EmptyVoteEntry("b".into())));
    let cumulative = GOOD.replace("approval", "cumulative");
    let err = Instance::parse(&cumulative).expect_err("no points column");
    assert_eq!((err.line, err.kind), (Some(10), Kind::MissingColumn { section: Section::Votes, column: "points" }));
    let with_points = cumulative
        .replace("voter_id;vote", "voter_id;vote;points")
        .replace("a;1,2", "a;1,2;3,4")
        .replace("b;2\n", "b;2;1,1\n");
    let err = Instance::parse(&with_points).expect_err("two points for one project");
    assert_eq!(
        (err.line, err.kind),
        (Some(12), Kind::PointsCountMismatch { voter: "b".into(), projects: 1, points: 2 })
    );
    let bad_points = with_points.replace("b;2;1,1", "b;2;x");
    assert_eq!(
        Instance::parse(&bad_points).expect_err("x").kind,
        Kind::NonNumericPoints { voter: "b".into(), value: "x".into() }
    );
}

#[test]
fn tolerated_variations_parse() {
    // Spaces after separators, as in the format description; CRLF line ends; a byte-order
    // mark; blank lines; a trailing `;`; an unquoted `;` in a META value; lower-case
    // section names; quoted fields holding `;` and `"`; an empty ballot.
    let text = "\u{feff}meta\r\nkey; value\r\nbudget; 2500\r\nvote_type; approval\r\ncomment; #1: a; b\r\n\r\n\
                PROJECTS\r\nproject_id; cost; name\r\n1; 600; \"Park; phase \"\"II\"\"\";\r\n2; 800; Pool\r\n\
                votes\r\nvoter_id; vote; age\r\n1; 1,2; 34\r\n2; ; 51\r\n";
    let instance = Instance::parse(text).expect("parse");
    assert_eq!(instance.meta.get("comment"), Some("#1: a;b"));
    assert_eq!(instance.projects[0].name.as_deref(), Some("Park; phase \"II\""));
    assert!(instance.votes[1].projects.is_empty());
    assert_eq!(instance.votes[0].extra, [("age".to_string(), "34".to_string())]);
    assert_eq!(Instance::parse(&instance.to_pb()).expect("written back"), instance);
}

#[test]
fn awkward_values_round_trip() {
    let text = "META\nkey;value\nbudget;1000.50\nvote_type;scoring\ndescription;\" spaced \"\n\
                PROJECTS\nproject_id;name;cost;note\np1;\"two\nlines\";10.25;\"a;b\"\np2;\"\"\"quoted\"\"\";0;\n\
                VOTES\nvoter_id;vote;points\nv1;p1,p2;3,-1.5\nv2;;\n";
    let instance = Instance::parse(text).expect("parse");
    assert_eq!(instance.meta.vote_type(), &VoteType::Scoring);
    assert_eq!(instance.meta.budget().to_string(), "1000.50");
    assert_eq!(instance.meta.get("description"), Some(" spaced "));
    assert_eq!(instance.projects[0].name.as_deref(), Some("two\nlines"));
    assert_eq!(instance.projects[0].cost.to_string(), "10.25");
    assert_eq!(
        instance.votes[0].points.as_ref().map(|p| p.iter().map(ToString::to_string).collect::<Vec<_>>()),
        Some(vec!["3".into(), "-1.5".into()])
    );
    let written = instance.to_pb();
    assert_eq!(Instance::parse(&written).expect("written back"), instance);
    assert!(written.contains("p1;\"two\nlines\";10.25;\"a;b\""), "{written}");
}
