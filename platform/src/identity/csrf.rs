//! CSRF protection for every state-changing form on the tenant sites.
//!
//! A signed-in visitor's forms carry a token derived from their session secret, which
//! a page on another site can neither read nor guess. Before sign-in, forms carry a
//! random value repeated in a host-only cookie ("double submit"). Either way, a POST
//! whose `Origin` names another site is refused outright.
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::HttpRequest;
use provisioning::auth::{token_hash, NewToken};

use super::session::Visitor;
use crate::http::error::AppError;

pub const COOKIE: &str = "civitas_csrf";
pub const COOKIE_TLS: &str = "__Host-civitas_csrf";

/// The token forms on this page carry, and the cookie to set when it is new.
pub struct Csrf {
    pub token: String,
    pub set_cookie: Option<Cookie<'static>>,
}

fn cookie_name(https: bool) -> &'static str {
    if https {
        COOKIE_TLS
    } else {
        COOKIE
    }
}

/// The token for the forms of this response.
pub fn token(req: &HttpRequest, visitor: &Visitor) -> Csrf {
    if let Some(secret) = &visitor.session_secret {
        return Csrf { token: token_hash(&format!("csrf:{secret}")), set_cookie: None };
    }
    if let Some(c) = req.cookie(cookie_name(visitor.https)).filter(|c| c.value().len() >= 20 && c.value().len() <= 100)
    {
        return Csrf { token: token_hash(&format!("csrf-anon:{}", c.value())), set_cookie: None };
    }
    let value = NewToken::generate("cvf").map(|t| t.secret().to_owned()).unwrap_or_default();
    let cookie = Cookie::build(cookie_name(visitor.https), value.clone())
        .path("/")
        .http_only(true)
        .secure(visitor.https)
        .same_site(SameSite::Lax)
        .finish();
    Csrf { token: token_hash(&format!("csrf-anon:{value}")), set_cookie: Some(cookie) }
}

/// Refuses a state-changing request whose form token is not this visitor's, or whose
/// `Origin` is another site.
pub fn verify(req: &HttpRequest, visitor: &Visitor, sent: &str) -> Result<(), AppError> {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let same = origin.to_str().is_ok_and(|o| o == visitor.origin);
        if !same {
            return Err(AppError::Forbidden("this form was sent from another site".into()));
        }
    }
    let expected = if let Some(secret) = &visitor.session_secret {
        token_hash(&format!("csrf:{secret}"))
    } else if let Some(c) = req.cookie(cookie_name(visitor.https)) {
        token_hash(&format!("csrf-anon:{}", c.value()))
    } else {
        return Err(AppError::Forbidden(expired()));
    };
    if !sent.is_empty() && provisioning::auth::constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::Forbidden(expired()))
    }
}

fn expired() -> String {
    "this form has expired or did not come from this site: go back, reload the page and try again".into()
}
