//! Follows: `POST /follows` (follow or unfollow a space, a proposal or a person the
//! visitor can see), the follow button shown on space and profile pages, and the
//! public profiles (`/profiles/{nickname}`).
pub mod follow_resource;
pub mod show_profile;

use actix_web::web;
use diesel::pg::PgConnection;
use serde::Serialize;
use tenant_core::follows;
use tenant_core::resources::ResourceRef;
use tenant_core::CoreResult;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(follow_resource::follow_resource).service(show_profile::show_profile);
}

/// What the partial `follows/button.html` draws (as `follow`).
#[derive(Clone, Debug, Serialize)]
pub struct FollowButton {
    pub kind: &'static str,
    pub id: i64,
    pub followers: i64,
    /// Whether the visitor follows it (false for anonymous visitors).
    pub following: bool,
    /// The visitor is the person shown: no button.
    pub own: bool,
}

/// The button for `resource` as `viewer` (a signed-in person's id) sees it. Blocking.
pub fn button(conn: &mut PgConnection, viewer: Option<i64>, resource: ResourceRef) -> CoreResult<FollowButton> {
    let followers = follows::count_followers(conn, resource)?;
    let following = match viewer {
        Some(me) => follows::is_following(conn, me, resource)?,
        None => false,
    };
    let own = resource.kind == tenant_core::resources::ResourceKind::User && viewer == Some(resource.id);
    Ok(FollowButton { kind: resource.kind.as_str(), id: resource.id, followers, following, own })
}
