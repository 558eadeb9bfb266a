//! `GET /account/notifications`: how often one's notifications come by mail.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use tenant_core::names::Locale;
use tenant_core::notifications::{self, Frequency};

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::{SignedIn, Visitor};
use crate::state::AppState;

#[get("/account/notifications")]
pub async fn edit_settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let (s, t, me) = (state.clone(), tenant.0.clone(), user.id);
    let current = web::block(move || s.db.tenant(&t, |conn| notifications::frequency(conn, me))).await??;
    render(&req, &state, &tenant, locale, &visitor, current.as_str(), None, StatusCode::OK)
}

/// The settings form with `chosen` checked, and an error when the choice was refused.
#[allow(clippy::too_many_arguments)]
pub fn render(
    req: &HttpRequest,
    state: &AppState,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    chosen: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut page = Page::new(state, req, tenant, locale, visitor);
    let theme = state.themes.get(tenant.theme.as_str());
    let choices: Vec<(&str, String)> = Frequency::ALL
        .iter()
        .map(|f| (f.as_str(), theme.message(locale, &format!("notifications_frequency_{}", f.as_str()))))
        .collect();
    page.ctx.insert("choices", &choices);
    page.ctx.insert("chosen", chosen);
    page.ctx.insert("error", &error);
    page.render(state, tenant, "notifications/settings.html", status)
}
