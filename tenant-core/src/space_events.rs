//! What happens to a space that its followers are told about.
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::notifications::{self, Event, EventKind};
use crate::resources::{ResourceKind, ResourceRef};
use crate::schema::tenant::{follows, space_members, space_phases, spaces};

/// Makes `phase_id` the space's active phase and, when that changes the active phase
/// of a published space, tells its followers (not `actor`). For a private space only
/// followers who are still members are told. Returns how many were notified.
pub fn activate_phase(conn: &mut PgConnection, space_id: i64, phase_id: i64, actor: Option<i64>) -> CoreResult<usize> {
    let phase: Option<(serde_json::Value, bool)> = space_phases::table
        .filter(space_phases::id.eq(phase_id))
        .filter(space_phases::space_id.eq(space_id))
        .select((space_phases::title, space_phases::active))
        .first(conn)
        .optional()?;
    let Some((phase_title, was_active)) = phase else {
        return Err(CoreError::NotFound("no such phase in this space".into()));
    };
    crate::spaces::activate_phase(conn, space_id, phase_id)?;
    if was_active {
        return Ok(0);
    }
    type SpaceRow = (String, String, serde_json::Value, bool, Option<chrono::DateTime<chrono::Utc>>);
    let (kind, slug, title, private, published_at): SpaceRow = spaces::table
        .find(space_id)
        .select((spaces::kind, spaces::slug, spaces::title, spaces::private, spaces::published_at))
        .first(conn)?;
    if published_at.is_none() {
        return Ok(0);
    }
    let space = ResourceRef::new(ResourceKind::Space, space_id);
    let section = if kind == "assembly" { "assemblies" } else { "processes" };
    let data = serde_json::json!({ "title": title, "phase": phase_title, "url": format!("/{section}/{slug}") });
    let (to_users, to_followers_of) = if private {
        let members = space_members::table.filter(space_members::space_id.eq(space_id)).select(space_members::user_id);
        let ids: Vec<i64> = follows::table
            .filter(follows::resource_kind.eq(ResourceKind::Space.as_str()))
            .filter(follows::resource_id.eq(space_id))
            .filter(follows::user_id.eq_any(members))
            .select(follows::user_id)
            .load(conn)?;
        (ids, Vec::new())
    } else {
        (Vec::new(), vec![space])
    };
    notifications::publish(
        conn,
        &Event { kind: EventKind::PhaseChange, resource: space, actor, to_users, to_followers_of, data },
    )
}
