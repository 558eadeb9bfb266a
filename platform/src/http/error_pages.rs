//! Turns error responses into pages a person can read, in their language and, on a
//! tenant's host, in that tenant's branding.
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use tenant_core::names::Locale;
use tenant_core::Tenant;

use super::error::ErrorPage;
use super::locale::{from_accept_language, negotiate};
use super::render::{html, neutral_context, tenant_context};
use crate::state::AppState;

pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(marker) = res.response().extensions().get::<ErrorPage>().cloned() else {
        return Ok(res.map_into_boxed_body());
    };
    let (req, res) = res.into_parts();
    let status = res.status();
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Ok(ServiceResponse::new(req, res.map_into_boxed_body()));
    };
    let tenant = req.extensions().get::<Arc<Tenant>>().cloned();
    let mut page = render_error(state, &req, tenant.as_deref(), status, &marker.detail);
    // A rate limit's own wait wins over the page's default.
    if let Some(wait) = res.headers().get(header::RETRY_AFTER) {
        page.headers_mut().insert(header::RETRY_AFTER, wait.clone());
    }
    Ok(ServiceResponse::new(req, page))
}

/// The language for a page outside any tenant: the browser's choice, else French.
pub fn neutral_locale(req: &HttpRequest) -> Locale {
    from_accept_language(req, &Locale::ALL).unwrap_or(Locale::Fr)
}

/// An error page; on a tenant host, in its branding.
pub fn render_error(
    state: &AppState,
    req: &HttpRequest,
    tenant: Option<&Tenant>,
    status: StatusCode,
    detail: &str,
) -> HttpResponse {
    let (theme, mut ctx, locale) = match tenant {
        Some(t) => {
            let locale = negotiate(req, t);
            (state.themes.get(t.theme.as_str()), tenant_context(state, t, locale, req.path()), locale)
        }
        None => {
            let locale = neutral_locale(req);
            (state.themes.default_theme(), neutral_context(locale), locale)
        }
    };
    let code = status.as_u16();
    let known = matches!(code, 400 | 403 | 404 | 409 | 413 | 429 | 503);
    let key = if known {
        code.to_string()
    } else if code >= 500 {
        "500".into()
    } else {
        "400".into()
    };
    ctx.insert("status", &code);
    ctx.insert("title", &theme.message(locale, &format!("error_{key}_title")));
    ctx.insert("message", &theme.message(locale, &format!("error_{key}_text")));
    ctx.insert("detail", detail);
    let template = if tenant.is_some() { "errors/error.html" } else { "errors/neutral.html" };
    let mut res = match theme.render(template, &mut ctx) {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), template, "error page failed to render");
            HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(status.to_string())
        }
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    }
    res
}
