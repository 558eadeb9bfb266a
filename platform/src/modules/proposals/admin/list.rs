//! `GET /admin/components/{id}/proposals`: every proposal (hidden, withdrawn,
//! merged included), searchable, with a merge form; `POST …/merge`.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::names::Locale;
use tenant_core::proposals::{self, write, Filter, PAGE_SIZE};
use tenant_core::CoreError;

use super::load_admin;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::admin::TenantAdmin;
use crate::identity::page::{see_other, Page};
use crate::identity::Visitor;
use crate::state::AppState;

#[derive(Deserialize, Default, serde::Serialize)]
pub struct Query {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: i64,
    q: &Query,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = load_admin(state, tenant, locale, id).await?;
    let state_filter = if proposals::STATES.contains(&q.state.as_str()) { q.state.clone() } else { "all".into() };
    let page_n = q.page.parse::<i64>().unwrap_or(0).clamp(0, 10_000);
    let filter = Filter {
        state: state_filter.clone(),
        search: q.q.chars().take(200).collect(),
        order: "recent".into(),
        page: page_n,
        include_hidden: true,
        ..Filter::default()
    };
    let (s, t, lang) = (state.clone(), tenant.0.clone(), tenant.default_locale);
    let (cards, total) = web::block(move || s.db.tenant(&t, |conn| proposals::list(conn, id, &filter, lang))).await??;
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("place", &ctx);
    page.ctx.insert("proposals", &cards);
    page.ctx.insert("total", &total);
    page.ctx.insert("query", q);
    page.ctx.insert("state", &state_filter);
    page.ctx.insert("states", &proposals::STATES);
    page.ctx.insert("current_page", &page_n);
    page.ctx.insert("pages", &((total + PAGE_SIZE - 1) / PAGE_SIZE));
    page.ctx.insert("error", &error);
    page.render(state, tenant, "admin/proposals.html", status)
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    q: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, id.into_inner(), &q, None, StatusCode::OK).await
}

pub async fn merge(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let get = |k: &str| form.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    crate::identity::csrf::verify(&req, &visitor, &get("csrf"))?;
    let id = id.into_inner();
    load_admin(&state, &tenant, locale, id).await?;
    let ids: Vec<i64> = form.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse().ok()).collect();
    let title = get("title");
    let (s, t, lang) = (state.clone(), tenant.0.clone(), tenant.default_locale);
    let r = web::block(move || s.db.tenant(&t, |conn| write::merge(conn, id, &ids, &title, lang))).await?;
    match r {
        Ok(new) => Ok(see_other(&format!("/admin/components/{id}/proposals/{new}?notice=admin_saved"))),
        Err(CoreError::Invalid(m) | CoreError::Conflict(m) | CoreError::NotFound(m)) => {
            let q = Query::default();
            render(&req, &state, &tenant, locale, &visitor, id, &q, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
