//! Voters grouped by what they approve, and sets of such groups.
//!
//! Only which candidates a voter approves matters for coverage, so voters with the same
//! approvals form one group with a weight (Wieliczka's 6,586 voters make 1,190 groups).

use std::collections::HashMap;

use super::search::Candidate;

/// Voters with the same approvals among the candidates, and how many they are.
pub(super) struct Groups {
    /// Voters per group.
    pub weights: Vec<u64>,
    /// Per candidate (search order), the groups approving it, increasing.
    pub members: Vec<Vec<u32>>,
}

impl Groups {
    /// Groups the voters of `ballots`, given each project's position among the candidates.
    pub fn new(ballots: &[Vec<usize>], candidate_of: &[Option<usize>], candidates: usize) -> Self {
        let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut weights = Vec::new();
        let mut members = vec![Vec::new(); candidates];
        for ballot in ballots {
            let mut approved: Vec<u32> = ballot.iter().filter_map(|&p| candidate_of[p]).map(|c| c as u32).collect();
            if approved.is_empty() {
                continue;
            }
            approved.sort_unstable();
            let next = weights.len() as u32;
            let group = *index.entry(approved.clone()).or_insert(next);
            if group == next {
                weights.push(0);
                for &c in &approved {
                    members[c as usize].push(group);
                }
            }
            weights[group as usize] += 1;
        }
        Self { weights, members }
    }
}

/// A set of groups, one bit each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GroupSet(Vec<u64>);

impl GroupSet {
    pub fn empty(groups: usize) -> Self {
        Self(vec![0; groups.div_ceil(64)])
    }

    pub fn contains(&self, group: u32) -> bool {
        self.0[group as usize / 64] & (1 << (group % 64)) != 0
    }

    /// Adds `candidate`'s groups.
    pub fn add(&mut self, candidate: &Candidate) {
        for &g in &candidate.groups {
            self.0[g as usize / 64] |= 1 << (g % 64);
        }
    }
}
