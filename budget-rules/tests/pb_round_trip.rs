//! Every `.pb` file shipped in `tests/data/pabulib` parses, and writing it back gives the same instance.

// Helpers outside `#[test]` functions expect too: a failed expectation is a failed test.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

use budget_rules::pb::{Instance, VoteType};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pabulib")
}

fn pb_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [data_dir(), data_dir().join("synthetic")] {
        for entry in std::fs::read_dir(&dir).expect("data dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "pb") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_shipped_file_parses_and_round_trips() {
    let files = pb_files();
    assert_eq!(files.len(), 13, "4 real and 9 synthetic files");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let instance = Instance::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let written = instance.to_pb();
        let again = Instance::parse(&written).unwrap_or_else(|e| panic!("{} written back: {e}", path.display()));
        assert_eq!(instance, again, "{}", path.display());
        // Writing is stable: the second text is the first.
        assert_eq!(written, again.to_pb(), "{}", path.display());
    }
}

#[test]
fn real_files_have_the_documented_shape() {
    let expected = [
        ("hungary_budapest_2024.pb", 175, 402, "1000000000"),
        ("netherlands_amsterdam_2022_west.pb", 62, 412, "300000"),
        ("poland_warszawa_2021_bielany.pb", 132, 409, "4321791"),
        ("poland_wieliczka_2023_green-budget.pb", 64, 6586, "1000000"),
    ];
    for (file, projects, votes, budget) in expected {
        let text = std::fs::read_to_string(data_dir().join(file)).expect("read");
        let instance = Instance::parse(&text).expect("parse");
        assert_eq!(instance.projects.len(), projects, "{file}");
        assert_eq!(instance.votes.len(), votes, "{file}");
        assert_eq!(instance.meta.budget().to_string(), budget, "{file}");
        assert_eq!(instance.meta.vote_type(), &VoteType::Approval, "{file}");
    }
}

#[test]
fn an_instance_built_in_code_is_written_as_a_pb_file() {
    use budget_rules::pb::{Meta, Project, Vote};
    use budget_rules::Decimal;

    let meta = Meta::from_entries(vec![
        ("description".into(), "Budget participatif 2027; quartier nord".into()),
        ("budget".into(), "50000".into()),
        ("vote_type".into(), "approval".into()),
        ("currency".into(), "EUR".into()),
    ])
    .expect("meta");
    let project = |id: &str, cost: i64, name: &str| Project {
        id: id.into(),
        cost: Decimal::from_int(cost),
        name: Some(name.into()),
        extra: vec![("votes".into(), "2".into())],
    };
    let vote = |id: &str, projects: &[&str]| Vote {
        voter_id: id.into(),
        projects: projects.iter().map(|p| p.to_string()).collect(),
        points: None,
        extra: Vec::new(),
    };
    let instance = Instance {
        meta,
        project_columns: ["project_id", "cost", "votes", "name"].map(String::from).to_vec(),
        projects: vec![project("p1", 30000, "Jardin \"partagé\""), project("p2", 25000, "Pistes cyclables")],
        vote_columns: ["voter_id", "vote"].map(String::from).to_vec(),
        votes: vec![vote("1", &["p1", "p2"]), vote("2", &["p2"]), vote("3", &[])],
    };
    let text = instance.to_pb();
    assert!(text.starts_with("META\nkey;value\ndescription;\"Budget participatif 2027; quartier nord\"\n"), "{text}");
    assert!(text.contains("PROJECTS\nproject_id;cost;votes;name\np1;30000;2;\"Jardin \"\"partagé\"\"\"\n"), "{text}");
    assert!(text.ends_with("VOTES\nvoter_id;vote\n1;p1,p2\n2;p2\n3;\n"), "{text}");
    assert_eq!(Instance::parse(&text).expect("parse"), instance);
    assert!(Meta::from_entries(vec![("vote_type".into(), "approval".into())]).is_err(), "no budget");
}
