//! `/admin/people/{id}`: one account as the tenant's administrators see it, and
//! blocking it (with a reason the person is shown) or lifting the block. A blocked
//! account still signs in and reads; every participation action is refused
//! (`verifications::gate`). Administrators cannot block themselves or another
//! administrator. Both are written to the admin log, shown on the page.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::users::{self, BlockRefused, MAX_BLOCK_REASON};
use tenant_core::accounts::verifications;
use tenant_core::admin_log;
use tenant_core::names::Locale;
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::CoreError;

use super::admin::{back_to, TenantAdmin};
use super::page::{see_other, Page};
use super::Visitor;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/people/{id}").route(web::get().to(show)))
        .service(web::resource("/admin/people/{id}/block").route(web::post().to(block)))
        .service(web::resource("/admin/people/{id}/unblock").route(web::post().to(unblock)));
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: i64,
    error: Option<String>,
    reason: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let (person, verified, blocked, log) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(person) = users::find(conn, id)? else { return Ok(None) };
            let verified = verifications::list_for(conn, id)?;
            let blocked = users::blocked(conn, id)?;
            let log = admin_log::about(conn, ResourceRef::new(ResourceKind::User, id), 50)?;
            Ok::<_, CoreError>(Some((person, verified, blocked, log)))
        })
    })
    .await??
    .ok_or(AppError::NotFound)?;
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert(
        "person",
        &serde_json::json!({
            "id": person.id,
            "nickname": person.nickname,
            "email": person.email,
            "email_confirmed": person.email_confirmed,
            "role": person.role.as_str(),
            "created_at": person.created_at,
            "last_sign_in_at": person.last_sign_in_at,
        }),
    );
    let kinds: Vec<&str> = verified.iter().map(|v| v.kind.as_str()).collect();
    page.ctx.insert("verifications", &kinds);
    page.ctx.insert("blocked", &blocked);
    page.ctx.insert("log", &log);
    page.ctx.insert("error", &error);
    page.ctx.insert("reason", reason);
    page.ctx.insert("max_reason", &MAX_BLOCK_REASON);
    page.render(state, tenant, "admin/person.html", status)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, id.into_inner(), None, "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct BlockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    next: String,
}

async fn block(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, admin): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<BlockForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let id = id.into_inner();
    let theme = state.themes.get(tenant.theme.as_str());
    let reason = form.reason.trim().to_owned();
    let refuse = |key: &str, status| {
        let text = theme.message(locale, key).replace("{max}", &MAX_BLOCK_REASON.to_string());
        render(&req, &state, &tenant, locale, &visitor, id, Some(text), &form.reason, status)
    };
    if reason.is_empty() {
        return refuse("admin_block_reason_required", StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if reason.chars().count() > MAX_BLOCK_REASON {
        return refuse("admin_block_reason_too_long", StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (s, t, by) = (state.clone(), tenant.0.clone(), admin.id);
    let done = web::block(move || s.db.tenant(&t, |conn| users::block(conn, by, id, &reason))).await??;
    match done {
        Ok(()) => Ok(see_other(&back_to(&form.next))),
        Err(BlockRefused::Yourself) => refuse("admin_block_yourself", StatusCode::CONFLICT).await,
        Err(BlockRefused::Admin) => refuse("admin_block_admin", StatusCode::CONFLICT).await,
    }
}

#[derive(Deserialize)]
pub struct UnblockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn unblock(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, admin): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<UnblockForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, by, id) = (state.clone(), tenant.0.clone(), admin.id, id.into_inner());
    web::block(move || s.db.tenant(&t, |conn| users::unblock(conn, by, id))).await??;
    Ok(see_other(&back_to(&form.next)))
}
