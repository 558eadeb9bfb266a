//! Supports: one per person and proposal, within the component's limit per person.
//! A person's supports are serialised on their account row, so the limit holds
//! when the same person sends several requests at once; the count on the proposal
//! is kept in the same transaction.
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::Settings;
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Supports this person has given in the component.
pub fn given(conn: &mut PgConnection, component_id: i64, user: i64) -> CoreResult<i64> {
    let n: N = prepared("SELECT count(*) AS n FROM proposal_supports WHERE component_id = $1 AND user_id = $2")
        .bind::<BigInt, _>(component_id)
        .bind::<BigInt, _>(user)
        .get_result(conn)?;
    Ok(n.n)
}

pub fn has_supported(conn: &mut PgConnection, proposal: i64, user: i64) -> CoreResult<bool> {
    let n: N = prepared("SELECT count(*) AS n FROM proposal_supports WHERE proposal_id = $1 AND user_id = $2")
        .bind::<BigInt, _>(proposal)
        .bind::<BigInt, _>(user)
        .get_result(conn)?;
    Ok(n.n > 0)
}

/// The proposals of a list this person supports.
pub fn supported_among(conn: &mut PgConnection, user: i64, ids: &[i64]) -> CoreResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        proposal_id: i64,
    }
    let rows: Vec<Id> =
        prepared("SELECT proposal_id FROM proposal_supports WHERE user_id = $1 AND proposal_id = ANY($2)")
            .bind::<BigInt, _>(user)
            .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
            .load(conn)?;
    Ok(rows.into_iter().map(|r| r.proposal_id).collect())
}

/// What a support request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Added,
    /// Already supported: nothing changed (a double submit).
    Already,
}

/// Supports a proposal. Refuses a withdrawn or answered-rejected proposal, and a
/// support beyond the person's limit in this component, with a message.
pub fn support(
    conn: &mut PgConnection,
    component_id: i64,
    proposal: i64,
    user: i64,
    settings: &Settings,
) -> CoreResult<Outcome> {
    conn.transaction(|conn| {
        prepared("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind::<BigInt, _>(user).execute(conn)?;
        #[derive(QueryableByName)]
        struct State {
            #[diesel(sql_type = diesel::sql_types::Text)]
            state: String,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            hidden: bool,
        }
        let p: Option<State> = prepared(
            "SELECT state, hidden_at IS NOT NULL AS hidden FROM proposals WHERE id = $1 AND component_id = $2",
        )
        .bind::<BigInt, _>(proposal)
        .bind::<BigInt, _>(component_id)
        .get_result(conn)
        .optional()?;
        let p = p.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
        if p.hidden {
            return Err(CoreError::NotFound("no such proposal".into()));
        }
        if p.state != "published" {
            return Err(CoreError::Conflict(format!("this proposal is {} and takes no more supports", p.state)));
        }
        if has_supported(conn, proposal, user)? {
            return Ok(Outcome::Already);
        }
        let limit = i64::from(settings.supports_per_person);
        if limit > 0 && given(conn, component_id, user)? >= limit {
            return Err(CoreError::Conflict(format!(
                "you have used all your {limit} supports in this component: withdraw one to support another proposal"
            )));
        }
        prepared("INSERT INTO proposal_supports (proposal_id, user_id, component_id) VALUES ($1, $2, $3)")
            .bind::<BigInt, _>(proposal)
            .bind::<BigInt, _>(user)
            .bind::<BigInt, _>(component_id)
            .execute(conn)?;
        prepared("UPDATE proposals SET supports_count = supports_count + 1 WHERE id = $1")
            .bind::<BigInt, _>(proposal)
            .execute(conn)?;
        Ok(Outcome::Added)
    })
}

/// Withdraws a support; doing it twice changes nothing.
pub fn unsupport(conn: &mut PgConnection, component_id: i64, proposal: i64, user: i64) -> CoreResult<bool> {
    conn.transaction(|conn| {
        let n = prepared("DELETE FROM proposal_supports WHERE proposal_id = $1 AND user_id = $2 AND component_id = $3")
            .bind::<BigInt, _>(proposal)
            .bind::<BigInt, _>(user)
            .bind::<BigInt, _>(component_id)
            .execute(conn)?;
        if n > 0 {
            prepared("UPDATE proposals SET supports_count = supports_count - 1 WHERE id = $1")
                .bind::<BigInt, _>(proposal)
                .execute(conn)?;
        }
        Ok(n > 0)
    })
}
