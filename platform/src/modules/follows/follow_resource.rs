//! `POST /follows`: follow or unfollow a resource, then back to `next`.
//!
//! Following needs the resource to exist and be visible to the visitor (a private
//! space one is not a member of is not found, and nothing is stored) and an account
//! that is not blocked; unfollowing always works, so a person can leave what they
//! can no longer see.
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::verifications::{self, Gate, Requirement};
use tenant_core::mentions::path_segment;
use tenant_core::notifications::{self, Event, EventKind};
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::spaces::{self, Viewer};
use tenant_core::{follows, profiles, CoreError};

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::{local_next, see_other};
use crate::identity::{csrf, SignedIn};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resource_kind: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    action: String,
    next: Option<String>,
}

#[post("/follows")]
pub async fn follow_resource(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let kind = ResourceKind::parse(&form.resource_kind).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let id: i64 = form.resource_id.trim().parse().map_err(|_| AppError::BadRequest("resource_id: a number".into()))?;
    let follow = match form.action.as_str() {
        "follow" => true,
        "unfollow" => false,
        _ => return Err(AppError::BadRequest("action: follow or unfollow".into())),
    };
    let resource = ResourceRef::new(kind, id);
    let me = user.id;
    let viewer = if user.is_admin { Viewer::Admin } else { Viewer::Participant(me) };
    let self_follow = state.themes.get(tenant.theme.as_str()).message(locale, "follows_self");
    let blocked = state.themes.get(tenant.theme.as_str()).message(locale, "gate_blocked");
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || {
        s.db.tenant(&t, |conn| {
            if !follow {
                follows::unfollow(conn, me, resource)?;
                return Ok(());
            }
            // A blocked account takes no part, and following a person notifies them.
            if verifications::gate(conn, Some(me), Requirement::Nobody)? == Gate::Blocked {
                return Err(CoreError::Forbidden(blocked));
            }
            match kind {
                ResourceKind::Space => {
                    if !spaces::visible_by_id(conn, id, viewer)? {
                        return Err(CoreError::NotFound("no such space".into()));
                    }
                    follows::follow(conn, me, resource)?;
                }
                ResourceKind::User => {
                    if profiles::nickname_of(conn, id)?.is_none() {
                        return Err(CoreError::NotFound("no such person".into()));
                    }
                    if id == me {
                        return Err(CoreError::Invalid(self_follow));
                    }
                    if follows::follow(conn, me, resource)? {
                        // Told once per new follow, in the same transaction.
                        notifications::publish(
                            conn,
                            &Event {
                                kind: EventKind::Follow,
                                resource,
                                actor: Some(me),
                                to_users: vec![id],
                                to_followers_of: Vec::new(),
                                data: serde_json::json!({ "url": format!("/profiles/{}", path_segment(&user.nickname)) }),
                            },
                        )?;
                    }
                }
                ResourceKind::Proposal => {
                    if crate::modules::proposals::locate(conn, id, viewer, &[tenant_core::names::Locale::Fr])?.is_none() {
                        return Err(CoreError::NotFound("no such proposal".into()));
                    }
                    follows::follow(conn, me, resource)?;
                }
                ResourceKind::Petition => {
                    let visible = tenant_core::petitions::find(conn, id)?
                        .is_some_and(|p| p.state().is_public() && (!p.hidden || matches!(viewer, Viewer::Admin)));
                    if !visible {
                        return Err(CoreError::NotFound("no such petition".into()));
                    }
                    follows::follow(conn, me, resource)?;
                }
                ResourceKind::Comment | ResourceKind::BlogPost => {
                    return Err(CoreError::NotFound("this cannot be followed".into()))
                }
            }
            Ok(())
        })
    })
    .await??;
    Ok(see_other(&local_next(form.next.as_deref())))
}
