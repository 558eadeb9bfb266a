//! `GET|POST /admin/components/{id}/proposals/{p}`: one proposal for the admins,
//! to answer it (evaluating, accepted, rejected, with a text), hide or show it,
//! and split it into several.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::names::Locale;
use tenant_core::proposals::{self, write};
use tenant_core::CoreError;

use super::load_admin;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::admin::TenantAdmin;
use crate::identity::page::{see_other, Page};
use crate::identity::Visitor;
use crate::state::AppState;

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    (id, pid): (i64, i64),
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = load_admin(state, tenant, locale, id).await?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let (p, links) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = proposals::find(conn, id, pid)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            Ok((p, proposals::links(conn, pid)?))
        })
    })
    .await??;
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("place", &ctx);
    // The answer as it was typed (plain paragraphs as text), not its stored HTML.
    let answer_text = p.answer.as_deref().map(crate::modules::comments::editable_text).unwrap_or_default();
    page.ctx.insert("answer_text", &answer_text);
    page.ctx.insert("proposal", &p);
    page.ctx.insert("links", &links);
    page.ctx.insert("answer_states", &write::ANSWER_STATES);
    page.ctx.insert("error", &error);
    page.render(state, tenant, "admin/proposal.html", status)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, path.into_inner(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    answer: String,
}

pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, pid) = path.into_inner();
    let ctx = load_admin(&state, &tenant, locale, id).await?;
    let url = format!("{}/{pid}", ctx.public_url);
    let (s, t, st, text) = (state.clone(), tenant.0.clone(), form.state.clone(), form.answer.clone());
    let r = web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = proposals::find(conn, id, pid)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            let before = write::answer(conn, pid, &st, &text)?;
            if before.as_deref() != Some(st.as_str()) {
                crate::modules::proposals::events::answered(conn, &url, pid, &p.title, p.author_id, &st)?;
            }
            Ok(())
        })
    })
    .await?;
    match r {
        Ok(_) => Ok(see_other(&format!("/admin/components/{id}/proposals/{pid}?notice=admin_saved"))),
        Err(CoreError::Invalid(m)) => {
            render(&req, &state, &tenant, locale, &visitor, (id, pid), Some(m), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct VisibilityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    hidden: String,
}

pub async fn visibility(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<VisibilityForm>,
) -> Result<HttpResponse, AppError> {
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, pid) = path.into_inner();
    load_admin(&state, &tenant, locale, id).await?;
    let hidden = form.hidden == "1";
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || {
        s.db.tenant(&t, |conn| {
            proposals::find(conn, id, pid)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            write::set_hidden(conn, pid, hidden)
        })
    })
    .await??;
    Ok(see_other(&format!("/admin/components/{id}/proposals/{pid}?notice=admin_saved")))
}

#[derive(Deserialize)]
pub struct SplitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    titles: String,
}

pub async fn split(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<SplitForm>,
) -> Result<HttpResponse, AppError> {
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, pid) = path.into_inner();
    load_admin(&state, &tenant, locale, id).await?;
    let titles: Vec<String> = form.titles.lines().map(str::to_owned).collect();
    let (s, t, lang) = (state.clone(), tenant.0.clone(), tenant.default_locale);
    let r = web::block(move || s.db.tenant(&t, |conn| write::split(conn, id, pid, &titles, lang))).await?;
    match r {
        Ok(_) => Ok(see_other(&format!("/admin/components/{id}/proposals/{pid}?notice=admin_saved"))),
        Err(CoreError::Invalid(m) | CoreError::Conflict(m)) => {
            render(&req, &state, &tenant, locale, &visitor, (id, pid), Some(m), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
