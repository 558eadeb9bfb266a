//! `/admin/components/{id}/budgets`: the component's budgets (and a new one), and
//! `/admin/components/{id}/budgets/{budget}`: one budget's settings, its projects with
//! their votes, the turnout, exports and deletion.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use tenant_core::budgets::{self, images, projects, BallotCounts, Budget};
use tenant_core::names::Locale;
use tenant_core::CoreError;

use super::{budget_input, budget_values, fields, load_admin, Fields};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::admin::TenantAdmin;
use crate::identity::page::{see_other, Page};
use crate::identity::Visitor;
use crate::modules::budgets::index::rule_sentences;
use crate::modules::budgets::money;
use crate::state::AppState;

#[derive(Serialize)]
struct Row {
    id: i64,
    title: String,
    amount: String,
    rules: Vec<String>,
    projects: i64,
    counts: BallotCounts,
}

/// The list of budgets, with the new-budget form (`values`) and an error.
#[allow(clippy::too_many_arguments)]
pub async fn render_index(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: i64,
    values: Fields,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = load_admin(state, tenant, locale, id).await?;
    let (s, t, order) = (state.clone(), tenant.0.clone(), [locale, tenant.default_locale]);
    let (list, counts, ballots) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let list = budgets::list(conn, id, &order)?;
            let counts = projects::counts(conn, id)?;
            let ballots = list.iter().map(|b| budgets::ballot_counts(conn, b.id)).collect::<Result<Vec<_>, _>>()?;
            Ok::<_, CoreError>((list, counts, ballots))
        })
    })
    .await??;
    let theme = state.themes.get(tenant.theme.as_str());
    let rows: Vec<Row> = list
        .iter()
        .zip(ballots)
        .map(|(b, c)| Row {
            id: b.id,
            title: b.title.clone(),
            amount: money::format(b.amount, b.money_scale, &b.currency, locale),
            rules: rule_sentences(theme, locale, b),
            projects: counts.iter().find(|(i, _)| *i == b.id).map_or(0, |(_, n)| *n),
            counts: c,
        })
        .collect();
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("admin", &ctx);
    page.ctx.insert("budgets", &rows);
    page.ctx.insert("values", &values);
    page.ctx.insert("error", &error);
    page.render(state, tenant, "budgets/admin_index.html", status)
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    render_index(&req, &state, &tenant, locale, &visitor, id.into_inner(), budget_values(None), None, StatusCode::OK)
        .await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (id, f) = (id.into_inner(), fields(form.into_inner()));
    crate::identity::csrf::verify(&req, &visitor, f.get("csrf").map_or("", String::as_str))?;
    load_admin(&state, &tenant, locale, id).await?;
    let created = match budget_input(&f, 2) {
        Ok(input) => {
            let (s, t) = (state.clone(), tenant.0.clone());
            web::block(move || s.db.tenant(&t, |conn| budgets::create(conn, id, &input))).await?
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(b) => Ok(see_other(&format!("/admin/components/{id}/budgets/{b}?notice=admin_saved"))),
        Err(CoreError::Invalid(m) | CoreError::Conflict(m)) => {
            render_index(&req, &state, &tenant, locale, &visitor, id, f, Some(m), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Serialize)]
struct ProjectRow {
    id: i64,
    pb_id: String,
    title: String,
    amount: String,
    category: String,
    votes: String,
    /// "2 images", or empty.
    images: String,
}

/// One budget's page, with its form's `values` and an error.
#[allow(clippy::too_many_arguments)]
pub async fn render_budget(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: i64,
    budget_id: i64,
    values: Option<Fields>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = load_admin(state, tenant, locale, id).await?;
    let (s, t, order) = (state.clone(), tenant.0.clone(), [locale, tenant.default_locale]);
    let found = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(b) = budgets::find(conn, id, budget_id, &order)? else { return Ok(None) };
            let list = projects::list(conn, budget_id)?;
            let pictures = images::of_budget(conn, budget_id)?;
            let tallies = projects::tallies(conn, budget_id)?;
            let counts = budgets::ballot_counts(conn, budget_id)?;
            let voting = budgets::voting_state(conn, id)?;
            Ok::<_, CoreError>(Some((b, list, pictures, tallies, counts, voting.voting_open())))
        })
    })
    .await??;
    let (budget, list, pictures, tallies, counts, voting_open): (
        Budget,
        _,
        Vec<images::ProjectImage>,
        Vec<projects::Tally>,
        _,
        bool,
    ) = found.ok_or(AppError::NotFound)?;
    let theme = state.themes.get(tenant.theme.as_str());
    let rows: Vec<ProjectRow> = list
        .iter()
        .map(|p| ProjectRow {
            id: p.id,
            pb_id: p.pb_id.clone(),
            title: p.title.clone(),
            amount: money::format(p.amount, budget.money_scale, &budget.currency, locale),
            category: p.category.clone(),
            votes: money::count(
                tallies.iter().find(|t| t.project_id == p.id).map_or(0, |t| t.votes).max(0) as u64,
                locale,
            ),
            images: match pictures.iter().filter(|i| i.project_id == p.id).count() {
                0 => String::new(),
                1 => theme.message(locale, "budgets_admin_images_one"),
                n => theme.message(locale, "budgets_admin_images_many").replace("{n}", &n.to_string()),
            },
        })
        .collect();
    let total: i64 = list.iter().map(|p| p.amount).sum();
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("admin", &ctx);
    page.ctx.insert("budget", &budget);
    page.ctx.insert("amount", &money::format(budget.amount, budget.money_scale, &budget.currency, locale));
    page.ctx.insert("projects_total", &money::format(total, budget.money_scale, &budget.currency, locale));
    page.ctx.insert("rules", &rule_sentences(theme, locale, &budget));
    page.ctx.insert("projects", &rows);
    page.ctx.insert("counts", &counts);
    page.ctx.insert("voting_open", &voting_open);
    page.ctx.insert("public_url", &format!("{}/budgets/{}", ctx.public_url, budget.id));
    page.ctx.insert("values", &values.unwrap_or_else(|| budget_values(Some(&budget))));
    page.ctx.insert("error", &error);
    page.render(state, tenant, "budgets/admin_budget.html", status)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, budget) = path.into_inner();
    render_budget(&req, &state, &tenant, locale, &visitor, id, budget, None, None, StatusCode::OK).await
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let ((id, budget_id), f) = (path.into_inner(), fields(form.into_inner()));
    crate::identity::csrf::verify(&req, &visitor, f.get("csrf").map_or("", String::as_str))?;
    load_admin(&state, &tenant, locale, id).await?;
    let (s, t, f2) = (state.clone(), tenant.0.clone(), f.clone());
    let saved = web::block(move || {
        s.db.tenant(&t, |conn| {
            let current =
                budgets::find(conn, id, budget_id, &[])?.ok_or_else(|| CoreError::NotFound("no such budget".into()))?;
            let input = budget_input(&f2, current.money_scale)?;
            budgets::update(conn, id, budget_id, &input)
        })
    })
    .await?;
    match saved {
        Ok(()) => Ok(see_other(&format!("/admin/components/{id}/budgets/{budget_id}?notice=admin_saved"))),
        Err(CoreError::Invalid(m) | CoreError::Conflict(m)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_budget(&req, &state, &tenant, locale, &visitor, id, budget_id, Some(f), Some(m), status).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let ((id, budget_id), f) = (path.into_inner(), fields(form.into_inner()));
    crate::identity::csrf::verify(&req, &visitor, f.get("csrf").map_or("", String::as_str))?;
    load_admin(&state, &tenant, locale, id).await?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let images = web::block(move || {
        s.db.tenant(&t, |conn| {
            let keys: Vec<String> = images::of_budget(conn, budget_id)?.into_iter().map(|i| i.blob_key).collect();
            budgets::delete(conn, id, budget_id)?;
            Ok(keys)
        })
    })
    .await?;
    match images {
        Ok(keys) => {
            super::projects::delete_blobs(&state, &tenant, keys).await;
            Ok(see_other(&format!("/admin/components/{id}/budgets?notice=admin_saved")))
        }
        Err(CoreError::Conflict(m)) => {
            let status = StatusCode::CONFLICT;
            render_budget(&req, &state, &tenant, locale, &visitor, id, budget_id, None, Some(m), status).await
        }
        Err(e) => Err(e.into()),
    }
}
