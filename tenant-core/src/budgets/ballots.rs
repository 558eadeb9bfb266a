//! Ballots: one per person and budget, secret.
//!
//! A ballot row holds `voter`, an HMAC under the tenant's key of the account id with
//! the component in the purpose: the same person is recognised within one component
//! (to keep one ballot per budget, and one budget per person when the component says
//! "one district only") and nowhere else. No account id, address, nickname, time of
//! day or network address is stored; the unique key `(budget_id, voter)` makes a second
//! ballot impossible whatever the timing, and the partial unique index
//! `budget_ballots_one_district` a second district.
//!
//! A ballot is a draft until confirmed: a draft may be changed freely (even beyond
//! the rules, so the page can say what is wrong); confirming checks every rule in the
//! transaction that confirms, with the ballot's row locked, and stamps the day. A
//! refused request changes nothing: each write is one transaction that is rolled back
//! whole on any refusal.
use chrono::NaiveDate;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Array, BigInt, Bool, Date, Jsonb, Nullable, Text, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

use super::{voting_state, Budget, BudgetRow, Shortfall, COLUMNS};
use crate::accounts::verifications::{self, Gate};
use crate::catalog::keys::TenantKey;
use crate::db::prepared::prepared;
use crate::error::CoreError;
use crate::names::Locale;

/// The most projects one ballot may name, whatever the budget says.
pub const MAX_SELECTION: usize = 2_000;

/// The keyed hash that stands for account `user_id` in the ballots of component
/// `component_id`.
pub fn voter(key: &TenantKey, component_id: i64, user_id: i64) -> String {
    key.hash(&format!("budget-component:{component_id}"), &user_id.to_string())
}

/// A person's ballot in one budget.
#[derive(Clone, Debug, Serialize)]
pub struct Ballot {
    pub id: Uuid,
    pub budget_id: i64,
    /// `draft` or `confirmed`.
    pub state: String,
    pub confirmed_on: Option<NaiveDate>,
    /// The approved projects' ids.
    pub projects: Vec<i64>,
}

impl Ballot {
    pub fn confirmed(&self) -> bool {
        self.state == "confirmed"
    }
}

/// What the person asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Keep the selection as a draft (an empty selection discards the draft).
    Save,
    /// Keep it and confirm it: the rules must hold.
    Confirm,
}

/// Why a ballot request was refused. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum BallotError {
    #[error("no such budget")]
    NotFound,
    #[error("voting is not open in this budget")]
    Closed,
    #[error("voting needs something first: {0:?}")]
    Gate(Gate),
    #[error("this person's ballot in this budget is already confirmed: a second ballot is refused")]
    AlreadyConfirmed,
    /// Only one budget of the component per person, and this person voted in another.
    #[error("one budget per person in this vote, and this person already voted in another one")]
    OtherDistrict {
        /// The other budget's title in every language, when known.
        title: Option<serde_json::Value>,
    },
    #[error("{0} of the chosen projects are not projects of this budget")]
    UnknownProjects(usize),
    #[error("at most {MAX_SELECTION} projects in a ballot")]
    TooManyProjects,
    #[error("the ballot does not follow the budget's rule: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Rules(Vec<Shortfall>),
    #[error("a confirmed ballot cannot be cancelled in this vote")]
    RecastNotAllowed,
    #[error("there is no ballot to cancel")]
    NoBallot,
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl From<DieselError> for BallotError {
    fn from(e: DieselError) -> Self {
        BallotError::Core(e.into())
    }
}

impl From<BallotError> for CoreError {
    fn from(e: BallotError) -> Self {
        match e {
            BallotError::Core(e) => e,
            BallotError::NotFound => CoreError::NotFound(e.to_string()),
            BallotError::Closed | BallotError::Gate(_) | BallotError::RecastNotAllowed => {
                CoreError::Forbidden(e.to_string())
            }
            BallotError::AlreadyConfirmed | BallotError::OtherDistrict { .. } | BallotError::NoBallot => {
                CoreError::Conflict(e.to_string())
            }
            BallotError::UnknownProjects(_) | BallotError::TooManyProjects | BallotError::Rules(_) => {
                CoreError::Invalid(e.to_string())
            }
        }
    }
}

#[derive(QueryableByName)]
struct BallotRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = BigInt)]
    budget_id: i64,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<Date>)]
    confirmed_on: Option<NaiveDate>,
    #[diesel(sql_type = Array<BigInt>)]
    projects: Vec<i64>,
}

impl From<BallotRow> for Ballot {
    fn from(r: BallotRow) -> Self {
        Ballot { id: r.id, budget_id: r.budget_id, state: r.state, confirmed_on: r.confirmed_on, projects: r.projects }
    }
}

const BALLOT_COLUMNS: &str = "b.id, b.budget_id, b.state, b.confirmed_on,
    array(SELECT s.project_id FROM budget_ballot_projects s WHERE s.ballot_id = b.id ORDER BY s.project_id) AS projects";

/// The person's ballots in a component's budgets (drafts and confirmed).
pub fn mine(
    conn: &mut PgConnection,
    key: &TenantKey,
    component_id: i64,
    user_id: i64,
) -> Result<Vec<Ballot>, CoreError> {
    let rows: Vec<BallotRow> =
        prepared(format!("SELECT {BALLOT_COLUMNS} FROM budget_ballots b WHERE b.component_id = $1 AND b.voter = $2"))
            .bind::<BigInt, _>(component_id)
            .bind::<Text, _>(voter(key, component_id, user_id))
            .load(conn)?;
    Ok(rows.into_iter().map(Ballot::from).collect())
}

/// The person's ballot in one budget, if any.
pub fn find(
    conn: &mut PgConnection,
    key: &TenantKey,
    component_id: i64,
    budget_id: i64,
    user_id: i64,
) -> Result<Option<Ballot>, CoreError> {
    let row: Option<BallotRow> =
        prepared(format!("SELECT {BALLOT_COLUMNS} FROM budget_ballots b WHERE b.budget_id = $1 AND b.voter = $2"))
            .bind::<BigInt, _>(budget_id)
            .bind::<Text, _>(voter(key, component_id, user_id))
            .get_result(conn)
            .optional()?;
    Ok(row.map(Ballot::from))
}

/// The budget, locked against changes of its amount or rule while a ballot is
/// checked against them.
fn budget_for_ballot(conn: &mut PgConnection, component_id: i64, budget_id: i64) -> Result<Budget, BallotError> {
    let row: BudgetRow =
        prepared(format!("SELECT {COLUMNS} FROM budgets b WHERE b.id = $1 AND b.component_id = $2 FOR SHARE"))
            .bind::<BigInt, _>(budget_id)
            .bind::<BigInt, _>(component_id)
            .get_result(conn)
            .optional()?
            .ok_or(BallotError::NotFound)?;
    Ok(Budget::from_row(row, &[Locale::Fr])?)
}

#[derive(QueryableByName)]
struct Existing {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    state: String,
}

fn lock_existing(conn: &mut PgConnection, budget_id: i64, voter: &str) -> Result<Option<Existing>, BallotError> {
    Ok(prepared("SELECT id, state FROM budget_ballots WHERE budget_id = $1 AND voter = $2 FOR UPDATE")
        .bind::<BigInt, _>(budget_id)
        .bind::<Text, _>(voter)
        .get_result(conn)
        .optional()?)
}

/// Saves (`Intent::Save`) or confirms (`Intent::Confirm`) the ballot of account
/// `user_id` in budget `budget_id` of component `component_id`, approving `selection`
/// (project ids). Returns the ballot as stored (`None` after an empty draft was
/// discarded). Every check is made here, in one transaction: voting open in the
/// component's active phase, the verification the component asks for, the projects
/// belonging to this budget, no confirmed ballot already, no ballot in another budget
/// when one district only, and for a confirmation the budget's rule.
#[allow(clippy::too_many_arguments)]
pub fn submit(
    conn: &mut PgConnection,
    key: &TenantKey,
    user_id: i64,
    component_id: i64,
    budget_id: i64,
    selection: &[i64],
    intent: Intent,
    today: NaiveDate,
) -> Result<Option<Ballot>, BallotError> {
    let mut chosen = selection.to_vec();
    chosen.sort_unstable();
    chosen.dedup();
    if chosen.len() > MAX_SELECTION {
        return Err(BallotError::TooManyProjects);
    }
    let voter = voter(key, component_id, user_id);
    conn.transaction(|conn| {
        let budget = budget_for_ballot(conn, component_id, budget_id)?;
        let state = voting_state(conn, component_id)?;
        if !state.voting_open() {
            return Err(BallotError::Closed);
        }
        let gate = verifications::gate(conn, Some(user_id), state.settings.vote_requires)?;
        if !gate.allowed() {
            return Err(BallotError::Gate(gate));
        }
        #[derive(QueryableByName)]
        struct Chosen {
            #[diesel(sql_type = BigInt)]
            n: i64,
            #[diesel(sql_type = BigInt)]
            total: i64,
        }
        let found: Chosen = prepared(
            // Saturated: a sum past the largest budget is over any budget anyway.
            "SELECT count(*) AS n, least(coalesce(sum(amount), 0), 9000000000000000000)::int8 AS total
             FROM budget_projects WHERE budget_id = $1 AND id = ANY($2)",
        )
        .bind::<BigInt, _>(budget_id)
        .bind::<Array<BigInt>, _>(&chosen)
        .get_result(conn)?;
        let known = usize::try_from(found.n).unwrap_or(0);
        if known != chosen.len() {
            return Err(BallotError::UnknownProjects(chosen.len() - known));
        }
        let total = found.total;
        let existing = lock_existing(conn, budget_id, &voter)?;
        if existing.as_ref().is_some_and(|e| e.state == "confirmed") {
            return Err(BallotError::AlreadyConfirmed);
        }
        if state.settings.one_district_only {
            #[derive(QueryableByName)]
            struct Other {
                #[diesel(sql_type = Jsonb)]
                title: serde_json::Value,
            }
            let other: Option<Other> = prepared(
                "SELECT g.title FROM budget_ballots b JOIN budgets g ON g.id = b.budget_id
                 WHERE b.component_id = $1 AND b.voter = $2 AND b.budget_id <> $3 AND b.state = 'confirmed'
                 LIMIT 1",
            )
            .bind::<BigInt, _>(component_id)
            .bind::<Text, _>(&voter)
            .bind::<BigInt, _>(budget_id)
            .get_result(conn)
            .optional()?;
            if let Some(other) = other {
                return Err(BallotError::OtherDistrict { title: Some(other.title) });
            }
        }
        if intent == Intent::Confirm {
            let shortfalls = budget.shortfalls(chosen.len(), total);
            if !shortfalls.is_empty() {
                return Err(BallotError::Rules(shortfalls));
            }
        }
        if intent == Intent::Save && chosen.is_empty() {
            if let Some(e) = existing {
                prepared("DELETE FROM budget_ballots WHERE id = $1").bind::<SqlUuid, _>(e.id).execute(conn)?;
            }
            return Ok(None);
        }
        let id = match existing {
            Some(e) => e.id,
            None => {
                #[derive(QueryableByName)]
                struct Id {
                    #[diesel(sql_type = SqlUuid)]
                    id: Uuid,
                }
                let inserted: Option<Id> = prepared(
                    "INSERT INTO budget_ballots (budget_id, component_id, voter) VALUES ($1, $2, $3)
                     ON CONFLICT (budget_id, voter) DO NOTHING RETURNING id",
                )
                .bind::<BigInt, _>(budget_id)
                .bind::<BigInt, _>(component_id)
                .bind::<Text, _>(&voter)
                .get_result(conn)
                .optional()?;
                match inserted {
                    Some(i) => i.id,
                    // A request of the same person a moment ago made it.
                    None => {
                        let e = lock_existing(conn, budget_id, &voter)?.ok_or(BallotError::NotFound)?;
                        if e.state == "confirmed" {
                            return Err(BallotError::AlreadyConfirmed);
                        }
                        e.id
                    }
                }
            }
        };
        prepared("DELETE FROM budget_ballot_projects WHERE ballot_id = $1").bind::<SqlUuid, _>(id).execute(conn)?;
        prepared(
            "INSERT INTO budget_ballot_projects (ballot_id, budget_id, project_id)
             SELECT $1, $2, unnest($3::int8[])",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<BigInt, _>(budget_id)
        .bind::<Array<BigInt>, _>(&chosen)
        .execute(conn)?;
        if intent == Intent::Confirm {
            let confirmed = prepared(
                "UPDATE budget_ballots SET state = 'confirmed', confirmed_on = $2, exclusive = $3 WHERE id = $1",
            )
            .bind::<SqlUuid, _>(id)
            .bind::<Date, _>(today)
            .bind::<Bool, _>(state.settings.one_district_only)
            .execute(conn);
            match confirmed {
                Ok(_) => {}
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                    if info.constraint_name() == Some("budget_ballots_one_district") =>
                {
                    // Confirmed in another budget by a concurrent request.
                    return Err(BallotError::OtherDistrict { title: None });
                }
                Err(e) => return Err(e.into()),
            }
        }
        let row: BallotRow = prepared(format!("SELECT {BALLOT_COLUMNS} FROM budget_ballots b WHERE b.id = $1"))
            .bind::<SqlUuid, _>(id)
            .get_result(conn)?;
        Ok(Some(row.into()))
    })
}

/// Discards the person's draft, or cancels their confirmed ballot when the component
/// allows casting again, while voting is open.
pub fn cancel(
    conn: &mut PgConnection,
    key: &TenantKey,
    user_id: i64,
    component_id: i64,
    budget_id: i64,
) -> Result<(), BallotError> {
    let voter = voter(key, component_id, user_id);
    conn.transaction(|conn| {
        budget_for_ballot(conn, component_id, budget_id)?;
        let state = voting_state(conn, component_id)?;
        if !state.voting_open() {
            return Err(BallotError::Closed);
        }
        let existing = lock_existing(conn, budget_id, &voter)?.ok_or(BallotError::NoBallot)?;
        if existing.state == "confirmed" && !state.settings.allow_recast {
            return Err(BallotError::RecastNotAllowed);
        }
        prepared("DELETE FROM budget_ballots WHERE id = $1").bind::<SqlUuid, _>(existing.id).execute(conn)?;
        Ok(())
    })
}
