//! `GET /profiles/{nickname}`: a participant's public profile: nickname, since when
//! they take part, their followers and a follow button. Erased accounts are not found.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use tenant_core::profiles;
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::CoreError;

use super::button;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::MaybeUser;
use crate::state::AppState;

#[get("/profiles/{nickname}")]
pub async fn show_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    nickname: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let nickname = nickname.into_inner();
    if nickname.chars().count() > 40 {
        return Err(AppError::NotFound);
    }
    let (s, t, me) = (state.clone(), tenant.0.clone(), visitor.user.as_ref().map(|u| u.id));
    let (profile, follow) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(profile) = profiles::find_by_nickname(conn, &nickname)? else {
                return Err(CoreError::NotFound("no such person".into()));
            };
            let follow = button(conn, me, ResourceRef::new(ResourceKind::User, profile.id))?;
            Ok((profile, follow))
        })
    })
    .await??;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    let title = state
        .themes
        .get(tenant.theme.as_str())
        .message(locale, "profile_title")
        .replace("{nickname}", &profile.nickname);
    page.ctx.insert("profile_title", &title);
    page.ctx.insert("profile", &profile);
    page.ctx.insert("follow", &follow);
    page.render(&state, &tenant, "profiles/show.html", StatusCode::OK)
}
