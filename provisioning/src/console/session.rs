//! Console sessions and CSRF tokens.
//!
//! The session cookie is host-only, HttpOnly and SameSite=Strict. Forms of a signed-in
//! staff member carry a token derived from the session cookie (which a page on
//! another site can neither read nor guess); forms before sign-in use a random
//! cookie repeated in the form ("double submit").
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use tenant_core::names::Locale;

use super::{locale, see_other};
use crate::api::ProvisioningState;
use crate::auth::{token_hash, NewToken};
use crate::staff::sessions::{self, StaffSession, SESSION_HOURS};

pub const SESSION_COOKIE: &str = "civitas_staff";
pub const CSRF_COOKIE: &str = "civitas_console_csrf";

/// A signed-in staff member (password and TOTP code both given).
pub struct ConsoleSession {
    pub staff: StaffSession,
    pub cookie: String,
    pub locale: Locale,
}

impl ConsoleSession {
    /// The CSRF token forms of this session carry.
    pub fn csrf(&self) -> String {
        csrf_for(&self.cookie)
    }

    /// Refuses a form whose token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), SignInRequired> {
        if constant_time_eq(sent.as_bytes(), self.csrf().as_bytes()) {
            Ok(())
        } else {
            Err(SignInRequired::Forbidden)
        }
    }

    /// The context every console page starts from.
    pub fn context(&self, section: &str) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert("staff", &self.staff.email);
        ctx.insert("csrf", &self.csrf());
        ctx.insert("section", section);
        ctx
    }
}

pub fn csrf_for(cookie: &str) -> String {
    token_hash(&format!("csrf:{cookie}"))
}

pub use crate::auth::constant_time_eq;

/// Why a console page cannot be shown.
#[derive(Debug)]
pub enum SignInRequired {
    /// Not signed in (or only halfway): go to the sign-in page.
    Redirect(&'static str),
    /// A form without its session's CSRF token.
    Forbidden,
    Unavailable,
}

impl std::fmt::Display for SignInRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sign-in required")
    }
}

impl ResponseError for SignInRequired {
    fn error_response(&self) -> HttpResponse {
        match self {
            SignInRequired::Redirect(to) => see_other(to),
            SignInRequired::Forbidden => HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body("403: this form has expired or did not come from the console; reload the page and try again"),
            SignInRequired::Unavailable => HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("503: the database is unavailable; try again shortly"),
        }
    }
}

/// The session behind the request's cookie, whatever its stage.
pub async fn lookup(req: &HttpRequest) -> Result<Option<(StaffSession, String)>, SignInRequired> {
    let Some(cookie) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else { return Ok(None) };
    let Some(state) = req.app_data::<web::Data<ProvisioningState>>().cloned() else {
        return Err(SignInRequired::Unavailable);
    };
    let probe = cookie.clone();
    let found = web::block(move || sessions::session(&state.db, &probe))
        .await
        .map_err(|_| SignInRequired::Unavailable)?
        .map_err(|_| SignInRequired::Unavailable)?;
    Ok(found.map(|s| (s, cookie)))
}

impl FromRequest for ConsoleSession {
    type Error = SignInRequired;
    type Future = Pin<Box<dyn Future<Output = Result<Self, SignInRequired>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match lookup(&req).await? {
                Some((staff, cookie)) if staff.second_factor => {
                    Ok(ConsoleSession { staff, cookie, locale: locale(&req) })
                }
                Some(_) => Err(SignInRequired::Redirect("/sign-in/code")),
                None => Err(SignInRequired::Redirect("/sign-in")),
            }
        })
    }
}

/// The session cookie, set at sign-in.
pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(Duration::hours(SESSION_HOURS))
        .finish()
}

/// A fresh double-submit CSRF value and its cookie, for forms before sign-in.
pub fn new_form_csrf(secure: bool) -> (String, Cookie<'static>) {
    let value = NewToken::generate("cvf").map(|t| t.secret().to_owned()).unwrap_or_default();
    let cookie = Cookie::build(CSRF_COOKIE, value.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    (value, cookie)
}

/// Checks a pre-sign-in form's CSRF field against its cookie.
pub fn form_csrf_ok(req: &HttpRequest, sent: &str) -> bool {
    req.cookie(CSRF_COOKIE).is_some_and(|c| !sent.is_empty() && constant_time_eq(c.value().as_bytes(), sent.as_bytes()))
}
