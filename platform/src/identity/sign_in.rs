//! Signing in and out, confirming an address, and asking for the link again.
//!
//! A wrong password and an unknown address get the same answer after the same work
//! (a password hash is checked either way), so sign-in tells nobody which addresses
//! have accounts.
use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use provisioning::auth::{hash_password, token_hash, verify_password, NewToken, Password};
use serde::Deserialize;
use tenant_core::accounts::tokens::{self, Purpose};
use tenant_core::accounts::users;
use tenant_core::names::Locale;
use tenant_core::{CoreError, Tenant};

use super::limits;
use super::mails::{compose, Mail};
use super::page::{client_ip, local_next, message, see_other, too_many, Page};
use super::session::{self, MaybeUser, Visitor};
use super::sign_up::CONFIRM_HOURS;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub email: String,
}

#[get("/sign-in")]
pub async fn sign_in_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = local_next(query.next.as_deref());
    if visitor.user.is_some() {
        return Ok(see_other(&next));
    }
    render_form(&state, &req, &tenant, locale, &visitor, "", &next, None, StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    email: &str,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let providers = super::providers_for(state, tenant).await?;
    let theme = state.themes.get(tenant.theme.as_str());
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("email", email);
    page.ctx.insert("next", next);
    page.ctx.insert("providers", &providers);
    if let Some(key) = error {
        page.ctx.insert("error", &theme.message(locale, key));
        page.ctx.insert("error_key", key);
    }
    page.render(state, tenant, "account/sign_in.html", status)
}

/// A hash to check wrong addresses against, so both answers take as long.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        Password::parse("not-a-real-password-0000".into()).ok().and_then(|p| hash_password(&p).ok()).unwrap_or_default()
    })
}

enum Outcome {
    SignedIn(actix_web::cookie::Cookie<'static>),
    Wrong,
    Unconfirmed,
}

#[post("/sign-in")]
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let next = local_next(form.next.as_deref());
    let ip = client_ip(&req, &state);
    let limiter = &state.identity.limiter;
    let account_key = format!("sign-in-fail:{}:{}", tenant.slug, form.email.trim().to_lowercase());
    super::page::limit(&state, &tenant, locale, &format!("sign-in:{}:{ip}", tenant.slug), limits::SIGN_IN_PER_IP)
        .await?;
    limiter
        .check(&account_key, limits::SIGN_IN_FAILURES_PER_ACCOUNT)
        .await?
        .map_err(|wait| too_many(&state, &tenant, locale, wait))?;
    let (s, t, v) = (state.clone(), tenant.0.clone(), visitor.clone());
    let (email, password) = (form.email.clone(), form.password.clone());
    let outcome = web::block(move || -> Result<Outcome, AppError> {
        let user = s.db.tenant(&t, |conn| users::find_by_email(conn, &email))?;
        let password = Password::parse(password).ok();
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let matches = match (&password, &stored) {
            (Some(p), Some(h)) => verify_password(p, h).unwrap_or(false),
            (Some(p), None) => {
                let _ = verify_password(p, dummy_hash());
                false
            }
            (None, _) => false,
        };
        let Some(user) = user.filter(|_| matches) else { return Ok(Outcome::Wrong) };
        if !user.email_confirmed {
            return Ok(Outcome::Unconfirmed);
        }
        session::close(&s, &t, &v)?;
        Ok(Outcome::SignedIn(session::open(&s, &t, user.id, "password", None, v.https)?))
    })
    .await??;
    match outcome {
        Outcome::SignedIn(cookie) => {
            limiter.clear(&account_key).await?;
            let mut res = see_other(&next);
            super::page::set_cookie(&mut res, &cookie)?;
            Ok(res)
        }
        Outcome::Wrong => {
            let _ = limiter.hit(&account_key, limits::SIGN_IN_FAILURES_PER_ACCOUNT).await?;
            render_form(
                &state,
                &req,
                &tenant,
                locale,
                &visitor,
                &form.email,
                &next,
                Some("sign_in_wrong"),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        Outcome::Unconfirmed => {
            render_form(
                &state,
                &req,
                &tenant,
                locale,
                &visitor,
                &form.email,
                &next,
                Some("sign_in_unconfirmed"),
                StatusCode::FORBIDDEN,
            )
            .await
        }
    }
}

#[post("/sign-out")]
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, v) = (state.clone(), tenant.0.clone(), visitor.clone());
    let closed = web::block(move || session::close(&s, &t, &v)).await??;
    // Signed in through a provider that asks for it: sign out there too.
    let mut res = match closed {
        Some(session) if session.method != "password" => {
            super::oidc::end_session_redirect(&state, &tenant, &visitor, &session).await?
        }
        _ => see_other("/?notice=signed_out"),
    };
    super::page::remove_cookie(&mut res, &session::removal_cookie(visitor.https))?;
    Ok(res)
}

#[get("/account/confirm/{token}")]
pub async fn confirm_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    link_form(&req, &state, &tenant, locale, &visitor, &token, Purpose::Confirm, "account/confirm.html").await
}

/// Shows the form behind a one-use link (a button, so that mail scanners following
/// links do not use it up), or a clear page when the link is dead.
#[allow(clippy::too_many_arguments)]
pub async fn link_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    token: &str,
    purpose: Purpose,
    template: &str,
) -> Result<HttpResponse, AppError> {
    let (s, t, hash) = (state.clone(), tenant.0.clone(), token_hash(token));
    let live = web::block(move || s.db.tenant(&t, |conn| tokens::peek(conn, &hash, purpose))).await??;
    let Some(link) = live else {
        return message(state, req, tenant, locale, visitor, "link_dead", StatusCode::GONE);
    };
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("token", token);
    page.ctx.insert("link_email", &link.email);
    page.render(state, tenant, template, StatusCode::OK)
}

#[post("/account/confirm/{token}")]
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    token: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, v, hash) = (state.clone(), tenant.0.clone(), visitor.clone(), token_hash(&token));
    let cookie = web::block(move || -> Result<Option<actix_web::cookie::Cookie<'static>>, AppError> {
        let confirmed = s.db.tenant(&t, |conn| {
            let Some(link) = tokens::consume(conn, &hash, Purpose::Confirm)? else { return Ok::<_, CoreError>(None) };
            users::confirm_email(conn, link.user_id, &link.email)?;
            Ok(Some(link.user_id))
        })?;
        let Some(user_id) = confirmed else { return Ok(None) };
        Ok(Some(session::reopen(&s, &t, &v, user_id, "password", None)?))
    })
    .await??;
    let Some(cookie) = cookie else {
        return message(&state, &req, &tenant, locale, &visitor, "link_dead", StatusCode::GONE);
    };
    let mut res = see_other("/account?notice=email_confirmed");
    super::page::set_cookie(&mut res, &cookie)?;
    Ok(res)
}

#[get("/account/confirm-again")]
pub async fn resend_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    ask_email_form(&req, &state, &tenant, locale, &visitor, Purpose::Confirm)
}

/// The "send me a link" form (a new confirmation link, or a password reset).
pub fn ask_email_form(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    locale: Locale,
    visitor: &Visitor,
    purpose: Purpose,
) -> Result<HttpResponse, AppError> {
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("purpose", if purpose == Purpose::Reset { "reset" } else { "confirm" });
    page.render(state, tenant, "account/ask_email.html", StatusCode::OK)
}

/// Sends the link asked for with that form, within its rate limits, and answers the
/// same whether or not the address has an account.
pub async fn ask_email(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    form: &EmailForm,
    purpose: Purpose,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(req, visitor, &form.csrf)?;
    let (name, per_ip, per_account, answer) = match purpose {
        Purpose::Reset => ("reset", limits::RESET_PER_IP, limits::RESET_PER_ACCOUNT, "reset_sent"),
        _ => ("resend", limits::RESEND_PER_IP, limits::RESEND_PER_ACCOUNT, "check_email"),
    };
    let ip_key = format!("{name}:{}:{}", tenant.slug, client_ip(req, state));
    super::page::limit(state, tenant, locale, &ip_key, per_ip).await?;
    let account_key = format!("{name}:{}:{}", tenant.slug, form.email.trim().to_lowercase());
    super::page::limit(state, tenant, locale, &account_key, per_account).await?;
    let (s, t, origin, email) = (state.clone(), tenant.0.clone(), visitor.origin.clone(), form.email.clone());
    web::block(move || send_link(&s, &t, locale, &origin, &email, purpose)).await??;
    message(state, req, tenant, locale, visitor, answer, StatusCode::OK)
}

#[post("/account/confirm-again")]
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    ask_email(&req, &state, &tenant, locale, &visitor, &form, Purpose::Confirm).await
}

/// Mails a confirmation or reset link to the account with this address, if there is
/// one that needs it; says nothing either way. Blocking.
pub fn send_link(
    state: &AppState,
    tenant: &Tenant,
    locale: Locale,
    origin: &str,
    email: &str,
    purpose: Purpose,
) -> Result<(), AppError> {
    let token = NewToken::generate("cve").map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let (ttl, path) = match purpose {
        Purpose::Reset => (chrono::Duration::hours(1), "password/reset"),
        _ => (chrono::Duration::hours(CONFIRM_HOURS), "account/confirm"),
    };
    let target = state.db.tenant(tenant, |conn| {
        let Some(user) = users::find_by_email(conn, email)? else { return Ok::<_, CoreError>(None) };
        let Some(address) = user.email.clone() else { return Ok(None) };
        if purpose == Purpose::Confirm && user.email_confirmed {
            return Ok(None);
        }
        tokens::issue(conn, token.hash(), user.id, purpose, &address, ttl)?;
        Ok(Some((address, user.locale)))
    })?;
    let Some((address, user_locale)) = target else { return Ok(()) };
    let link = format!("{origin}/{path}/{}", token.secret());
    let mail = match purpose {
        Purpose::Reset => Mail::Reset { link: &link },
        _ => Mail::Confirm { link: &link },
    };
    let locale = if tenant.locales.contains(&user_locale) { user_locale } else { locale };
    let email = compose(state, tenant, locale, &address, &mail);
    if let Err(e) = state.identity.send_mail(&state.db, tenant, &email) {
        // Said to nobody: the answer must not differ for existing addresses.
        tracing::error!(error = %e, tenant = %tenant.slug, "identity mail not sent");
    }
    Ok(())
}
