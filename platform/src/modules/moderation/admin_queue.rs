//! `GET /admin/moderation?filter=pending|hidden|all&page=N`: what participants
//! reported and what is hidden, for the tenant's administrators.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::moderation::{self, QueueFilter, DEFAULT_HIDE_THRESHOLD};

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::admin::TenantAdmin;
use crate::identity::page::Page;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    filter: String,
    #[serde(default)]
    page: u32,
}

#[get("/admin/moderation")]
pub async fn admin_queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = QueueFilter::parse_or_default(&query.filter);
    let page_no = i64::from(query.page.min(100_000));
    let (s, t) = (state.clone(), tenant.0.clone());
    let queue = web::block(move || s.db.tenant(&t, |conn| moderation::queue(conn, filter, page_no))).await??;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("queue", &queue);
    page.ctx.insert("filter", filter.as_str());
    page.ctx.insert("filters", &["pending", "hidden", "all"]);
    page.ctx.insert("threshold", &DEFAULT_HIDE_THRESHOLD.to_string());
    page.render(&state, &tenant, "admin/moderation.html", StatusCode::OK)
}
