//! Voters grouped by what they approve among the projects the rounds compete over.
//!
//! Voters who approve the same such projects start with the same share and pay the same
//! for each project bought (a supporter pays `min(money left, t)`), so they hold the same
//! money throughout a run: a run keeps one budget per group, and a project's supporters
//! are its groups, each with its number of voters. The generated 500,000-voter instance
//! of the benchmark has 210,000 groups; Wieliczka's 6,586 voters make 1,190.
//!
//! Groups are numbered so that a project's groups sit close together in memory: in
//! order of their approvals, most-voted project first. All the groups approving the
//! most-voted project are then contiguous, and so on in smaller blocks for the others.
//! A run reads the budgets of every supporter of a project once per evaluation, so this
//! order, rather than arithmetic, sets its speed on large elections.

use rustc_hash::FxHashMap;

use crate::rules::election::{Election, ProjectIndex};

/// The multiplier of the key hash (FxHash's).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// No group: the voter approves none of the projects the rounds compete over.
pub(super) const NO_GROUP: u32 = u32::MAX;

/// A group of voters supporting a project.
#[derive(Debug, Clone, Copy)]
pub(super) struct Member {
    pub group: u32,
    /// Its number of voters.
    pub voters: u32,
}

pub(super) struct Groups {
    /// The number of groups.
    pub count: usize,
    /// Per project (input order), its supporting groups in increasing order; empty for
    /// projects outside the rounds.
    pub members: Vec<Vec<Member>>,
    /// Each voter's group, or [`NO_GROUP`].
    pub group_of: Vec<u32>,
}

impl Groups {
    /// One group per voter, numbered as the voters: for a single run, where grouping
    /// would cost more than it saves.
    pub fn one_per_voter(election: &Election, eligible: &[ProjectIndex]) -> Self {
        let mut members: Vec<Vec<Member>> = vec![Vec::new(); election.projects().len()];
        for &p in eligible {
            members[p] = election.supporters(p).iter().map(|&s| Member { group: s, voters: 1 }).collect();
        }
        Self { count: election.voter_count(), members, group_of: (0..election.voter_count() as u32).collect() }
    }

    /// Groups the voters of `election` by their approvals among `eligible`.
    pub fn new(election: &Election, eligible: &[ProjectIndex]) -> Self {
        // Rank the eligible projects by votes, most first (index order between equals).
        let mut by_votes = eligible.to_vec();
        by_votes.sort_by(|&a, &b| election.votes(b).cmp(&election.votes(a)).then(a.cmp(&b)));
        let mut rank = vec![u32::MAX; election.projects().len()];
        for (r, &p) in by_votes.iter().enumerate() {
            rank[p] = r as u32;
        }

        // One pass over the ballots: each voter's key (the ranks of its eligible
        // approvals, increasing) is looked up by a 64-bit hash, the keys themselves
        // compared (a collision moves on to another hash value). A new group's key is
        // appended to `group_keys`. Groups are numbered in order of first appearance.
        let mut index: FxHashMap<u64, u32> = FxHashMap::default();
        let mut group_keys: Vec<u32> = Vec::new();
        let mut key_ends: Vec<usize> = Vec::new();
        let mut voters: Vec<u32> = Vec::new();
        let mut group_of = Vec::with_capacity(election.voter_count());
        let mut key = Vec::new();
        for ballot in election.ballots() {
            key.clear();
            key.extend(ballot.iter().map(|&p| rank[p]).filter(|&r| r != u32::MAX));
            if key.is_empty() {
                group_of.push(NO_GROUP);
                continue;
            }
            key.sort_unstable();
            let mut hash =
                key.iter().fold(key.len() as u64, |h, &r| (h.rotate_left(5) ^ u64::from(r)).wrapping_mul(SEED));
            let group = loop {
                let fresh = voters.len() as u32;
                let g = *index.entry(hash).or_insert(fresh);
                if g == fresh {
                    group_keys.extend_from_slice(&key);
                    key_ends.push(group_keys.len());
                    voters.push(0);
                    break g;
                }
                let start = if g == 0 { 0 } else { key_ends[g as usize - 1] };
                if group_keys[start..key_ends[g as usize]] == key[..] {
                    break g;
                }
                hash = hash.wrapping_add(SEED);
            };
            voters[group as usize] += 1;
            group_of.push(group);
        }
        drop(index);
        let count = voters.len();
        let key_of = |g: usize| &group_keys[if g == 0 { 0 } else { key_ends[g - 1] }..key_ends[g]];

        // Renumber in key order (by the first four ranks, enough for locality).
        let wide = by_votes.len() >= 0xFFFF;
        let prefix = |k: &[u32]| {
            let (digits, bits) = if wide { (2, 32) } else { (4, 16) };
            (0..digits).fold(0u64, |code, i| (code << bits) | k.get(i).map_or(0, |&r| u64::from(r) + 1))
        };
        let mut order: Vec<(u64, u32)> = (0..count).map(|g| (prefix(key_of(g)), g as u32)).collect();
        order.sort_unstable();
        let mut renumbered = vec![0u32; count];
        for (new, &(_, old)) in order.iter().enumerate() {
            renumbered[old as usize] = new as u32;
        }
        for g in &mut group_of {
            if *g != NO_GROUP {
                *g = renumbered[*g as usize];
            }
        }

        // Each project's groups, in increasing (new) order: appended in old order, then sorted.
        let mut counts = vec![0usize; by_votes.len()];
        for &r in &group_keys {
            counts[r as usize] += 1;
        }
        let mut members: Vec<Vec<Member>> = vec![Vec::new(); election.projects().len()];
        for (r, &p) in by_votes.iter().enumerate() {
            members[p].reserve_exact(counts[r]);
        }
        for (old, &n) in voters.iter().enumerate() {
            let group = renumbered[old];
            for &r in key_of(old) {
                members[by_votes[r as usize]].push(Member { group, voters: n });
            }
        }
        for list in &mut members {
            list.sort_unstable_by_key(|m| m.group);
        }
        Self { count, members, group_of }
    }
}
