//! PaBuLib `.pb` files: read them into a typed [`Instance`] and write them back.
//!
//! A file has three sections, each opened by its name on a line of its own and followed
//! by a header row: `META` (`key;value`), `PROJECTS` (`project_id;cost;…`) and `VOTES`
//! (`voter_id;vote;…`). Fields are separated by `;` and may be quoted (see
//! `records.rs`). What this reader decides, beyond the format description:
//!
//! - **Money is exact.** `budget` and every `cost` are [`Decimal`]s: whole numbers as in
//!   nearly every file, and decimals such as `1234.50` kept to the digit. Negative or
//!   non-numeric costs are errors. [`crate::rules::Election::from_pb`] turns them into
//!   whole numbers of the smallest unit that the file uses.
//! - **Counts in META or PROJECTS are not checked against the rows.** Subsampled files keep
//!   the original `num_votes` and per-project `votes`; they are data, kept as written.
//! - **Every column is kept in order**, including ones this crate does not know, so a file
//!   written back by [`Instance::to_pb`] has the same columns.
//! - A vote that names an unknown project or lists one twice, a duplicate project or voter
//!   id, and a `points` list whose length differs from `vote` are errors, with the line.
//! - A META row whose value holds unquoted `;` keeps the rest of the row as its value.

mod error;
mod parse;
mod records;
mod write;

use std::fmt;

pub use error::{ParseError, ParseErrorKind, Section};

use crate::decimal::Decimal;

/// The ballot format of a file (`vote_type` in META).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VoteType {
    /// Each vote is a set of approved projects.
    Approval,
    /// Each vote ranks projects, most preferred first.
    Ordinal,
    /// Each vote spreads points over projects (`points` column).
    Cumulative,
    /// Each vote scores projects (`points` column).
    Scoring,
    /// Any other value, kept as written (for instance `choose-1`).
    Other(String),
}

impl VoteType {
    fn parse(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "approval" => VoteType::Approval,
            "ordinal" => VoteType::Ordinal,
            "cumulative" => VoteType::Cumulative,
            "scoring" => VoteType::Scoring,
            _ => VoteType::Other(text.to_string()),
        }
    }

    /// Whether votes of this type carry a `points` list.
    pub fn has_points(&self) -> bool {
        matches!(self, VoteType::Cumulative | VoteType::Scoring)
    }
}

impl fmt::Display for VoteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VoteType::Approval => "approval",
            VoteType::Ordinal => "ordinal",
            VoteType::Cumulative => "cumulative",
            VoteType::Scoring => "scoring",
            VoteType::Other(text) => text,
        })
    }
}

/// The META section: every key/value pair in file order, with the keys the rules need
/// already checked and typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    entries: Vec<(String, String)>,
    budget: Decimal,
    vote_type: VoteType,
    min_length: Option<u64>,
    max_length: Option<u64>,
}

impl Meta {
    /// Checks `entries` (in the order they are to be written): `budget` (a number ≥ 0) and
    /// `vote_type` must be there, `min_length` and `max_length` must be whole numbers if present.
    pub fn from_entries(entries: Vec<(String, String)>) -> Result<Self, ParseErrorKind> {
        let lines = vec![None; entries.len()];
        parse::build_meta(entries, &lines, None).map_err(|e| e.kind)
    }

    /// Every key/value pair, in file order.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The budget limit.
    pub fn budget(&self) -> Decimal {
        self.budget
    }

    /// The ballot format.
    pub fn vote_type(&self) -> &VoteType {
        &self.vote_type
    }

    /// The least number of projects a ballot had to name, if stated.
    pub fn min_length(&self) -> Option<u64> {
        self.min_length
    }

    /// The most projects a ballot could name, if stated.
    pub fn max_length(&self) -> Option<u64> {
        self.max_length
    }
}

/// One row of PROJECTS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// `project_id`.
    pub id: String,
    /// `cost`, exact.
    pub cost: Decimal,
    /// `name`, if the file has that column.
    pub name: Option<String>,
    /// Every other column as (column name, value), in header order.
    pub extra: Vec<(String, String)>,
}

/// One row of VOTES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// `voter_id`.
    pub voter_id: String,
    /// The project ids of `vote`, in the order written (a ranking for ordinal votes).
    pub projects: Vec<String>,
    /// `points`, one per project, if the file has that column.
    pub points: Option<Vec<Decimal>>,
    /// Every other column as (column name, value), in header order.
    pub extra: Vec<(String, String)>,
}

/// A whole `.pb` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// META.
    pub meta: Meta,
    /// The PROJECTS header, in order (it includes `project_id` and `cost`).
    pub project_columns: Vec<String>,
    /// PROJECTS rows, in file order.
    pub projects: Vec<Project>,
    /// The VOTES header, in order (it includes `voter_id` and `vote`).
    pub vote_columns: Vec<String>,
    /// VOTES rows, in file order.
    pub votes: Vec<Vote>,
}

impl Instance {
    /// Reads a `.pb` file.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        parse::parse(text)
    }

    /// Writes the instance as `.pb` text, quoting fields where needed, so that
    /// [`Instance::parse`] gives back an equal instance.
    pub fn to_pb(&self) -> String {
        write::to_pb(self)
    }

    /// The project with id `id`, if any.
    pub fn project(&self, id: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.id == id)
    }
}

impl std::str::FromStr for Instance {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}
