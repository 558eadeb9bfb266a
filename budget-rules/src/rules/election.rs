//! The input of every rule: a budget, projects with costs, and approval ballots.

use std::collections::HashMap;

use crate::pb::{self, VoteType};

/// Index of a project in [`Election::projects`] (input order).
pub type ProjectIndex = usize;

/// The largest budget or total cost accepted, 2^53: every amount and every sum of costs
/// is then exact both as `u64` and as `f64`.
pub const MAX_TOTAL: u64 = 1 << 53;

/// One project as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionProject {
    /// The project id (as in the `.pb` file or the platform's records).
    pub id: String,
    /// Its cost, in whole units of [`Election::money_scale`].
    pub cost: u64,
}

/// Why an election cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElectionError {
    /// Two projects share an id.
    #[error("project id {0:?} appears twice")]
    DuplicateProject(String),
    /// A ballot approves a project that is not in the election.
    #[error("ballot {ballot} approves project {project:?}, which is not in the election")]
    UnknownProject {
        /// The ballot's position (0-based).
        ballot: usize,
        /// The unknown id.
        project: String,
    },
    /// The rules here read approval ballots only.
    #[error("the ballots are {0} votes; these rules need approval ballots")]
    NotApproval(VoteType),
    /// The budget or the sum of all costs is above [`MAX_TOTAL`].
    #[error("the budget or the total cost of all projects is above 2^53 units")]
    AmountTooLarge,
    /// More than 2^32 ballots.
    #[error("more than 2^32 ballots")]
    TooManyBallots,
}

/// Approval ballots over projects with costs, and a budget.
///
/// Money is in whole units of `10^-money_scale` of the currency (scale 0 for whole
/// currency units, 2 for cents). A ballot is a set: a project approved twice counts
/// once. Empty ballots count as voters (they get a share of the budget under the
/// method of equal shares, which they never spend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    budget: u64,
    money_scale: u32,
    projects: Vec<ElectionProject>,
    ballots: Vec<Vec<ProjectIndex>>,
    supporters: Vec<Vec<u32>>,
}

impl Election {
    /// Builds an election; `ballots` name approved projects by id.
    pub fn new<B, S>(
        budget: u64,
        projects: impl IntoIterator<Item = (String, u64)>,
        ballots: impl IntoIterator<Item = B>,
    ) -> Result<Self, ElectionError>
    where
        B: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::with_scale(budget, 0, projects, ballots)
    }

    /// As [`Election::new`], stating that amounts are in units of `10^-money_scale`.
    pub fn with_scale<B, S>(
        budget: u64,
        money_scale: u32,
        projects: impl IntoIterator<Item = (String, u64)>,
        ballots: impl IntoIterator<Item = B>,
    ) -> Result<Self, ElectionError>
    where
        B: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let projects: Vec<ElectionProject> =
            projects.into_iter().map(|(id, cost)| ElectionProject { id, cost }).collect();
        let mut index = HashMap::with_capacity(projects.len());
        let mut total = u128::from(budget);
        for (i, project) in projects.iter().enumerate() {
            if index.insert(project.id.as_str(), i).is_some() {
                return Err(ElectionError::DuplicateProject(project.id.clone()));
            }
            total += u128::from(project.cost);
        }
        if budget > MAX_TOTAL || total - u128::from(budget) > u128::from(MAX_TOTAL) {
            return Err(ElectionError::AmountTooLarge);
        }
        let mut resolved = Vec::new();
        for (b, ballot) in ballots.into_iter().enumerate() {
            let mut approved = Vec::new();
            for id in ballot {
                let id = id.as_ref();
                match index.get(id) {
                    Some(&i) => approved.push(i),
                    None => return Err(ElectionError::UnknownProject { ballot: b, project: id.to_string() }),
                }
            }
            approved.sort_unstable();
            approved.dedup();
            resolved.push(approved);
        }
        let mut supporters = vec![Vec::new(); projects.len()];
        for (voter, ballot) in resolved.iter().enumerate() {
            let voter = u32::try_from(voter).map_err(|_| ElectionError::TooManyBallots)?;
            for &p in ballot {
                supporters[p].push(voter);
            }
        }
        Ok(Self { budget, money_scale, projects, ballots: resolved, supporters })
    }

    /// Builds the election of an approval `.pb` file. Money is counted in the smallest
    /// unit any amount of the file uses (`1234.5` and `10.25` make cents).
    pub fn from_pb(instance: &pb::Instance) -> Result<Self, ElectionError> {
        if instance.meta.vote_type() != &VoteType::Approval {
            return Err(ElectionError::NotApproval(instance.meta.vote_type().clone()));
        }
        let budget = instance.meta.budget();
        let scale = instance.projects.iter().map(|p| p.cost.min_scale()).fold(budget.min_scale(), u32::max);
        let units = |d: crate::Decimal| {
            d.to_units(scale).and_then(|u| u64::try_from(u).ok()).ok_or(ElectionError::AmountTooLarge)
        };
        let projects =
            instance.projects.iter().map(|p| Ok((p.id.clone(), units(p.cost)?))).collect::<Result<Vec<_>, _>>()?;
        Self::with_scale(units(budget)?, scale, projects, instance.votes.iter().map(|v| v.projects.iter()))
    }

    /// The budget limit.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Amounts are whole units of `10^-money_scale` of the currency.
    pub fn money_scale(&self) -> u32 {
        self.money_scale
    }

    /// The projects, in input order.
    pub fn projects(&self) -> &[ElectionProject] {
        &self.projects
    }

    /// The project at `index`.
    pub fn project(&self, index: ProjectIndex) -> &ElectionProject {
        &self.projects[index]
    }

    /// The index of the project with id `id`.
    pub fn project_index(&self, id: &str) -> Option<ProjectIndex> {
        self.projects.iter().position(|p| p.id == id)
    }

    /// The ballots: for each voter, the approved projects in increasing index order.
    pub fn ballots(&self) -> &[Vec<ProjectIndex>] {
        &self.ballots
    }

    /// The number of voters, empty ballots included.
    pub fn voter_count(&self) -> usize {
        self.ballots.len()
    }

    /// The voters (ballot positions) who approve `project`, in increasing order.
    pub fn supporters(&self, project: ProjectIndex) -> &[u32] {
        &self.supporters[project]
    }

    /// The number of voters who approve `project`.
    pub fn votes(&self, project: ProjectIndex) -> usize {
        self.supporters[project].len()
    }

    /// The total cost of `projects`.
    pub fn cost_of(&self, projects: &[ProjectIndex]) -> u64 {
        projects.iter().map(|&p| self.projects[p].cost).sum()
    }

    /// The ids of `projects`, in the same order.
    pub fn ids(&self, projects: &[ProjectIndex]) -> Vec<String> {
        projects.iter().map(|&p| self.projects[p].id.clone()).collect()
    }
}
