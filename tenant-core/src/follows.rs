//! Follows: a person follows a space, a proposal or another person, and the
//! notifications about it reach them ([`crate::notifications::publish`]).
//! Whether the follower may see the resource is the caller's check.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::CoreResult;
use crate::resources::{ResourceKind, ResourceRef};
use crate::schema::tenant::{follows, users};

/// Starts following; following twice is the same as once. Returns whether a follow
/// was added.
pub fn follow(conn: &mut PgConnection, user_id: i64, resource: ResourceRef) -> CoreResult<bool> {
    let n = diesel::insert_into(follows::table)
        .values((
            follows::user_id.eq(user_id),
            follows::resource_kind.eq(resource.kind.as_str()),
            follows::resource_id.eq(resource.id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(n > 0)
}

/// Stops following; unfollowing what one does not follow does nothing. Returns
/// whether a follow was removed.
pub fn unfollow(conn: &mut PgConnection, user_id: i64, resource: ResourceRef) -> CoreResult<bool> {
    let n = diesel::delete(
        follows::table
            .filter(follows::user_id.eq(user_id))
            .filter(follows::resource_kind.eq(resource.kind.as_str()))
            .filter(follows::resource_id.eq(resource.id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

pub fn is_following(conn: &mut PgConnection, user_id: i64, resource: ResourceRef) -> CoreResult<bool> {
    let n: i64 = follows::table
        .filter(follows::user_id.eq(user_id))
        .filter(follows::resource_kind.eq(resource.kind.as_str()))
        .filter(follows::resource_id.eq(resource.id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The live accounts (neither deleted nor blocked) following `resource`, by id.
pub fn followers_of(conn: &mut PgConnection, resource: ResourceRef) -> CoreResult<Vec<i64>> {
    Ok(follows::table
        .inner_join(users::table)
        .filter(follows::resource_kind.eq(resource.kind.as_str()))
        .filter(follows::resource_id.eq(resource.id))
        .filter(users::deleted_at.is_null())
        .filter(users::blocked_at.is_null())
        .order(follows::user_id)
        .select(follows::user_id)
        .load(conn)?)
}

/// How many live accounts follow `resource` (blocked ones count: they still follow;
/// deleted ones do not).
pub fn count_followers(conn: &mut PgConnection, resource: ResourceRef) -> CoreResult<i64> {
    Ok(follows::table
        .inner_join(users::table)
        .filter(follows::resource_kind.eq(resource.kind.as_str()))
        .filter(follows::resource_id.eq(resource.id))
        .filter(users::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}

/// One thing a person follows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Followed {
    pub resource: ResourceRef,
    pub since: DateTime<Utc>,
}

/// What `user_id` follows, newest first.
pub fn following(conn: &mut PgConnection, user_id: i64) -> CoreResult<Vec<Followed>> {
    let rows: Vec<(String, i64, DateTime<Utc>)> = follows::table
        .filter(follows::user_id.eq(user_id))
        .order((follows::created_at.desc(), follows::resource_kind, follows::resource_id))
        .select((follows::resource_kind, follows::resource_id, follows::created_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, id, since)| {
            ResourceKind::parse(&kind).ok().map(|kind| Followed { resource: ResourceRef::new(kind, id), since })
        })
        .collect())
}

/// Forgets every follow by or of an account (when it is erased).
pub fn forget_user(conn: &mut PgConnection, user_id: i64) -> CoreResult<()> {
    diesel::delete(follows::table.filter(follows::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(
        follows::table
            .filter(follows::resource_kind.eq(ResourceKind::User.as_str()))
            .filter(follows::resource_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}
