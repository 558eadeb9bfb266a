//! PaBuLib interoperability: `POST …/budgets/import` reads a `.pb` file (META,
//! PROJECTS, VOTES) into a new budget with its ballots; `GET …/{budget}/export.pb`
//! writes any budget back, and `…/ballots.csv` its ballots, anonymously (voters
//! numbered in a fresh random order), once voting is closed.
use actix_multipart::Multipart;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use budget_rules::pb::Instance;
use tenant_core::budgets::pabulib;
use tenant_core::spaces::Texts;
use tenant_core::CoreError;

use super::budgets::{render_budget, render_index};
use super::{budget_values, load_admin, Fields};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::multipart::{self, Limits};
use crate::identity::admin::TenantAdmin;
use crate::identity::page::see_other;
use crate::state::AppState;

/// The largest `.pb` file accepted (Warsaw's largest districts are a few MiB).
pub const MAX_FILE: usize = 16 * 1024 * 1024;

pub async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form =
        multipart::read(payload, Limits { max_text: 4096, max_file: MAX_FILE, max_total: MAX_FILE + 16_384 }).await;
    crate::identity::csrf::verify(&req, &visitor, form.get("csrf"))?;
    load_admin(&state, &tenant, locale, id).await?;
    let theme = state.themes.get(tenant.theme.as_str());
    let m = |key: &str| theme.message(locale, key);
    let fail = |message: String, status: StatusCode| {
        let (req, state, tenant, visitor) = (req.clone(), state.clone(), tenant.clone(), visitor.clone());
        async move {
            render_index(&req, &state, &tenant, locale, &visitor, id, budget_values(None), Some(message), status).await
        }
    };
    if form.oversize.is_some() {
        return fail(m("budgets_import_too_large"), StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let Some(file) = form.files.iter().find(|f| f.field == "file" && !f.bytes.is_empty()) else {
        return fail(m("budgets_import_missing"), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        return fail(m("budgets_import_not_text"), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let instance = match Instance::parse(text) {
        Ok(i) => i,
        Err(e) => {
            let message = match e.line {
                Some(line) => m("budgets_import_error_line").replace("{line}", &line.to_string()),
                None => m("budgets_import_error"),
            };
            return fail(format!("{message} {}", e.kind), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let mut title = Texts::new();
    for (l, k) in [(tenant_core::names::Locale::Fr, "title_fr"), (tenant_core::names::Locale::En, "title_en")] {
        let v = form.get(k).trim();
        if !v.is_empty() {
            title.insert(l, v.to_owned());
        }
    }
    let currency = match form.get("currency").trim().to_ascii_uppercase() {
        c if c.is_empty() => "EUR".to_owned(),
        c => c,
    };
    let (s, t) = (state.clone(), tenant.0.clone());
    let today = chrono::Utc::now().date_naive();
    let imported = web::block(move || {
        let key = s.identity.tenant_key(&s.db, &t)?;
        s.db.tenant(&t, |conn| pabulib::import(conn, &key, id, &instance, &title, &currency, today))
    })
    .await?;
    match imported {
        Ok(done) => Ok(see_other(&format!("/admin/components/{id}/budgets/{}?notice=admin_saved", done.budget_id))),
        Err(CoreError::Invalid(message) | CoreError::Conflict(message)) => {
            fail(format!("{} {message}", m("budgets_import_error")), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

fn download(content_type: &'static str, filename: String, body: Vec<u8>) -> HttpResponse {
    let mut res = HttpResponse::Ok().content_type(content_type).body(body);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The budget's inputs for an export, or its admin page again saying why not.
async fn inputs(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: tenant_core::names::Locale,
    visitor: &crate::identity::Visitor,
    (id, budget_id): (i64, i64),
) -> Result<Result<tenant_core::budgets::results::Inputs, HttpResponse>, AppError> {
    load_admin(state, tenant, locale, id).await?;
    let (s, t, order) = (state.clone(), tenant.0.clone(), [locale, tenant.default_locale]);
    let loaded =
        web::block(move || s.db.tenant(&t, |conn| pabulib::load_for_export(conn, id, budget_id, &order))).await?;
    match loaded {
        Ok(inputs) => Ok(Ok(inputs)),
        Err(CoreError::Conflict(_)) => {
            let m = state.themes.get(tenant.theme.as_str()).message(locale, "budgets_export_while_voting");
            let status = StatusCode::CONFLICT;
            Ok(Err(render_budget(req, state, tenant, locale, visitor, id, budget_id, None::<Fields>, Some(m), status)
                .await?))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn export_pb(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, budget_id) = path.into_inner();
    let inputs = match inputs(&req, &state, &tenant, locale, &visitor, (id, budget_id)).await? {
        Ok(i) => i,
        Err(page) => return Ok(page),
    };
    let instance = pabulib::to_instance(&inputs, &tenant.name, tenant.default_locale)?;
    let name = format!("{}-budget-{budget_id}.pb", tenant.slug);
    Ok(download("text/plain; charset=utf-8", name, instance.to_pb().into_bytes()))
}

pub async fn ballots_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, budget_id) = path.into_inner();
    let inputs = match inputs(&req, &state, &tenant, locale, &visitor, (id, budget_id)).await? {
        Ok(i) => i,
        Err(page) => return Ok(page),
    };
    let body = pabulib::ballots_csv(&inputs)?;
    Ok(download("text/csv; charset=utf-8", format!("{}-budget-{budget_id}-ballots.csv", tenant.slug), body))
}
