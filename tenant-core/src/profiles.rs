//! Public profiles: what anyone may see of a participant (nickname, since when they
//! take part, who follows them). Nothing private: no email, no role, no sign-ins.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;

use crate::error::CoreResult;
use crate::follows;
use crate::resources::{ResourceKind, ResourceRef};
use crate::schema::tenant::users;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub id: i64,
    pub nickname: String,
    pub member_since: DateTime<Utc>,
    pub followers: i64,
}

/// The live account whose nickname is `nickname` (case does not matter).
pub fn find_by_nickname(conn: &mut PgConnection, nickname: &str) -> CoreResult<Option<Profile>> {
    let row: Option<(i64, Option<String>, DateTime<Utc>)> = users::table
        .filter(users::deleted_at.is_null())
        .filter(lower(users::nickname).eq(lower(Some(nickname.trim().to_owned()))))
        .select((users::id, users::nickname, users::created_at))
        .first(conn)
        .optional()?;
    let Some((id, Some(nickname), member_since)) = row else { return Ok(None) };
    let followers = follows::count_followers(conn, ResourceRef::new(ResourceKind::User, id))?;
    Ok(Some(Profile { id, nickname, member_since, followers }))
}

/// The nickname of a live account, by id.
pub fn nickname_of(conn: &mut PgConnection, id: i64) -> CoreResult<Option<String>> {
    Ok(users::table
        .find(id)
        .filter(users::deleted_at.is_null())
        .select(users::nickname)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}
