//! The registry of component modules: what can be placed in a space, the settings
//! each takes for the whole component and per phase, and how they are checked.
//! The admin forms are drawn from these descriptions, so a new module (debates,
//! budgets...) adds one entry here and gets its settings pages.
use serde::Serialize;
use serde_json::{Map, Value};
use tenant_core::accounts::verifications::Requirement;
use tenant_core::names::ModuleName;
use tenant_core::{budgets, proposals};
use tenant_core::{CoreError, CoreResult};

/// The kind of value a setting holds.
#[derive(Clone, Copy, Debug)]
pub enum SettingKind {
    Bool,
    Number {
        max: u32,
    },
    Choice(&'static [&'static str]),
    /// Who may take an action: nobody needed, an account, or a verification.
    Requirement,
}

/// One setting: its key in the JSON and its kind. Its label is the message
/// `setting_<key>` (and `setting_<key>_hint` when there is one).
#[derive(Clone, Copy, Debug)]
pub struct SettingDef {
    pub key: &'static str,
    pub kind: SettingKind,
}

pub struct ComponentModule {
    pub module: ModuleName,
    pub settings: &'static [SettingDef],
    pub phase_settings: &'static [SettingDef],
    pub defaults: fn() -> Value,
    /// Checks and normalises the whole component's settings.
    pub check_settings: fn(&Value) -> CoreResult<Value>,
    pub check_phase_settings: fn(&Value) -> CoreResult<Value>,
}

const fn def(key: &'static str, kind: SettingKind) -> SettingDef {
    SettingDef { key, kind }
}

const PROPOSALS: ComponentModule = ComponentModule {
    module: ModuleName::Proposals,
    settings: &[
        def("create_requires", SettingKind::Requirement),
        def("support_requires", SettingKind::Requirement),
        def("comment_requires", SettingKind::Requirement),
        def("amend_requires", SettingKind::Requirement),
        def("supports_per_person", SettingKind::Number { max: 10_000_000 }),
        def("support_threshold", SettingKind::Number { max: 10_000_000 }),
        def("counts_visible_from", SettingKind::Number { max: 10_000_000 }),
        def("proposals_per_person", SettingKind::Number { max: 10_000_000 }),
        def("edit_window_minutes", SettingKind::Number { max: 43_200 }),
        def("body_max_chars", SettingKind::Number { max: 20_000 }),
        def("default_order", SettingKind::Choice(&proposals::ORDERS)),
        def("attachments_allowed", SettingKind::Bool),
        def("amendments_enabled", SettingKind::Bool),
        def("comments_enabled", SettingKind::Bool),
    ],
    phase_settings: &[
        def("creation_enabled", SettingKind::Bool),
        def("supports_enabled", SettingKind::Bool),
        def("supports_blocked", SettingKind::Bool),
        def("amendments_enabled", SettingKind::Bool),
        def("comments_blocked", SettingKind::Bool),
    ],
    defaults: || proposals::Settings::default().to_json(),
    check_settings: |v| proposals::Settings::from_json(v).map(|s| s.to_json()),
    check_phase_settings: |v| {
        proposals::PhaseSettings::from_json(v)
            .and_then(|s| serde_json::to_value(s).map_err(|e| CoreError::Invalid(e.to_string())))
    },
};

const BUDGETS: ComponentModule = ComponentModule {
    module: ModuleName::Budgets,
    settings: &[
        def("vote_requires", SettingKind::Requirement),
        def("one_district_only", SettingKind::Bool),
        def("allow_recast", SettingKind::Bool),
    ],
    phase_settings: &[def("voting_enabled", SettingKind::Bool), def("results_published", SettingKind::Bool)],
    defaults: || budgets::Settings::default().to_json(),
    check_settings: |v| budgets::Settings::from_json(v).map(|s| s.to_json()),
    check_phase_settings: |v| {
        budgets::PhaseSettings::from_json(v)
            .and_then(|s| serde_json::to_value(s).map_err(|e| CoreError::Invalid(e.to_string())))
    },
};

/// Every component module, in the order the admin offers them.
pub const COMPONENT_MODULES: &[ComponentModule] = &[PROPOSALS, BUDGETS];

pub fn find(module: &str) -> Option<&'static ComponentModule> {
    COMPONENT_MODULES.iter().find(|m| m.module.as_str() == module)
}

/// The requirement choices an admin form offers.
pub const REQUIREMENTS: [&str; 6] = ["nobody", "account", "franceconnect", "oidc", "resident_list", "admin"];

/// One field of a settings form, with its current value.
#[derive(Clone, Debug, Serialize)]
pub struct Field {
    pub name: String,
    pub key: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub choices: Vec<&'static str>,
}

fn field(prefix: &str, d: &SettingDef, current: &Value) -> Field {
    let v = current.get(d.key);
    let (kind, value, choices) = match d.kind {
        SettingKind::Bool => ("bool", v.and_then(Value::as_bool).unwrap_or(false).to_string(), vec![]),
        SettingKind::Number { .. } => ("number", v.and_then(Value::as_u64).unwrap_or(0).to_string(), vec![]),
        SettingKind::Choice(c) => ("choice", v.and_then(Value::as_str).unwrap_or("").to_owned(), c.to_vec()),
        SettingKind::Requirement => {
            let r: Requirement = v.and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or(Requirement::Account);
            ("requirement", r.as_str().to_owned(), REQUIREMENTS.to_vec())
        }
    };
    Field { name: format!("{prefix}{}", d.key), key: d.key, kind, value, choices }
}

/// The fields of a settings form for `defs`, named `<prefix><key>`.
pub fn fields(prefix: &str, defs: &[SettingDef], current: &Value) -> Vec<Field> {
    defs.iter().map(|d| field(prefix, d, current)).collect()
}

/// Reads the submitted fields named `<prefix><key>` into JSON; an unchecked box
/// is `false`. Errors name the setting.
pub fn read(prefix: &str, defs: &[SettingDef], form: &[(String, String)]) -> CoreResult<Value> {
    let get = |name: &str| form.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let mut out = Map::new();
    for d in defs {
        let name = format!("{prefix}{}", d.key);
        let raw = get(&name);
        let value = match d.kind {
            SettingKind::Bool => Value::Bool(matches!(raw, Some("1" | "on" | "true"))),
            SettingKind::Number { max } => {
                let raw = raw.unwrap_or("0");
                let raw = if raw.is_empty() { "0" } else { raw };
                let n: u32 = raw
                    .parse()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| CoreError::Invalid(format!("{}: a whole number from 0 to {max}", d.key)))?;
                Value::from(n)
            }
            SettingKind::Choice(choices) => {
                let raw = raw.unwrap_or("");
                if !choices.contains(&raw) {
                    return Err(CoreError::Invalid(format!("{}: one of {}", d.key, choices.join(", "))));
                }
                Value::from(raw)
            }
            SettingKind::Requirement => {
                let r = Requirement::parse(raw.unwrap_or("account"))
                    .map_err(|e| CoreError::Invalid(format!("{}: {e}", d.key)))?;
                serde_json::to_value(r).map_err(|e| CoreError::Invalid(e.to_string()))?
            }
        };
        out.insert(d.key.to_owned(), value);
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_settings_read_from_a_form_round_trip() {
        let m = find("proposals").expect("registered");
        let current = (m.defaults)();
        let mut form: Vec<(String, String)> = fields("s.", m.settings, &current)
            .into_iter()
            .filter(|f| f.kind != "bool" || f.value == "true")
            .map(|f| (f.name, if f.kind == "bool" { "1".into() } else { f.value }))
            .collect();
        let back = (m.check_settings)(&read("s.", m.settings, &form).expect("read")).expect("check");
        assert_eq!(back, current);
        form.retain(|(k, _)| k != "s.supports_per_person");
        form.push(("s.supports_per_person".into(), "-3".into()));
        let err = read("s.", m.settings, &form).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("supports_per_person"), "{err}");
        form.retain(|(k, _)| k != "s.supports_per_person");
        form.push(("s.support_requires".into(), "magic".into()));
        let err = read("s.", m.settings, &form).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("support_requires"), "{err}");
    }

    #[test]
    fn every_component_module_checks_its_own_defaults() {
        for m in COMPONENT_MODULES {
            (m.check_settings)(&(m.defaults)()).expect("defaults are valid");
            (m.check_phase_settings)(&serde_json::json!({})).expect("empty phase settings are valid");
        }
    }
}
