//! `GET /pages`: every published page.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use tenant_core::content::pages;
use tenant_core::names::ModuleName;

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::render::{html, tenant_context};
use crate::modules::require;
use crate::page_cache::CacheKey;
use crate::state::AppState;

#[get("/pages")]
pub async fn list_pages(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
) -> Result<HttpResponse, AppError> {
    require(&tenant, ModuleName::Pages)?;
    let key = CacheKey::new(&tenant, locale, "/pages");
    if let Some(body) = state.cache.get(&key) {
        return Ok(html(StatusCode::OK, body));
    }
    let (db, t) = (state.db.clone(), tenant.0.clone());
    let list = web::block(move || db.tenant(&t, |conn| pages::list_published(conn, locale))).await??;
    let mut ctx = tenant_context(&state, &tenant, locale, "/pages");
    ctx.insert("pages", &list);
    let body: web::Bytes = state.themes.get(tenant.theme.as_str()).render("pages/index.html", &ctx)?.into();
    state.cache.put(key, body.clone());
    Ok(html(StatusCode::OK, body))
}
