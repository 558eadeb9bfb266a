//! How a rule chooses between projects that it values exactly the same.
//!
//! A [`TieBreaking`] is a list of criteria applied in turn to the tied projects, each
//! keeping only the best ones; if more than one project is left at the end, the rule
//! fails with [`UnresolvedTie`] rather than choose arbitrarily.
//!
//! The default, [`TieBreaking::pabutools`], is the one pabutools uses by default
//! (`lexico_tie_breaking`): the project whose id comes first in text order (`"10"`
//! before `"9"`). It always resolves a tie, because ids are unique.

use std::cmp::Ordering;

use serde::Serialize;

use super::election::{Election, ProjectIndex};

/// One tie-breaking criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TieBreak {
    /// Keep the projects with the most votes.
    MoreVotes,
    /// Keep the cheapest projects.
    LowerCost,
    /// Keep the most expensive projects.
    HigherCost,
    /// Keep the project whose id is first in text order (byte order of UTF-8, which is
    /// code point order, as Python compares strings). What pabutools does.
    IdText,
    /// Keep the project first in this order: ids that are whole numbers below 2^32 − 1
    /// written without leading zeros (`"0"`, `"44485"`), by value; then the others in
    /// input order. This is the order in which JavaScript lists object keys, so the
    /// order in which equalshares.net meets projects.
    IdNumericThenInput,
    /// Keep the project that comes first in the input (file) order.
    InputOrder,
}

/// A list of [`TieBreak`] criteria, applied in turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TieBreaking(pub Vec<TieBreak>);

impl Default for TieBreaking {
    fn default() -> Self {
        Self::pabutools()
    }
}

/// Projects that stay tied after every tie-breaking criterion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tie between projects {} that the tie-breaking does not resolve", .projects.join(", "))]
pub struct UnresolvedTie {
    /// The ids of the tied projects.
    pub projects: Vec<String>,
}

impl TieBreaking {
    /// Project ids in text order, as pabutools' default `lexico_tie_breaking`.
    pub fn pabutools() -> Self {
        Self(vec![TieBreak::IdText])
    }

    /// More votes, then lower cost, as equalshares.net's "maxVotes, minCost"; a tie
    /// left after that is an error there too.
    pub fn equalshares_net() -> Self {
        Self(vec![TieBreak::MoreVotes, TieBreak::LowerCost])
    }

    /// No tie-breaking: any tie is an error.
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// Orders `a` before `b` (`Less`) when the criteria prefer it; `Equal` when they cannot tell.
    pub fn compare(&self, election: &Election, a: ProjectIndex, b: ProjectIndex) -> Ordering {
        self.0.iter().map(|criterion| criterion.compare(election, a, b)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
    }

    /// The project chosen among `tied` (not empty).
    pub fn choose(&self, election: &Election, tied: &[ProjectIndex]) -> Result<ProjectIndex, UnresolvedTie> {
        let mut best: Vec<ProjectIndex> = Vec::new();
        for &p in tied {
            match best.first().map(|&b| self.compare(election, p, b)) {
                None | Some(Ordering::Equal) => best.push(p),
                Some(Ordering::Less) => best = vec![p],
                Some(Ordering::Greater) => {}
            }
        }
        match best.as_slice() {
            [one] => Ok(*one),
            _ => {
                best.sort_unstable();
                Err(UnresolvedTie { projects: election.ids(&best) })
            }
        }
    }
}

impl TieBreak {
    fn compare(self, election: &Election, a: ProjectIndex, b: ProjectIndex) -> Ordering {
        let (pa, pb) = (election.project(a), election.project(b));
        match self {
            TieBreak::MoreVotes => election.votes(b).cmp(&election.votes(a)),
            TieBreak::LowerCost => pa.cost.cmp(&pb.cost),
            TieBreak::HigherCost => pb.cost.cmp(&pa.cost),
            TieBreak::IdText => pa.id.cmp(&pb.id),
            TieBreak::IdNumericThenInput => js_key_rank(&pa.id, a).cmp(&js_key_rank(&pb.id, b)),
            TieBreak::InputOrder => a.cmp(&b),
        }
    }
}

/// Where JavaScript's `Object.keys` puts a key: array indices first by value, then the
/// other keys in insertion order.
fn js_key_rank(id: &str, input_position: usize) -> (u8, u64) {
    let canonical = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && (id == "0" || !id.starts_with('0'));
    match id.parse::<u64>() {
        Ok(value) if canonical && value < u64::from(u32::MAX) => (0, value),
        _ => (1, input_position as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn election() -> Election {
        let projects = [("9", 5), ("10", 5), ("a", 3), ("007", 5), ("b", 5)].map(|(id, cost)| (id.to_string(), cost));
        Election::new(10, projects, [vec!["9", "10"], vec!["9"]]).expect("election")
    }

    #[test]
    fn pabutools_order_is_text_order() {
        let e = election();
        assert_eq!(TieBreaking::pabutools().choose(&e, &[0, 1]), Ok(1));
    }

    #[test]
    fn criteria_apply_in_turn_and_a_left_tie_is_an_error() {
        let e = election();
        let t = TieBreaking::equalshares_net();
        assert_eq!(t.choose(&e, &[1, 0]), Ok(0), "more votes");
        assert_eq!(t.choose(&e, &[3, 2]), Ok(2), "same votes, lower cost");
        let err = t.choose(&e, &[4, 3]).expect_err("same votes and cost");
        assert_eq!(err.projects, vec!["007".to_string(), "b".to_string()]);
    }

    #[test]
    fn javascript_key_order_puts_integer_ids_first() {
        let e = election();
        let t = TieBreaking(vec![TieBreak::IdNumericThenInput]);
        assert_eq!(t.choose(&e, &[1, 0]), Ok(0), "9 before 10");
        assert_eq!(t.choose(&e, &[2, 1]), Ok(1), "integers before other keys");
        assert_eq!(t.choose(&e, &[3, 2]), Ok(2), "\"007\" is not an index key; input order");
    }
}
