//! `GET /blog/{id}`: one post.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use tenant_core::content::blog;
use tenant_core::names::ModuleName;

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::render::{html, tenant_context};
use crate::identity::page::Who;
use crate::identity::MaybeUser;
use crate::modules::require;
use crate::state::AppState;

#[get("/blog/{id}")]
pub async fn show_post(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    req: actix_web::HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    require(&tenant, ModuleName::Blog)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (db, t) = (state.db.clone(), tenant.0.clone());
    let post =
        web::block(move || db.tenant(&t, |conn| blog::find_published(conn, id))).await??.ok_or(AppError::NotFound)?;
    let path = format!("/blog/{id}");
    let mut ctx = tenant_context(&state, &tenant, locale, &path);
    if let Some(w) = Who::of(&req, &visitor) {
        w.apply(&mut ctx);
    }
    ctx.insert("post", &post);
    let body = state.themes.get(tenant.theme.as_str()).render("blog/show.html", &ctx)?;
    Ok(html(StatusCode::OK, body))
}
