//! `GET /blog/{id}`: one post, with its comments.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use tenant_core::comments::Order;
use tenant_core::content::blog;
use tenant_core::names::ModuleName;
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::CoreError;

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::render::{html, tenant_context};
use crate::identity::page::Who;
use crate::identity::MaybeUser;
use crate::modules::comments::section;
use crate::modules::require;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct PostQuery {
    #[serde(default)]
    order: String,
}

#[get("/blog/{id}")]
pub async fn show_post(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    req: actix_web::HttpRequest,
    id: web::Path<String>,
    query: web::Query<PostQuery>,
) -> Result<HttpResponse, AppError> {
    require(&tenant, ModuleName::Blog)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let order = Order::parse_or_default(&query.order);
    let (db, t, viewer) = (state.clone(), tenant.0.clone(), visitor.user.clone());
    let (post, comments) = web::block(move || {
        db.db.tenant(&t, |conn| {
            let Some(post) = blog::find_published(conn, id)? else { return Ok(None) };
            let resource = ResourceRef::new(ResourceKind::BlogPost, id);
            let comments = section::section(conn, &t, resource, viewer.as_ref(), order)?;
            Ok::<_, CoreError>(Some((post, comments)))
        })
    })
    .await??
    .ok_or(AppError::NotFound)?;
    let path = format!("/blog/{id}");
    let mut ctx = tenant_context(&state, &tenant, locale, &path);
    if let Some(w) = Who::of(&req, &visitor) {
        w.apply(&mut ctx);
    }
    ctx.insert("post", &post);
    section::add_to_context(&state, &tenant, &mut ctx, &comments).await?;
    let body = state.themes.get(tenant.theme.as_str()).render("blog/show.html", &mut ctx)?;
    Ok(html(StatusCode::OK, body))
}
