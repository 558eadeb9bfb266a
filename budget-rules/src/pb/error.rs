//! What can be wrong with a `.pb` file, and where.

use std::fmt;

/// A `.pb` file that cannot be read: what is wrong ([`ParseErrorKind`]) and on which
/// line (1-based; `None` when the problem is the file as a whole, such as a missing section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The line the problem is on, counting from 1.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

impl ParseError {
    pub(crate) fn at(line: usize, kind: ParseErrorKind) -> Self {
        Self { line: Some(line), kind }
    }

    pub(crate) fn whole_file(kind: ParseErrorKind) -> Self {
        Self { line: None, kind }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for ParseError {}

/// The section names of a `.pb` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `META`: key;value pairs.
    Meta,
    /// `PROJECTS`: one row per project.
    Projects,
    /// `VOTES`: one row per voter.
    Votes,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Section::Meta => "META",
            Section::Projects => "PROJECTS",
            Section::Votes => "VOTES",
        })
    }
}

/// What is wrong with a `.pb` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// A quoted field is never closed.
    #[error("a quoted field is not closed (a `\"` is missing)")]
    UnterminatedQuote,
    /// Something other than `;` or the line end follows a closing quote.
    #[error("unexpected {0:?} after a closing quote (a quote inside a quoted field is written `\"\"`)")]
    TextAfterClosingQuote(char),
    /// Data comes before the first `META`, `PROJECTS` or `VOTES` line.
    #[error("expected a section name (META, PROJECTS or VOTES) before any data")]
    DataBeforeFirstSection,
    /// A line names a section that does not exist.
    #[error("unknown section {0:?} (the sections are META, PROJECTS and VOTES)")]
    UnknownSection(String),
    /// A section appears twice.
    #[error("section {0} appears twice")]
    DuplicateSection(Section),
    /// A section is missing.
    #[error("the file has no {0} section")]
    MissingSection(Section),
    /// A section has no header row.
    #[error("section {0} has no header row")]
    MissingHeader(Section),
    /// The META header is not `key;value`.
    #[error("the META header must be `key;value`")]
    BadMetaHeader,
    /// A required column is absent from a header.
    #[error("the {section} header has no `{column}` column")]
    MissingColumn {
        /// The section whose header lacks it.
        section: Section,
        /// The column name.
        column: &'static str,
    },
    /// A column name appears twice in a header, or is empty.
    #[error("the {section} header names column {column:?} twice or leaves a name empty")]
    BadColumnName {
        /// The section.
        section: Section,
        /// The column name.
        column: String,
    },
    /// A row has more or fewer fields than its header has columns.
    #[error("the row has {found} fields but the header has {expected} columns")]
    WrongFieldCount {
        /// Columns in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// A META row has a key and no value.
    #[error("META key {0:?} has no value")]
    MetaWithoutValue(String),
    /// A META key appears twice.
    #[error("META key {0:?} appears twice")]
    DuplicateMetaKey(String),
    /// META has no `budget`.
    #[error("META has no `budget`")]
    MissingBudget,
    /// META has no `vote_type`.
    #[error("META has no `vote_type`")]
    MissingVoteType,
    /// A META number is not a number of the right kind.
    #[error("META `{key}` is {value:?}, which is not {expected}")]
    BadMetaNumber {
        /// The key.
        key: String,
        /// The text found.
        value: String,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// A project or voter id is empty.
    #[error("empty {0} id")]
    EmptyId(&'static str),
    /// A project id appears twice.
    #[error("project id {0:?} appears twice")]
    DuplicateProject(String),
    /// A voter id appears twice.
    #[error("voter id {0:?} appears twice")]
    DuplicateVoter(String),
    /// A cost is not a plain decimal number.
    #[error("project {project:?} has cost {value:?}, which is not a number")]
    NonNumericCost {
        /// The project id.
        project: String,
        /// The text found.
        value: String,
    },
    /// A cost is below zero.
    #[error("project {project:?} has a negative cost ({value})")]
    NegativeCost {
        /// The project id.
        project: String,
        /// The cost as written.
        value: String,
    },
    /// A vote lists a project that the PROJECTS section does not have.
    #[error("voter {voter:?} votes for project {project:?}, which is not in PROJECTS")]
    UnknownProjectInVote {
        /// The voter id.
        voter: String,
        /// The unknown project id.
        project: String,
    },
    /// A vote lists the same project twice.
    #[error("voter {voter:?} lists project {project:?} twice")]
    DuplicateProjectInVote {
        /// The voter id.
        voter: String,
        /// The project id.
        project: String,
    },
    /// A vote list has an empty entry (`1,,2` or a trailing comma).
    #[error("voter {0:?} has an empty entry in its `vote` list")]
    EmptyVoteEntry(String),
    /// `points` does not have one value per project in `vote`.
    #[error("voter {voter:?} lists {projects} projects but {points} points")]
    PointsCountMismatch {
        /// The voter id.
        voter: String,
        /// Projects in `vote`.
        projects: usize,
        /// Values in `points`.
        points: usize,
    },
    /// A `points` value is not a number.
    #[error("voter {voter:?} has points {value:?}, which is not a number")]
    NonNumericPoints {
        /// The voter id.
        voter: String,
        /// The text found.
        value: String,
    },
}
