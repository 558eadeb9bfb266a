//! `GET /notifications`: the signed-in person's notifications, newest first, a page
//! at a time, unread ones marked.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::notifications;

use super::sentence::{item, Item};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::SignedIn;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<String>,
}

#[get("/notifications")]
pub async fn list_notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page: i64 = match query.page.as_deref() {
        None | Some("") => 1,
        Some(p) => p.parse().ok().filter(|p| (1..=100_000).contains(p)).ok_or(AppError::NotFound)?,
    };
    let (s, t, me) = (state.clone(), tenant.0.clone(), user.id);
    let (list, total) = web::block(move || s.db.tenant(&t, |conn| notifications::list(conn, me, page))).await??;
    let pages = notifications::page_count(total);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let theme = state.themes.get(tenant.theme.as_str());
    let items: Vec<Item> = list.iter().map(|n| item(theme, locale, tenant.default_locale, n)).collect();
    let mut page_ctx = Page::new(&state, &req, &tenant, locale, &visitor);
    page_ctx.ctx.insert("items", &items);
    page_ctx.ctx.insert("page", &page);
    page_ctx.ctx.insert("pages", &pages);
    page_ctx.ctx.insert(
        "page_label",
        &theme
            .message(locale, "notifications_page")
            .replace("{page}", &page.to_string())
            .replace("{pages}", &pages.to_string()),
    );
    page_ctx.render(&state, &tenant, "notifications/index.html", StatusCode::OK)
}
