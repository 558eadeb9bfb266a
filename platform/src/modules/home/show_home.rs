//! `GET /`: the institution's presentation, its pages and latest news.
use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use tenant_core::content::{blog, pages};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::Tenant;

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::render::tenant_context;
use crate::identity::page::{cached_unless_personal, Who};
use crate::identity::MaybeUser;
use crate::page_cache::CacheKey;
use crate::state::AppState;

#[get("/")]
pub async fn show_home(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    let key = CacheKey::new(&tenant, locale, "/");
    let (s, t) = (state.clone(), tenant.0.clone());
    cached_unless_personal(&state, &req, &visitor, key, move |who| render(s, t, locale, who)).await
}

async fn render(
    state: web::Data<AppState>,
    tenant: Arc<Tenant>,
    locale: Locale,
    who: Option<Who>,
) -> Result<Bytes, AppError> {
    let with_blog = tenant.has_module(ModuleName::Blog);
    let (db, t) = (state.db.clone(), tenant.clone());
    let (page_list, posts) = web::block(move || {
        db.tenant(&t, |conn| {
            let page_list = pages::list_published(conn, locale)?;
            let posts = if with_blog { blog::latest(conn, locale, 3)? } else { Vec::new() };
            Ok((page_list, posts))
        })
    })
    .await??;
    let mut ctx = tenant_context(&state, &tenant, locale, "/");
    if let Some(w) = &who {
        w.apply(&mut ctx);
    }
    ctx.insert("pages", &page_list);
    ctx.insert("posts", &posts);
    ctx.insert("show_blog", &with_blog);
    Ok(state.themes.get(tenant.theme.as_str()).render("home.html", &ctx)?.into())
}
