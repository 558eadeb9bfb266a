//! `GET /pages`: every published page.
use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use tenant_core::content::pages;
use tenant_core::names::{Locale, ModuleName};
use tenant_core::Tenant;

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::render::tenant_context;
use crate::identity::page::{cached_unless_personal, Who};
use crate::identity::MaybeUser;
use crate::modules::require;
use crate::page_cache::CacheKey;
use crate::state::AppState;

#[get("/pages")]
pub async fn list_pages(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    require(&tenant, ModuleName::Pages)?;
    let key = CacheKey::new(&tenant, locale, "/pages");
    let (s, t) = (state.clone(), tenant.0.clone());
    cached_unless_personal(&state, &req, &visitor, key, move |who| render(s, t, locale, who)).await
}

async fn render(
    state: web::Data<AppState>,
    tenant: Arc<Tenant>,
    locale: Locale,
    who: Option<Who>,
) -> Result<Bytes, AppError> {
    let (db, t) = (state.db.clone(), tenant.clone());
    let list = web::block(move || db.tenant(&t, |conn| pages::list_published(conn, locale))).await??;
    let mut ctx = tenant_context(&state, &tenant, locale, "/pages");
    if let Some(w) = &who {
        w.apply(&mut ctx);
    }
    ctx.insert("pages", &list);
    Ok(state.themes.get(tenant.theme.as_str()).render("pages/index.html", &mut ctx)?.into())
}
