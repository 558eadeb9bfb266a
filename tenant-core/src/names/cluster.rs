//! Database cluster names: how the catalog names each PostgreSQL cluster.
use std::fmt;

use crate::error::CoreError;

/// A cluster's name: `^[a-z][a-z0-9_-]{0,39}$` (the catalog checks the same).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ClusterName(String);

impl ClusterName {
    /// The cluster that holds the catalog, registered by the catalog migrations.
    pub const MAIN: &'static str = "main";

    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let b = raw.as_bytes();
        let ok = (1..=40).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(CoreError::Invalid(format!(
                "invalid cluster name {raw:?}: lowercase letters, digits, '_' or '-', starting with a letter, at most 40"
            )))
        }
    }

    pub fn main() -> Self {
        Self(Self::MAIN.to_owned())
    }

    pub fn is_main(&self) -> bool {
        self.0 == Self::MAIN
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::ClusterName;

    #[test]
    fn cluster_names_are_short_lowercase_words() {
        assert!(ClusterName::parse("main").unwrap().is_main());
        assert!(ClusterName::parse("pg-2").is_ok());
        for bad in ["", "2pg", "Main", "a b", "a/b", &"x".repeat(41)] {
            assert!(ClusterName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
