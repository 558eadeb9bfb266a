//! `GET /locale/{code}?next=/path`: remembers the visitor's language in a host-only
//! cookie and goes back. A link, so it works without JavaScript.
use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use tenant_core::names::Locale;

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::http::locale::COOKIE;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

#[get("/locale/{code}")]
pub async fn switch_locale(
    tenant: CurrentTenant,
    code: web::Path<String>,
    query: web::Query<Next>,
) -> Result<HttpResponse, AppError> {
    let locale = Locale::parse(&code).map_err(|_| AppError::NotFound)?;
    if !tenant.locales.contains(&locale) {
        return Err(AppError::NotFound);
    }
    let next = query.next.as_deref().filter(|n| is_local_path(n)).unwrap_or("/");
    let cookie = Cookie::build(COOKIE, locale.as_str())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(365))
        .finish();
    Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((header::LOCATION, next.to_owned())).finish())
}

/// A path on this host only: no scheme, no `//host`, no backslash tricks.
fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && !p.chars().any(char::is_control)
        && p.len() <= 2000
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        assert!(super::is_local_path("/pages/accessibilite"));
        for bad in ["//evil.example", "https://evil.example", "/\\evil.example", "evil", "/\r\nSet-Cookie: x"] {
            assert!(!super::is_local_path(bad), "{bad:?}");
        }
    }
}
