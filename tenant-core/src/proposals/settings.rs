//! The settings of a proposals component, read from the component's JSON with
//! defaults for anything unset, and checked before they are stored.
use serde::{Deserialize, Serialize};

use crate::accounts::verifications::Requirement;
use crate::error::{CoreError, CoreResult};

/// Orders a list can take.
pub const ORDERS: [&str; 5] = ["random", "recent", "most_supported", "most_commented", "oldest"];

/// For the whole component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Supports one person may give in this component (0: no limit).
    pub supports_per_person: u32,
    /// Supports a proposal needs to reach its goal (0: no goal shown).
    pub support_threshold: u32,
    /// Counts are shown once a proposal has this many supports (0: always).
    pub counts_visible_from: u32,
    /// Minutes after publication during which the author may edit (0: never).
    pub edit_window_minutes: u32,
    /// Proposals one person may publish here (0: no limit).
    pub proposals_per_person: u32,
    /// Longest body, in characters.
    pub body_max_chars: u32,
    pub attachments_allowed: bool,
    pub amendments_enabled: bool,
    pub comments_enabled: bool,
    /// One of `ORDERS`.
    pub default_order: String,
    /// What each action asks of the person.
    pub create_requires: Requirement,
    pub support_requires: Requirement,
    pub comment_requires: Requirement,
    pub amend_requires: Requirement,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            supports_per_person: 0,
            support_threshold: 0,
            counts_visible_from: 0,
            edit_window_minutes: 15,
            proposals_per_person: 0,
            body_max_chars: 3000,
            attachments_allowed: true,
            amendments_enabled: true,
            comments_enabled: true,
            default_order: "random".into(),
            create_requires: Requirement::Account,
            support_requires: Requirement::Account,
            comment_requires: Requirement::Account,
            amend_requires: Requirement::Account,
        }
    }
}

/// For one phase of the space (or the space without phases).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhaseSettings {
    /// New proposals may be published.
    pub creation_enabled: bool,
    /// Proposals may be supported.
    pub supports_enabled: bool,
    /// Supports are shown but no new one is taken (e.g. while counting).
    pub supports_blocked: bool,
    /// Amendments may be proposed.
    pub amendments_enabled: bool,
    /// No new comment (the existing ones stay visible).
    pub comments_blocked: bool,
}

impl Settings {
    /// Reads stored settings; anything unreadable is an error a person can act on.
    pub fn from_json(v: &serde_json::Value) -> CoreResult<Settings> {
        let s: Settings =
            serde_json::from_value(v.clone()).map_err(|e| CoreError::Invalid(format!("settings: {e}")))?;
        s.check()?;
        Ok(s)
    }

    /// Reads stored settings, falling back to the defaults if they are broken (pages
    /// keep working; the admin form shows the error).
    pub fn read(v: &serde_json::Value) -> Settings {
        Settings::from_json(v).unwrap_or_default()
    }

    pub fn check(&self) -> CoreResult<()> {
        if !ORDERS.contains(&self.default_order.as_str()) {
            return Err(CoreError::Invalid(format!("default_order: one of {}", ORDERS.join(", "))));
        }
        if !(100..=20_000).contains(&self.body_max_chars) {
            return Err(CoreError::Invalid("body_max_chars: between 100 and 20000".into()));
        }
        if self.edit_window_minutes > 60 * 24 * 30 {
            return Err(CoreError::Invalid("edit_window_minutes: at most 43200 (30 days)".into()));
        }
        for (name, n) in [
            ("supports_per_person", self.supports_per_person),
            ("support_threshold", self.support_threshold),
            ("counts_visible_from", self.counts_visible_from),
            ("proposals_per_person", self.proposals_per_person),
        ] {
            if n > 10_000_000 {
                return Err(CoreError::Invalid(format!("{name}: at most 10000000")));
            }
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
    fn missing_keys_take_defaults_and_unknown_keys_are_refused() {
        let s = Settings::from_json(&serde_json::json!({"supports_per_person": 3})).unwrap();
        assert_eq!(s.supports_per_person, 3);
        assert_eq!(s.default_order, "random");
        assert!(Settings::from_json(&serde_json::json!({"supports_per_persn": 3})).is_err());
        assert!(Settings::from_json(&serde_json::json!({"default_order": "alphabetical"})).is_err());
    }

    #[test]
    fn requirements_round_trip() {
        let s = Settings { support_requires: Requirement::Verification(Kind::Franceconnect), ..Settings::default() };
        let back = Settings::from_json(&s.to_json()).unwrap();
        assert_eq!(back.support_requires, Requirement::Verification(Kind::Franceconnect));
    }
}
