//! `GET /pages/{slug}`: one page, in the visitor's language when it exists.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use tenant_core::content::pages;

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::render::{html, tenant_context};
use crate::identity::page::Who;
use crate::identity::MaybeUser;
use crate::state::AppState;

#[get("/pages/{slug}")]
pub async fn show_page(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    req: actix_web::HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    if slug.len() > 80 {
        return Err(AppError::NotFound);
    }
    let (db, t) = (state.db.clone(), tenant.0.clone());
    let order = [locale, tenant.default_locale];
    let lookup = slug.clone();
    let page = web::block(move || db.tenant(&t, |conn| pages::find_published(conn, &lookup, &order)))
        .await??
        .ok_or(AppError::NotFound)?;
    let path = format!("/pages/{slug}");
    let mut ctx = tenant_context(&state, &tenant, locale, &path);
    if let Some(w) = Who::of(&req, &visitor) {
        w.apply(&mut ctx);
    }
    ctx.insert("page", &page);
    let body = state.themes.get(tenant.theme.as_str()).render("pages/show.html", &mut ctx)?;
    Ok(html(StatusCode::OK, body))
}
