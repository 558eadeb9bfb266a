//! `GET /blog`: the latest news.
use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use tenant_core::content::blog;
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

#[get("/blog")]
pub async fn list_posts(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    require(&tenant, ModuleName::Blog)?;
    let key = CacheKey::new(&tenant, locale, "/blog");
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
    let posts = web::block(move || db.tenant(&t, |conn| blog::latest(conn, locale, 50))).await??;
    let mut ctx = tenant_context(&state, &tenant, locale, "/blog");
    if let Some(w) = &who {
        w.apply(&mut ctx);
    }
    ctx.insert("posts", &posts);
    Ok(state.themes.get(tenant.theme.as_str()).render("blog/index.html", &mut ctx)?.into())
}
