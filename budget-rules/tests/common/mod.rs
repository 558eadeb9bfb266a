//! Helpers shared by the integration tests: the shipped PaBuLib files and reference JSON.

#![allow(dead_code, clippy::expect_used)]

use std::path::{Path, PathBuf};

use budget_rules::pb::Instance;
use budget_rules::rules::{Election, ProjectIndex};
use serde_json::Value;

/// The four real instances, by file name.
pub const REAL_FILES: [&str; 4] = [
    "hungary_budapest_2024.pb",
    "netherlands_amsterdam_2022_west.pb",
    "poland_warszawa_2021_bielany.pb",
    "poland_wieliczka_2023_green-budget.pb",
];

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pabulib")
}

pub fn instance(file: &str) -> Instance {
    let text = std::fs::read_to_string(data_dir().join(file)).expect("read a .pb file");
    Instance::parse(&text).expect("parse a .pb file")
}

pub fn election(file: &str) -> Election {
    Election::from_pb(&instance(file)).expect("an approval election")
}

pub fn reference(name: &str) -> Value {
    let text = std::fs::read_to_string(data_dir().join("reference").join(name)).expect("read a reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

/// `test/fixtures/pb/x.pb` → `x.pb`.
pub fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

pub fn strings(value: &Value) -> Vec<String> {
    value.as_array().expect("an array").iter().map(|v| v.as_str().expect("a string").to_string()).collect()
}

pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

pub fn ids(election: &Election, projects: &[ProjectIndex]) -> Vec<String> {
    election.ids(projects)
}
