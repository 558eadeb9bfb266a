//! Verifications: facts about an account that modules use to gate actions, and
//! anonymous proofs, which record that a person did something once for a purpose
//! without recording who.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::schema::tenant::{anonymous_proofs, resident_list, verifications};

/// The kinds of verification an action can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Signed in through FranceConnect (eIDAS low or above).
    Franceconnect,
    /// Signed in through another of the tenant's OpenID providers.
    Oidc,
    /// The account's confirmed email is on the resident list the tenant uploaded.
    ResidentList,
    /// An admin of the tenant confirmed the person.
    Admin,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Franceconnect, Kind::Oidc, Kind::ResidentList, Kind::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Franceconnect => "franceconnect",
            Kind::Oidc => "oidc",
            Kind::ResidentList => "resident_list",
            Kind::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> CoreResult<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            CoreError::Invalid(format!("verification: one of franceconnect, oidc, resident_list, admin (not {s:?})"))
        })
    }
}

/// What an action asks of the person taking it: a component setting (for example
/// "signing this petition needs a FranceConnect verification").
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "needs", content = "kind")]
pub enum Requirement {
    /// Anyone, signed in or not.
    Nobody,
    /// A signed-in account with a confirmed address or a linked identity.
    Account,
    /// A signed-in account with this verification.
    Verification(Kind),
}

/// Whether a person may take an action, and if not, what they need to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "gate", content = "kind")]
pub enum Gate {
    Allowed,
    /// Sign in (or create an account) first.
    SignIn,
    /// Confirm the account's email address first (or link an identity).
    Confirm,
    /// Get this verification first (the page says how).
    Verify(Kind),
    /// The tenant's admins blocked this account: no participation at all.
    Blocked,
}

impl Gate {
    pub fn allowed(self) -> bool {
        self == Gate::Allowed
    }
}

/// Decides the gate for `user_id` (None: not signed in). A blocked account is
/// refused whatever the requirement, except `Nobody` actions taken without an account.
pub fn gate(conn: &mut PgConnection, user_id: Option<i64>, requirement: Requirement) -> CoreResult<Gate> {
    use crate::schema::tenant::{user_identities, users};
    let Some(id) = user_id else {
        return Ok(if requirement == Requirement::Nobody { Gate::Allowed } else { Gate::SignIn });
    };
    let (blocked, confirmed): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = users::table
        .find(id)
        .select((users::blocked_at, users::email_confirmed_at))
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::NotFound("account".into()))?;
    if blocked.is_some() {
        return Ok(Gate::Blocked);
    }
    Ok(match requirement {
        Requirement::Nobody => Gate::Allowed,
        Requirement::Account => {
            let linked = confirmed.is_some()
                || diesel::select(diesel::dsl::exists(user_identities::table.filter(user_identities::user_id.eq(id))))
                    .get_result::<bool>(conn)?;
            if linked {
                Gate::Allowed
            } else {
                Gate::Confirm
            }
        }
        Requirement::Verification(kind) => {
            if has(conn, id, kind)? {
                Gate::Allowed
            } else {
                Gate::Verify(kind)
            }
        }
    })
}

impl Requirement {
    /// The form value: `nobody`, `account`, or a verification kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Nobody => "nobody",
            Requirement::Account => "account",
            Requirement::Verification(k) => k.as_str(),
        }
    }

    pub fn parse(s: &str) -> CoreResult<Requirement> {
        match s {
            "nobody" => Ok(Requirement::Nobody),
            "account" => Ok(Requirement::Account),
            other => Kind::parse(other).map(Requirement::Verification).map_err(|_| {
                CoreError::Invalid(format!(
                    "requirement: one of nobody, account, franceconnect, oidc, resident_list, admin (not {other:?})"
                ))
            }),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = verifications)]
pub struct Verification {
    pub kind: String,
    pub source: String,
    pub granted_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub granted_by: String,
    pub details: serde_json::Value,
}

/// Grants (or renews) a verification.
pub fn grant(
    conn: &mut PgConnection,
    user_id: i64,
    kind: Kind,
    source: &str,
    granted_by: &str,
    expires_at: Option<DateTime<Utc>>,
) -> CoreResult<()> {
    grant_with(conn, user_id, kind, source, granted_by, expires_at, &serde_json::json!({}))
}

/// Grants (or renews) a verification with what its source said.
pub fn grant_with(
    conn: &mut PgConnection,
    user_id: i64,
    kind: Kind,
    source: &str,
    granted_by: &str,
    expires_at: Option<DateTime<Utc>>,
    details: &serde_json::Value,
) -> CoreResult<()> {
    diesel::insert_into(verifications::table)
        .values((
            verifications::user_id.eq(user_id),
            verifications::kind.eq(kind.as_str()),
            verifications::source.eq(source),
            verifications::granted_by.eq(granted_by),
            verifications::expires_at.eq(expires_at),
            verifications::details.eq(details),
        ))
        .on_conflict((verifications::user_id, verifications::kind, verifications::source))
        .do_update()
        .set((
            verifications::granted_at.eq(diesel::dsl::now),
            verifications::granted_by.eq(granted_by),
            verifications::expires_at.eq(expires_at),
            verifications::details.eq(details),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn revoke(conn: &mut PgConnection, user_id: i64, kind: Kind) -> CoreResult<()> {
    diesel::delete(
        verifications::table.filter(verifications::user_id.eq(user_id)).filter(verifications::kind.eq(kind.as_str())),
    )
    .execute(conn)?;
    Ok(())
}

/// The account's current (unexpired) verifications.
pub fn list_for(conn: &mut PgConnection, user_id: i64) -> CoreResult<Vec<Verification>> {
    Ok(verifications::table
        .filter(verifications::user_id.eq(user_id))
        .filter(verifications::expires_at.is_null().or(verifications::expires_at.gt(diesel::dsl::now)))
        .order(verifications::granted_at)
        .select(Verification::as_select())
        .load(conn)?)
}

pub fn has(conn: &mut PgConnection, user_id: i64, kind: Kind) -> CoreResult<bool> {
    let n: i64 = verifications::table
        .filter(verifications::user_id.eq(user_id))
        .filter(verifications::kind.eq(kind.as_str()))
        .filter(verifications::expires_at.is_null().or(verifications::expires_at.gt(diesel::dsl::now)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Records that the person behind `subject_hash` acted for `purpose`. Returns `false`
/// when they already had (the same person, recognised; nothing else is known of them).
pub fn claim_anonymous(conn: &mut PgConnection, purpose: &str, subject_hash: &str) -> CoreResult<bool> {
    let inserted = diesel::insert_into(anonymous_proofs::table)
        .values((anonymous_proofs::purpose.eq(purpose), anonymous_proofs::subject_hash.eq(subject_hash)))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(inserted == 1)
}

pub fn anonymous_count(conn: &mut PgConnection, purpose: &str) -> CoreResult<i64> {
    Ok(anonymous_proofs::table.filter(anonymous_proofs::purpose.eq(purpose)).count().get_result(conn)?)
}

/// Replaces the resident list with these keyed hashes of addresses; returns its size.
pub fn replace_resident_list(conn: &mut PgConnection, email_hashes: &[String]) -> CoreResult<usize> {
    conn.transaction(|conn| {
        diesel::delete(resident_list::table).execute(conn)?;
        for chunk in email_hashes.chunks(1000) {
            let rows: Vec<_> = chunk.iter().map(|h| resident_list::email_hash.eq(h)).collect();
            diesel::insert_into(resident_list::table).values(rows).on_conflict_do_nothing().execute(conn)?;
        }
        Ok(resident_list::table.count().get_result::<i64>(conn)? as usize)
    })
}

pub fn on_resident_list(conn: &mut PgConnection, email_hash: &str) -> CoreResult<bool> {
    let n: i64 = resident_list::table.filter(resident_list::email_hash.eq(email_hash)).count().get_result(conn)?;
    Ok(n > 0)
}

pub fn resident_list_size(conn: &mut PgConnection) -> CoreResult<i64> {
    Ok(resident_list::table.count().get_result(conn)?)
}

/// Gives the "resident list" verification to every live account whose confirmed
/// address is on the list, and takes it from the others. `hash` is the tenant's keyed
/// hash of an address (the list holds only those). Returns how many accounts hold it.
pub fn sync_resident_verifications(conn: &mut PgConnection, hash: impl Fn(&str) -> String) -> CoreResult<usize> {
    use crate::schema::tenant::users;
    conn.transaction(|conn| {
        let listed: std::collections::HashSet<String> =
            resident_list::table.select(resident_list::email_hash).load::<String>(conn)?.into_iter().collect();
        let people: Vec<(i64, Option<String>)> = users::table
            .filter(users::deleted_at.is_null())
            .filter(users::email_confirmed_at.is_not_null())
            .select((users::id, users::email))
            .load(conn)?;
        let on_list: Vec<i64> = people
            .into_iter()
            .filter_map(|(id, email)| email.filter(|e| listed.contains(&hash(e))).map(|_| id))
            .collect();
        diesel::delete(
            verifications::table
                .filter(verifications::kind.eq(Kind::ResidentList.as_str()))
                .filter(verifications::user_id.ne_all(&on_list)),
        )
        .execute(conn)?;
        for id in &on_list {
            grant(conn, *id, Kind::ResidentList, "", "resident_list", None)?;
        }
        Ok(on_list.len())
    })
}
