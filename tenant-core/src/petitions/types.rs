//! Petition types, set by the tenant's administrators: the threshold to reach within
//! the signature period, who may file and who may sign, whether signers appear.
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Jsonb, Text};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::accounts::verifications::{Kind, Requirement};
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::names::Locale;

/// The choices for who may file.
pub const FILE_REQUIRES: [&str; 5] = ["account", "franceconnect", "oidc", "resident_list", "admin"];
/// The choices for who may sign; the first is the default.
pub const SIGN_REQUIRES: [&str; 5] = ["franceconnect_anonymous", "account", "franceconnect", "oidc", "resident_list"];

/// A type, as stored.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct PetitionType {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Per locale.
    #[diesel(sql_type = Jsonb)]
    pub title: Value,
    #[diesel(sql_type = Jsonb)]
    pub description: Value,
    #[diesel(sql_type = Integer)]
    pub threshold: i32,
    #[diesel(sql_type = Integer)]
    pub period_days: i32,
    #[diesel(sql_type = Text)]
    pub file_requires: String,
    #[diesel(sql_type = Text)]
    pub sign_requires: String,
    #[diesel(sql_type = Bool)]
    pub show_signers: bool,
    #[diesel(sql_type = Bool)]
    pub comments_enabled: bool,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = Integer)]
    pub position: i32,
}

/// How a type's petitions are signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "with", content = "requirement")]
pub enum Signing {
    /// Through the tenant's FranceConnect, asking for `openid` only; nothing but a
    /// keyed hash of the subject is kept, and no account is needed.
    Anonymous,
    /// With an account that meets this requirement.
    Account(Requirement),
}

fn requirement(s: &str) -> Requirement {
    match s {
        "account" => Requirement::Account,
        other => Kind::parse(other).map(Requirement::Verification).unwrap_or(Requirement::Account),
    }
}

impl PetitionType {
    pub fn file_requirement(&self) -> Requirement {
        requirement(&self.file_requires)
    }

    pub fn signing(&self) -> Signing {
        if self.sign_requires == "franceconnect_anonymous" {
            Signing::Anonymous
        } else {
            Signing::Account(requirement(&self.sign_requires))
        }
    }

    /// The title in the first of `order` that has one.
    pub fn title_in(&self, order: &[Locale]) -> String {
        crate::spaces::pick(&self.title, order).0
    }

    pub fn description_in(&self, order: &[Locale]) -> String {
        crate::spaces::pick(&self.description, order).0
    }
}

const COLUMNS: &str = "id, title, description, threshold, period_days, file_requires, sign_requires, show_signers,
    comments_enabled, active, position";

/// Every type, in the admins' order; `active_only` for the filing form.
pub fn list(conn: &mut PgConnection, active_only: bool) -> CoreResult<Vec<PetitionType>> {
    Ok(prepared(format!("SELECT {COLUMNS} FROM petition_types WHERE active OR NOT $1 ORDER BY position, id"))
        .bind::<Bool, _>(active_only)
        .load(conn)?)
}

pub fn find(conn: &mut PgConnection, id: i64) -> CoreResult<Option<PetitionType>> {
    Ok(prepared(format!("SELECT {COLUMNS} FROM petition_types WHERE id = $1"))
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .optional()?)
}

/// What the admin form sends (titles and descriptions per locale).
#[derive(Clone, Debug, Default)]
pub struct TypeInput {
    pub title: Vec<(Locale, String)>,
    pub description: Vec<(Locale, String)>,
    pub threshold: String,
    pub period_days: String,
    pub file_requires: String,
    pub sign_requires: String,
    pub show_signers: bool,
    pub comments_enabled: bool,
    pub active: bool,
}

/// A checked [`TypeInput`].
pub struct CheckedType {
    title: Value,
    description: Value,
    threshold: i32,
    period_days: i32,
    file_requires: String,
    sign_requires: String,
    show_signers: bool,
    comments_enabled: bool,
    active: bool,
}

fn number(field: &str, raw: &str, min: i64, max: i64) -> CoreResult<i32> {
    let cleaned: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != '\u{202f}').collect();
    let n: i64 = cleaned.parse().map_err(|_| CoreError::Invalid(format!("{field}: a whole number (not {raw:?})")))?;
    if !(min..=max).contains(&n) {
        return Err(CoreError::Invalid(format!("{field}: from {min} to {max}")));
    }
    Ok(n as i32)
}

/// Checks the form; `locales` are the tenant's (the first, its default, needs a title).
pub fn check(input: &TypeInput, locales: &[Locale]) -> CoreResult<CheckedType> {
    let mut title = Map::new();
    for (l, t) in &input.title {
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.chars().count() > 120 {
            return Err(CoreError::Invalid(format!("title ({l}): at most 120 characters")));
        }
        if !t.is_empty() && locales.contains(l) {
            title.insert(l.as_str().to_owned(), Value::String(t));
        }
    }
    if let Some(first) = locales.first() {
        if !title.contains_key(first.as_str()) {
            return Err(CoreError::Invalid(format!("title ({first}): required")));
        }
    }
    let mut description = Map::new();
    for (l, d) in &input.description {
        let d = d.trim();
        if d.chars().count() > 2000 {
            return Err(CoreError::Invalid(format!("description ({l}): at most 2,000 characters")));
        }
        if !d.is_empty() && locales.contains(l) {
            description.insert(l.as_str().to_owned(), Value::String(d.to_owned()));
        }
    }
    let threshold = number("threshold", &input.threshold, 1, 100_000_000)?;
    let period_days = number("period (days)", &input.period_days, 1, 3660)?;
    if !FILE_REQUIRES.contains(&input.file_requires.as_str()) {
        return Err(CoreError::Invalid(format!("who may file: one of {}", FILE_REQUIRES.join(", "))));
    }
    if !SIGN_REQUIRES.contains(&input.sign_requires.as_str()) {
        return Err(CoreError::Invalid(format!("who may sign: one of {}", SIGN_REQUIRES.join(", "))));
    }
    if input.show_signers && input.sign_requires == "franceconnect_anonymous" {
        return Err(CoreError::Invalid(
            "show signers: anonymous signatures have no name to show; choose signing with an account".into(),
        ));
    }
    Ok(CheckedType {
        title: Value::Object(title),
        description: Value::Object(description),
        threshold,
        period_days,
        file_requires: input.file_requires.clone(),
        sign_requires: input.sign_requires.clone(),
        show_signers: input.show_signers,
        comments_enabled: input.comments_enabled,
        active: input.active,
    })
}

/// Creates a type (`id` None) or changes one. Petitions already published keep the
/// threshold and period they were published with.
pub fn save(conn: &mut PgConnection, id: Option<i64>, t: &CheckedType) -> CoreResult<i64> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let sql = match id {
        None => {
            "INSERT INTO petition_types (title, description, threshold, period_days, file_requires, sign_requires,
                                         show_signers, comments_enabled, active, position)
             SELECT $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce(max(position) + 1, 0) FROM petition_types
             RETURNING id"
        }
        Some(_) => {
            "UPDATE petition_types SET title = $2, description = $3, threshold = $4, period_days = $5,
                    file_requires = $6, sign_requires = $7, show_signers = $8, comments_enabled = $9, active = $10
             WHERE id = $1 RETURNING id"
        }
    };
    let saved: Option<Id> = prepared(sql)
        .bind::<diesel::sql_types::Nullable<BigInt>, _>(id)
        .bind::<Jsonb, _>(&t.title)
        .bind::<Jsonb, _>(&t.description)
        .bind::<Integer, _>(t.threshold)
        .bind::<Integer, _>(t.period_days)
        .bind::<Text, _>(&t.file_requires)
        .bind::<Text, _>(&t.sign_requires)
        .bind::<Bool, _>(t.show_signers)
        .bind::<Bool, _>(t.comments_enabled)
        .bind::<Bool, _>(t.active)
        .get_result(conn)
        .optional()?;
    saved.map(|s| s.id).ok_or_else(|| CoreError::NotFound("petition type".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(threshold: &str, sign: &str, show: bool) -> TypeInput {
        TypeInput {
            title: vec![(Locale::Fr, "Pétition nationale".into()), (Locale::En, String::new())],
            threshold: threshold.into(),
            period_days: "180".into(),
            file_requires: "account".into(),
            sign_requires: sign.into(),
            show_signers: show,
            ..TypeInput::default()
        }
    }

    #[test]
    fn a_type_is_checked_field_by_field() {
        let locales = [Locale::Fr, Locale::En];
        let ok = check(&input("100 000", "franceconnect_anonymous", false), &locales).unwrap();
        assert_eq!(ok.threshold, 100_000, "digits grouped with a space are read");
        assert_eq!(ok.title, serde_json::json!({ "fr": "Pétition nationale" }), "an empty translation is left out");
        let err = |i: TypeInput| check(&i, &locales).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(input("beaucoup", "account", false)).starts_with("threshold: a whole number"));
        assert!(err(input("0", "account", false)).starts_with("threshold: from 1"));
        assert!(err(input("10", "sms", false)).starts_with("who may sign"));
        assert!(err(input("10", "franceconnect_anonymous", true)).contains("anonymous signatures have no name"));
        let mut untitled = input("10", "account", false);
        untitled.title = vec![(Locale::En, "Only English".into())];
        assert!(err(untitled).starts_with("title (fr): required"));
    }

    #[test]
    fn how_a_type_is_signed() {
        let t = |sign: &str| PetitionType {
            id: 1,
            title: serde_json::json!({}),
            description: serde_json::json!({}),
            threshold: 1,
            period_days: 1,
            file_requires: "franceconnect".into(),
            sign_requires: sign.into(),
            show_signers: false,
            comments_enabled: true,
            active: true,
            position: 0,
        };
        assert_eq!(t("franceconnect_anonymous").signing(), Signing::Anonymous);
        assert_eq!(t("account").signing(), Signing::Account(Requirement::Account));
        assert_eq!(t("oidc").signing(), Signing::Account(Requirement::Verification(Kind::Oidc)));
        assert_eq!(t("account").file_requirement(), Requirement::Verification(Kind::Franceconnect));
    }
}
