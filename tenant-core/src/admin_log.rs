//! What a tenant's administrators did to people and content: who, when, to what, and
//! the details they gave (a block's reason). Written in the same transaction as the
//! change, so an entry exists if and only if the change does.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::CoreResult;
use crate::resources::ResourceRef;
use crate::schema::tenant::{admin_log, users};

/// Records one action by the administrator `actor_id` on `target`.
pub fn record(
    conn: &mut PgConnection,
    actor_id: i64,
    action: &str,
    target: ResourceRef,
    details: serde_json::Value,
) -> CoreResult<()> {
    diesel::insert_into(admin_log::table)
        .values((
            admin_log::actor_id.eq(actor_id),
            admin_log::action.eq(action),
            admin_log::resource_kind.eq(target.kind.as_str()),
            admin_log::resource_id.eq(target.id),
            admin_log::details.eq(details),
        ))
        .execute(conn)?;
    Ok(())
}

/// One entry as the admin pages show it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// The administrator's nickname; `None` once their account was erased.
    pub actor: Option<String>,
    pub action: String,
    pub details: serde_json::Value,
}

/// The newest entries about `target` first, at most `limit`.
pub fn about(conn: &mut PgConnection, target: ResourceRef, limit: i64) -> CoreResult<Vec<Entry>> {
    let rows: Vec<(DateTime<Utc>, Option<String>, String, serde_json::Value)> = admin_log::table
        .left_join(users::table)
        .filter(admin_log::resource_kind.eq(target.kind.as_str()))
        .filter(admin_log::resource_id.eq(target.id))
        .order((admin_log::at.desc(), admin_log::id.desc()))
        .limit(limit)
        .select((admin_log::at, users::nickname.nullable(), admin_log::action, admin_log::details))
        .load(conn)?;
    Ok(rows.into_iter().map(|(at, actor, action, details)| Entry { at, actor, action, details }).collect())
}
