//! `GET /admin/components/{id}/proposals/export.{csv|json}` and `POST …/import`
//! (a CSV or JSON file, all or nothing).
use actix_multipart::Multipart;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use tenant_core::proposals::exchange;
use tenant_core::CoreError;

use super::list::{render, Query};
use super::load_admin;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::multipart::{self, Limits};
use crate::identity::admin::TenantAdmin;
use crate::identity::page::see_other;
use crate::state::AppState;

pub async fn export(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(_, _): TenantAdmin,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, format) = path.into_inner();
    if format != "csv" && format != "json" {
        return Err(AppError::NotFound);
    }
    let ctx = load_admin(&state, &tenant, locale, id).await?;
    let (s, t, cats) = (state.clone(), tenant.0.clone(), ctx.categories.clone());
    let rows = web::block(move || s.db.tenant(&t, |conn| exchange::export(conn, id, &cats))).await??;
    let (body, content_type) = if format == "csv" {
        (exchange::to_csv(&rows)?, "text/csv; charset=utf-8")
    } else {
        (serde_json::to_vec_pretty(&rows).map_err(|e| AppError::Internal(e.into()))?, "application/json")
    };
    let mut res = HttpResponse::Ok().content_type(content_type).body(body);
    let name = format!("attachment; filename=\"proposals-{}-{id}.{format}\"", tenant.slug);
    if let Ok(v) = HeaderValue::from_str(&name) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

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
    let form = multipart::read(
        payload,
        Limits { max_text: 4096, max_file: 8 * 1024 * 1024, max_total: 8 * 1024 * 1024 + 8192 },
    )
    .await;
    crate::identity::csrf::verify(&req, &visitor, form.get("csrf"))?;
    let ctx = load_admin(&state, &tenant, locale, id).await?;
    let fail = |m: String, status: StatusCode| {
        let (req, state, tenant, visitor) = (req.clone(), state.clone(), tenant.clone(), visitor.clone());
        async move { render(&req, &state, &tenant, locale, &visitor, id, &Query::default(), Some(m), status).await }
    };
    if form.oversize.is_some() {
        return fail("file: at most 8 MiB".into(), StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let Some(file) = form.files.into_iter().find(|f| f.field == "file" && !f.bytes.is_empty()) else {
        return fail("file: choose a CSV or JSON file".into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let looks_json = file.filename.to_ascii_lowercase().ends_with(".json")
        || file.bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'[');
    let rows = if looks_json { exchange::parse_json(&file.bytes) } else { exchange::parse_csv(&file.bytes) };
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let (s, t, lang) = (state.clone(), tenant.0.clone(), tenant.default_locale);
    let (cats, settings) = (ctx.categories.clone(), ctx.settings.clone());
    let r =
        web::block(move || s.db.tenant(&t, |conn| exchange::import(conn, id, &rows, &cats, &settings, lang))).await?;
    match r {
        Ok(_) => Ok(see_other(&format!("/admin/components/{id}/proposals?notice=admin_saved"))),
        Err(CoreError::Invalid(m)) => fail(m, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(e.into()),
    }
}
