//! The settings of a budgets component, read from the component's JSON with defaults
//! for anything unset, and checked before they are stored.
use serde::{Deserialize, Serialize};

use crate::accounts::verifications::Requirement;
use crate::error::{CoreError, CoreResult};

/// For the whole component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// What voting asks of a person: an account, or a verification (FranceConnect,
    /// the resident list...). Never `nobody`: one ballot per person needs to know the
    /// person is the same.
    pub vote_requires: Requirement,
    /// A person votes in one budget of the component only (one district).
    pub one_district_only: bool,
    /// While voting is open, a person may cancel a confirmed ballot and vote again.
    pub allow_recast: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { vote_requires: Requirement::Account, one_district_only: false, allow_recast: true }
    }
}

/// For one phase of the space (or the space without phases).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhaseSettings {
    /// Ballots may be drafted, confirmed and cancelled.
    pub voting_enabled: bool,
    /// Everyone may read the results pages.
    pub results_published: bool,
}

impl Settings {
    /// Reads stored settings; anything unreadable is an error a person can act on.
    pub fn from_json(v: &serde_json::Value) -> CoreResult<Settings> {
        let s: Settings =
            serde_json::from_value(v.clone()).map_err(|e| CoreError::Invalid(format!("settings: {e}")))?;
        s.check()?;
        Ok(s)
    }

    /// Reads stored settings, falling back to the defaults if they are broken.
    pub fn read(v: &serde_json::Value) -> Settings {
        Settings::from_json(v).unwrap_or_default()
    }

    pub fn check(&self) -> CoreResult<()> {
        if self.vote_requires == Requirement::Nobody {
            return Err(CoreError::Invalid(
                "vote_requires: voting needs at least an account, so that each person votes once".into(),
            ));
        }
        Ok(())
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl PhaseSettings {
    pub fn from_json(v: &serde_json::Value) -> CoreResult<PhaseSettings> {
        serde_json::from_value(v.clone()).map_err(|e| CoreError::Invalid(format!("phase settings: {e}")))
    }

    pub fn read(v: &serde_json::Value) -> PhaseSettings {
        PhaseSettings::from_json(v).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::verifications::Kind;

    #[test]
    fn defaults_fill_in_and_nobody_may_not_vote_anonymously() {
        let s = Settings::from_json(&serde_json::json!({"one_district_only": true})).unwrap();
        assert!(s.one_district_only && s.allow_recast);
        assert_eq!(s.vote_requires, Requirement::Account);
        let fc = Settings { vote_requires: Requirement::Verification(Kind::Franceconnect), ..Settings::default() };
        assert_eq!(Settings::from_json(&fc.to_json()).unwrap(), fc);
        let nobody = Settings { vote_requires: Requirement::Nobody, ..Settings::default() };
        let err = Settings::from_json(&nobody.to_json()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("vote_requires:"), "{err}");
        assert!(Settings::from_json(&serde_json::json!({"one_district": true})).is_err());
        assert!(PhaseSettings::from_json(&serde_json::json!({"voting_enabled": true})).unwrap().voting_enabled);
    }
}
