//! Reading `.pb` text: the section state machine and the checks on each row.

use std::collections::HashSet;

use super::error::{ParseError, ParseErrorKind as Kind, Section};
use super::records::{read_records, Field, Record};
use super::{Instance, Meta, Project, Vote, VoteType};
use crate::decimal::Decimal;

/// A section as read: where it starts, its header and its rows.
struct RawSection {
    line: usize,
    header: Option<(usize, Vec<String>)>,
    rows: Vec<Record>,
}

pub(super) fn parse(text: &str) -> Result<Instance, ParseError> {
    let mut sections: [Option<RawSection>; 3] = [None, None, None];
    let mut current: Option<Section> = None;
    for record in read_records(text)? {
        if let Some(word) = record.lone_word() {
            if let Some(section) = section_named(word) {
                let slot = &mut sections[index(section)];
                if slot.is_some() {
                    return Err(ParseError::at(record.line, Kind::DuplicateSection(section)));
                }
                *slot = Some(RawSection { line: record.line, header: None, rows: Vec::new() });
                current = Some(section);
                continue;
            }
            if looks_like_section_name(word) {
                return Err(ParseError::at(record.line, Kind::UnknownSection(word.to_string())));
            }
        }
        let Some(section) = current else {
            return Err(ParseError::at(record.line, Kind::DataBeforeFirstSection));
        };
        let Some(raw) = sections[index(section)].as_mut() else {
            unreachable!("the current section was opened above");
        };
        if raw.header.is_none() {
            raw.header = Some((record.line, read_header(section, &record)?));
        } else {
            raw.rows.push(record);
        }
    }

    let [meta, projects, votes] = sections;
    let meta = take_section(meta, Section::Meta)?;
    let projects = take_section(projects, Section::Projects)?;
    let votes = take_section(votes, Section::Votes)?;

    let meta = read_meta(meta)?;
    let (project_columns, projects) = read_projects(projects)?;
    let (vote_columns, votes) = read_votes(votes, &meta.vote_type, &projects)?;
    Ok(Instance { meta, project_columns, projects, vote_columns, votes })
}

fn section_named(word: &str) -> Option<Section> {
    match word.to_ascii_lowercase().as_str() {
        "meta" => Some(Section::Meta),
        "projects" => Some(Section::Projects),
        "votes" => Some(Section::Votes),
        _ => None,
    }
}

/// A lone upper-case word such as `SCORES` is taken for a section this reader does not know.
fn looks_like_section_name(word: &str) -> bool {
    word.len() >= 2 && word.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
}

fn index(section: Section) -> usize {
    match section {
        Section::Meta => 0,
        Section::Projects => 1,
        Section::Votes => 2,
    }
}

/// The section's header line and its columns, and its rows.
type ReadSection = (usize, Vec<String>, Vec<Record>);

fn take_section(raw: Option<RawSection>, section: Section) -> Result<ReadSection, ParseError> {
    let raw = raw.ok_or(ParseError::whole_file(Kind::MissingSection(section)))?;
    let (header_line, header) = raw.header.ok_or(ParseError::at(raw.line, Kind::MissingHeader(section)))?;
    Ok((header_line, header, raw.rows))
}

fn read_header(section: Section, record: &Record) -> Result<Vec<String>, ParseError> {
    let names: Vec<String> = record.fields.iter().map(|f| f.text.clone()).collect();
    if section == Section::Meta {
        let ok = names.len() == 2 && names[0].eq_ignore_ascii_case("key") && names[1].eq_ignore_ascii_case("value");
        return if ok { Ok(names) } else { Err(ParseError::at(record.line, Kind::BadMetaHeader)) };
    }
    let mut seen = HashSet::new();
    for name in &names {
        if name.is_empty() || !seen.insert(name.as_str()) {
            return Err(ParseError::at(record.line, Kind::BadColumnName { section, column: name.clone() }));
        }
    }
    let required: &[&'static str] = match section {
        Section::Projects => &["project_id", "cost"],
        _ => &["voter_id", "vote"],
    };
    for column in required {
        if !seen.contains(column) {
            return Err(ParseError::at(record.line, Kind::MissingColumn { section, column }));
        }
    }
    Ok(names)
}

/// The row's field texts, exactly one per column. Extra fields are accepted only when
/// empty (a trailing `;`).
fn row_fields(record: Record, columns: usize) -> Result<Vec<String>, ParseError> {
    let found = record.fields.len();
    let extra_all_empty = record.fields.iter().skip(columns).all(|f| f.text.is_empty() && !f.quoted);
    if found < columns || !extra_all_empty {
        return Err(ParseError::at(record.line, Kind::WrongFieldCount { expected: columns, found }));
    }
    Ok(record.fields.into_iter().take(columns).map(|f| f.text).collect())
}

fn read_meta((header_line, _header, rows): ReadSection) -> Result<Meta, ParseError> {
    let mut entries = Vec::with_capacity(rows.len());
    let mut lines = Vec::with_capacity(rows.len());
    for record in rows {
        let line = record.line;
        let mut fields = record.fields.into_iter();
        let key = fields.next().map(|f| f.text).unwrap_or_default();
        let rest: Vec<Field> = fields.collect();
        if rest.is_empty() {
            return Err(ParseError::at(line, Kind::MetaWithoutValue(key)));
        }
        // An unquoted `;` inside a value split it: the rest of the row is the value.
        let value = rest.iter().map(|f| f.text.as_str()).collect::<Vec<_>>().join(";");
        let value =
            if rest.len() > 1 && rest.iter().skip(1).all(|f| f.text.is_empty()) { rest[0].text.clone() } else { value };
        entries.push((key, value));
        lines.push(Some(line));
    }
    build_meta(entries, &lines, Some(header_line))
}

/// Checks and types META entries; `lines[i]` is where entry `i` was read, if from a file.
pub(super) fn build_meta(
    entries: Vec<(String, String)>,
    lines: &[Option<usize>],
    header_line: Option<usize>,
) -> Result<Meta, ParseError> {
    let error = |i: usize, kind| ParseError { line: lines.get(i).copied().flatten(), kind };
    let mut seen = HashSet::new();
    let mut budget = None;
    let mut vote_type = None;
    let mut min_length = None;
    let mut max_length = None;
    for (i, (key, value)) in entries.iter().enumerate() {
        if !seen.insert(key.as_str()) {
            return Err(error(i, Kind::DuplicateMetaKey(key.clone())));
        }
        let bad_number = |expected| error(i, Kind::BadMetaNumber { key: key.clone(), value: value.clone(), expected });
        match key.as_str() {
            "budget" => match value.parse::<Decimal>() {
                Ok(b) if !b.is_negative() => budget = Some(b),
                _ => return Err(bad_number("a number of at least 0")),
            },
            "vote_type" => vote_type = Some(VoteType::parse(value)),
            "min_length" => min_length = Some(value.parse::<u64>().map_err(|_| bad_number("a whole number"))?),
            "max_length" => max_length = Some(value.parse::<u64>().map_err(|_| bad_number("a whole number"))?),
            _ => {}
        }
    }
    let whole = |kind| ParseError { line: header_line, kind };
    let budget = budget.ok_or_else(|| whole(Kind::MissingBudget))?;
    let vote_type = vote_type.ok_or_else(|| whole(Kind::MissingVoteType))?;
    Ok(Meta { entries, budget, vote_type, min_length, max_length })
}

fn column_position(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|c| c == name)
}

fn read_projects((_, header, rows): ReadSection) -> Result<(Vec<String>, Vec<Project>), ParseError> {
    let id_at = column_position(&header, "project_id");
    let cost_at = column_position(&header, "cost");
    let name_at = column_position(&header, "name");
    let mut seen = HashSet::new();
    let mut projects = Vec::with_capacity(rows.len());
    for record in rows {
        let line = record.line;
        let fields = row_fields(record, header.len())?;
        let mut id = String::new();
        let mut cost_text = String::new();
        let mut name = None;
        let mut extra = Vec::new();
        for (at, (column, value)) in header.iter().zip(fields).enumerate() {
            match Some(at) {
                a if a == id_at => id = value,
                a if a == cost_at => cost_text = value,
                a if a == name_at => name = Some(value),
                _ => extra.push((column.clone(), value)),
            }
        }
        if id.is_empty() {
            return Err(ParseError::at(line, Kind::EmptyId("project")));
        }
        let cost = match cost_text.parse::<Decimal>() {
            Ok(cost) if cost.is_negative() => {
                return Err(ParseError::at(line, Kind::NegativeCost { project: id, value: cost_text }));
            }
            Ok(cost) => cost,
            Err(_) => return Err(ParseError::at(line, Kind::NonNumericCost { project: id, value: cost_text })),
        };
        if !seen.insert(id.clone()) {
            return Err(ParseError::at(line, Kind::DuplicateProject(id)));
        }
        projects.push(Project { id, cost, name, extra });
    }
    Ok((header, projects))
}

fn read_votes(
    (header_line, header, rows): ReadSection,
    vote_type: &VoteType,
    projects: &[Project],
) -> Result<(Vec<String>, Vec<Vote>), ParseError> {
    let id_at = column_position(&header, "voter_id");
    let vote_at = column_position(&header, "vote");
    let points_at = column_position(&header, "points");
    if vote_type.has_points() && points_at.is_none() {
        return Err(ParseError::at(header_line, Kind::MissingColumn { section: Section::Votes, column: "points" }));
    }
    let known: HashSet<&str> = projects.iter().map(|p| p.id.as_str()).collect();
    let mut seen = HashSet::new();
    let mut votes = Vec::with_capacity(rows.len());
    for record in rows {
        let line = record.line;
        let fields = row_fields(record, header.len())?;
        let mut voter_id = String::new();
        let mut vote_text = String::new();
        let mut points_text = None;
        let mut extra = Vec::new();
        for (at, (column, value)) in header.iter().zip(fields).enumerate() {
            match Some(at) {
                a if a == id_at => voter_id = value,
                a if a == vote_at => vote_text = value,
                a if a == points_at => points_text = Some(value),
                _ => extra.push((column.clone(), value)),
            }
        }
        if voter_id.is_empty() {
            return Err(ParseError::at(line, Kind::EmptyId("voter")));
        }
        let at = |kind| ParseError::at(line, kind);
        let chosen = split_list(&vote_text);
        let mut in_vote = HashSet::new();
        for project in &chosen {
            if project.is_empty() {
                return Err(at(Kind::EmptyVoteEntry(voter_id)));
            }
            if !known.contains(project.as_str()) {
                return Err(at(Kind::UnknownProjectInVote { voter: voter_id, project: project.clone() }));
            }
            if !in_vote.insert(project.as_str()) {
                return Err(at(Kind::DuplicateProjectInVote { voter: voter_id, project: project.clone() }));
            }
        }
        let points = match points_text {
            None => None,
            Some(text) => {
                let mut points = Vec::new();
                for value in split_list(&text) {
                    match value.parse::<Decimal>() {
                        Ok(p) => points.push(p),
                        Err(_) => return Err(at(Kind::NonNumericPoints { voter: voter_id, value })),
                    }
                }
                if points.len() != chosen.len() {
                    let (projects, points) = (chosen.len(), points.len());
                    return Err(at(Kind::PointsCountMismatch { voter: voter_id, projects, points }));
                }
                Some(points)
            }
        };
        if !seen.insert(voter_id.clone()) {
            return Err(at(Kind::DuplicateVoter(voter_id)));
        }
        votes.push(Vote { voter_id, projects: chosen, points, extra });
    }
    Ok((header, votes))
}

/// `a, b,c` → `["a", "b", "c"]`; an empty field is an empty list.
fn split_list(text: &str) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    text.split(',').map(|s| s.trim().to_string()).collect()
}
