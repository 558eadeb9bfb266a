//! Signed-in browsers. The cookie holds a random secret; only its hash is stored.
use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::users::{User, UserRow};
use crate::error::CoreResult;
use crate::schema::tenant::{user_sessions, users};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = user_sessions)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub method: String,
    pub id_token: Option<String>,
}

/// Opens a session for `user_id`, valid for `ttl`.
pub fn create(
    conn: &mut PgConnection,
    token_hash: &str,
    user_id: i64,
    method: &str,
    id_token: Option<&str>,
    ttl: Duration,
) -> CoreResult<()> {
    diesel::insert_into(user_sessions::table)
        .values((
            user_sessions::token_hash.eq(token_hash),
            user_sessions::user_id.eq(user_id),
            user_sessions::expires_at.eq(Utc::now() + ttl),
            user_sessions::method.eq(method),
            user_sessions::id_token.eq(id_token),
        ))
        .execute(conn)?;
    // Expired sessions of anyone are swept as people sign in.
    diesel::delete(user_sessions::table.filter(user_sessions::expires_at.lt(diesel::dsl::now))).execute(conn)?;
    Ok(())
}

/// The live session behind a cookie and its account. Marks the session seen (at most
/// once a minute, to keep page views from writing) when `touch` is true: false while
/// the tenant is read-only (being moved), whose tables take no write.
pub fn find(conn: &mut PgConnection, token_hash: &str, touch: bool) -> CoreResult<Option<(Session, User)>> {
    let found = user_sessions::table
        .inner_join(users::table)
        .filter(user_sessions::token_hash.eq(token_hash))
        .filter(user_sessions::expires_at.gt(diesel::dsl::now))
        .filter(users::deleted_at.is_null())
        .select((Session::as_select(), UserRow::as_select()))
        .first::<(Session, UserRow)>(conn)
        .optional()?;
    let Some((session, row)) = found else { return Ok(None) };
    let Some(user) = User::from_row_pub(row) else { return Ok(None) };
    if touch && Utc::now() - session.last_seen_at > Duration::minutes(1) {
        diesel::update(user_sessions::table.find(token_hash))
            .set(user_sessions::last_seen_at.eq(diesel::dsl::now))
            .execute(conn)?;
    }
    Ok(Some((session, user)))
}

/// Ends one session; returns it (its ID token is needed for the provider's sign-out).
pub fn delete(conn: &mut PgConnection, token_hash: &str) -> CoreResult<Option<Session>> {
    Ok(diesel::delete(user_sessions::table.find(token_hash))
        .returning(Session::as_returning())
        .get_result(conn)
        .optional()?)
}

/// Ends every session of an account but `keep` (after a password change).
pub fn delete_others(conn: &mut PgConnection, user_id: i64, keep: Option<&str>) -> CoreResult<usize> {
    let q = user_sessions::table.filter(user_sessions::user_id.eq(user_id));
    Ok(match keep {
        Some(k) => diesel::delete(q.filter(user_sessions::token_hash.ne(k))).execute(conn)?,
        None => diesel::delete(q).execute(conn)?,
    })
}

pub fn list_for(conn: &mut PgConnection, user_id: i64) -> CoreResult<Vec<Session>> {
    Ok(user_sessions::table
        .filter(user_sessions::user_id.eq(user_id))
        .order(user_sessions::created_at.desc())
        .select(Session::as_select())
        .load(conn)?)
}
