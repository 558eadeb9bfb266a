//! Participation modules a tenant can switch on.
use std::fmt;

use crate::error::CoreError;

/// A participation module. The registry grows as modules are built; a name that is
/// not here is refused rather than stored and silently ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleName {
    /// Static pages edited by the tenant's admins.
    Pages,
    /// News posts from the institution.
    Blog,
    /// Proposals placed as components in participatory spaces.
    Proposals,
    /// Petitions, tenant-wide: filed by citizens, reviewed, signed once per person.
    Petitions,
    /// Participatory budgets placed as components: projects, secret ballots, results.
    Budgets,
}

impl ModuleName {
    pub const ALL: [ModuleName; 5] =
        [ModuleName::Pages, ModuleName::Blog, ModuleName::Proposals, ModuleName::Petitions, ModuleName::Budgets];

    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw.trim().to_ascii_lowercase()).ok_or_else(|| {
            let known: Vec<_> = Self::ALL.iter().map(|m| m.as_str()).collect();
            CoreError::Invalid(format!("unknown module {raw:?}: available modules are {}", known.join(", ")))
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ModuleName::Pages => "pages",
            ModuleName::Blog => "blog",
            ModuleName::Proposals => "proposals",
            ModuleName::Petitions => "petitions",
            ModuleName::Budgets => "budgets",
        }
    }
}

impl fmt::Display for ModuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
