//! `/admin/spaces/{id}/members`: who may see a private space; added by email address
//! or nickname, removed one by one.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::names::Locale;
use tenant_core::space_edits::{self, NoSuchPerson};
use tenant_core::CoreError;

use super::admin::TenantAdmin;
use super::page::{see_other, Page};
use super::Visitor;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/spaces/{id}/members").route(web::get().to(show)).route(web::post().to(add)))
        .service(web::resource("/admin/spaces/{id}/members/{user}/remove").route(web::post().to(remove)));
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: i64,
    (who, error): (&str, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let (space, members) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(space) = space_edits::editable(conn, id)? else { return Ok(None) };
            Ok::<_, CoreError>(Some((space, space_edits::members(conn, id)?)))
        })
    })
    .await??
    .ok_or(AppError::NotFound)?;
    let title = space.title.get(locale.as_str()).or_else(|| space.title.values().next()).cloned().unwrap_or_default();
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("space", &space);
    page.ctx.insert("space_title", &title);
    page.ctx.insert("members", &members);
    page.ctx.insert("who", who);
    page.ctx.insert("error", &error);
    page.render(state, tenant, "admin/space_members.html", status)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, id.into_inner(), ("", None), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    who: String,
}

async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let id = id.into_inner();
    let who = form.who.trim().chars().take(254).collect::<String>();
    let theme = state.themes.get(tenant.theme.as_str());
    if who.is_empty() {
        let text = theme.message(locale, "admin_member_required");
        return render(
            &req,
            &state,
            &tenant,
            locale,
            &visitor,
            id,
            (&form.who, Some(text)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (s, t, lookup) = (state.clone(), tenant.0.clone(), who.clone());
    let added = web::block(move || s.db.tenant(&t, |conn| space_edits::add_member_by(conn, id, &lookup))).await??;
    match added {
        Ok(_) => Ok(see_other(&format!("/admin/spaces/{id}/members?notice=admin_saved"))),
        Err(NoSuchPerson) => {
            let text = theme.message(locale, "admin_member_unknown").replace("{who}", &who);
            render(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                id,
                (&form.who, Some(text)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, user) = path.into_inner();
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || s.db.tenant(&t, |conn| space_edits::remove_member(conn, id, user))).await??;
    Ok(see_other(&format!("/admin/spaces/{id}/members?notice=admin_saved")))
}
