//! Tenant slugs and the schema names derived from them.
use std::fmt;

use crate::error::CoreError;

/// A tenant's short identifier: `^[a-z][a-z0-9_]{1,39}$`.
///
/// The slug names the tenant's schema (`t_<slug>`), so it is restricted to what is
/// safe to use as a PostgreSQL identifier without quoting tricks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// Parses a slug, with a message a person can act on when it is not valid.
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let bytes = raw.as_bytes();
        let valid = (2..=40).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase()
            && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(CoreError::Invalid(format!(
                "invalid slug {raw:?}: use 2 to 40 characters, lowercase letters, digits and '_', starting with a letter"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PostgreSQL schema that holds this tenant's data.
    pub fn schema(&self) -> SchemaName {
        SchemaName(format!("t_{}", self.0))
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant schema name, always `t_<slug>`: only built from a valid [`TenantSlug`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SchemaName(String);

impl SchemaName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses a schema name read back from the catalog.
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        match raw.strip_prefix("t_") {
            Some(slug) => Ok(TenantSlug::parse(slug)?.schema()),
            None => Err(CoreError::Invalid(format!("invalid tenant schema name {raw:?}"))),
        }
    }

    /// The name quoted as an SQL identifier. Safe because the constructor admits only
    /// `[a-z0-9_]`; quoting keeps it so should the rule ever widen.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0.replace('"', "\"\""))
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_identifier_rule() {
        assert_eq!(TenantSlug::parse("lyon").map(|s| s.schema().to_string()).ok(), Some("t_lyon".into()));
        assert!(TenantSlug::parse("paris_12").is_ok());
        for bad in ["", "a", "Lyon", "1lyon", "ly-on", "ly on", "lyon;drop", &"a".repeat(41), "é_t"] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn schema_names_round_trip_only_for_tenant_schemas() {
        assert!(SchemaName::parse("t_lyon").is_ok());
        assert!(SchemaName::parse("public").is_err());
        assert!(SchemaName::parse("t_Lyon").is_err());
    }
}
