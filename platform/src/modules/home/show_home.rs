//! `GET /`: the institution's presentation, its pages and latest news; or, once its
//! administrators arranged the page, their blocks in their order.
use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use tenant_core::content::{blog, home_blocks, pages};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::spaces::{self, SpaceKind, Viewer};
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
    let order = [locale, tenant.default_locale];
    let (page_list, posts, blocks, processes) = web::block(move || {
        db.tenant(&t, |conn| {
            let page_list = pages::list_published(conn, locale)?;
            let posts = if with_blog { blog::latest(conn, locale, 3)? } else { Vec::new() };
            let blocks = home_blocks::list_enabled(conn, &order)?;
            // The page is the same for every visitor (cached): public processes only.
            let processes = if blocks.iter().any(|b| b.kind == "processes") {
                let mut all = spaces::list_visible(conn, SpaceKind::Process, Viewer::Anonymous, &order)?;
                all.truncate(6);
                all
            } else {
                Vec::new()
            };
            Ok::<_, tenant_core::CoreError>((page_list, posts, blocks, processes))
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
    ctx.insert("has_hero", &blocks.iter().any(|b| b.kind == "hero"));
    ctx.insert("blocks", &blocks);
    ctx.insert("processes", &processes);
    Ok(state.themes.get(tenant.theme.as_str()).render("home.html", &mut ctx)?.into())
}
