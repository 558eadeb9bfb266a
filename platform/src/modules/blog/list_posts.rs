//! `GET /blog`: the latest news.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use tenant_core::content::blog;
use tenant_core::names::ModuleName;

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::render::{html, tenant_context};
use crate::modules::require;
use crate::page_cache::CacheKey;
use crate::state::AppState;

#[get("/blog")]
pub async fn list_posts(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
) -> Result<HttpResponse, AppError> {
    require(&tenant, ModuleName::Blog)?;
    let key = CacheKey::new(&tenant, locale, "/blog");
    if let Some(body) = state.cache.get(&key) {
        return Ok(html(StatusCode::OK, body));
    }
    let (db, t) = (state.db.clone(), tenant.0.clone());
    let posts = web::block(move || db.tenant(&t, |conn| blog::latest(conn, locale, 50))).await??;
    let mut ctx = tenant_context(&state, &tenant, locale, "/blog");
    ctx.insert("posts", &posts);
    let body: web::Bytes = state.themes.get(tenant.theme.as_str()).render("blog/index.html", &ctx)?.into();
    state.cache.put(key, body.clone());
    Ok(html(StatusCode::OK, body))
}
