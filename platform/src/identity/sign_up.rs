//! `GET|POST /sign-up`: a nickname, an email, a password, the terms; then a link
//! to confirm the address. The answer is the same whether or not the address
//! already has an account (its owner gets a message saying so instead).
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use provisioning::auth::{hash_password, NewToken, Password};
use serde::Deserialize;
use tenant_core::accounts::tokens::{self, Purpose};
use tenant_core::accounts::users::{self, NewUser, Taken, UserRole};
use tenant_core::names::Locale;
use tenant_core::{CoreError, Tenant};

use super::limits;
use super::mails::{compose, Mail};
use super::page::{client_ip, message, see_other, Page};
use super::session::MaybeUser;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

pub const CONFIRM_HOURS: i64 = 48;

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    terms: Option<String>,
}

#[get("/sign-up")]
pub async fn sign_up_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    if visitor.user.is_some() {
        return Ok(see_other("/account"));
    }
    let providers = super::providers_for(&state, &tenant).await?;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("providers", &providers);
    page.render(&state, &tenant, "account/sign_up.html", StatusCode::OK)
}

#[post("/sign-up")]
pub async fn sign_up(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    form: web::Form<SignUpForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let theme = state.themes.get(tenant.theme.as_str());
    let mut errors: HashMap<&str, String> = HashMap::new();
    let nickname = users::check_nickname(&form.nickname)
        .map_err(|_| errors.insert("nickname", theme.message(locale, "field_nickname_invalid")));
    let email = users::check_email(&form.email)
        .map_err(|_| errors.insert("email", theme.message(locale, "field_email_invalid")));
    let password = Password::parse(form.password.clone())
        .map_err(|_| errors.insert("password", theme.message(locale, "field_password_invalid")));
    if form.terms.is_none() {
        errors.insert("terms", theme.message(locale, "field_terms_required"));
    }
    let (Ok(nickname), Ok(email), Ok(password), true) = (nickname, email, password, errors.is_empty()) else {
        return redisplay(&state, &req, &tenant, locale, &visitor, &form, errors);
    };
    super::page::limit(
        &state,
        &tenant,
        locale,
        &format!("sign-up:{}:{}", tenant.slug, client_ip(&req, &state)),
        limits::SIGN_UP_PER_IP,
    )
    .await?;
    let (s, t, origin) = (state.clone(), tenant.0.clone(), visitor.origin.clone());
    let outcome = web::block(move || register(&s, &t, locale, &origin, &nickname, &email, &password)).await??;
    match outcome {
        Registered::NicknameTaken => {
            errors.insert("nickname", theme.message(locale, "field_nickname_taken"));
            redisplay(&state, &req, &tenant, locale, &visitor, &form, errors)
        }
        Registered::MailFailed => {
            message(&state, &req, &tenant, locale, &visitor, "mail_failed", StatusCode::SERVICE_UNAVAILABLE)
        }
        Registered::Done => Ok(see_other("/sign-up/check-email")),
        Registered::Full => message(&state, &req, &tenant, locale, &visitor, "users_limit", StatusCode::CONFLICT),
    }
}

#[get("/sign-up/check-email")]
pub async fn check_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    message(&state, &req, &tenant, locale, &visitor, "check_email", StatusCode::OK)
}

enum Registered {
    Done,
    NicknameTaken,
    MailFailed,
    Full,
}

/// Creates the account and mails the confirmation link; for an address already
/// taken, mails its owner instead. Blocking.
fn register(
    state: &AppState,
    tenant: &Tenant,
    locale: Locale,
    origin: &str,
    nickname: &str,
    email: &str,
    password: &Password,
) -> Result<Registered, AppError> {
    let hash = hash_password(password).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let token = NewToken::generate("cve").map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let created = state.db.tenant(tenant, |conn| {
        let new = NewUser {
            nickname,
            email: Some(email),
            password_hash: Some(&hash),
            locale,
            email_confirmed: false,
            role: UserRole::Participant,
        };
        if tenant.max_users.is_some_and(|max| users::count_live(conn).is_ok_and(|n| n >= i64::from(max))) {
            return Ok(Err(None));
        }
        match users::create(conn, &new)? {
            Ok(id) => {
                tokens::issue(conn, token.hash(), id, Purpose::Confirm, email, chrono::Duration::hours(CONFIRM_HOURS))?;
                Ok::<_, CoreError>(Ok(()))
            }
            Err(taken) => Ok(Err(Some(taken))),
        }
    })?;
    let mail = match created {
        Ok(()) => compose(
            state,
            tenant,
            locale,
            email,
            &Mail::Confirm { link: &format!("{origin}/account/confirm/{}", token.secret()) },
        ),
        Err(None) => return Ok(Registered::Full),
        Err(Some(Taken::Nickname)) => return Ok(Registered::NicknameTaken),
        Err(Some(Taken::Email)) => compose(
            state,
            tenant,
            locale,
            email,
            &Mail::AlreadyRegistered {
                sign_in: &format!("{origin}/sign-in"),
                reset: &format!("{origin}/password/forgot"),
            },
        ),
    };
    match state.identity.send_mail(&state.db, tenant, &mail) {
        Ok(()) => Ok(Registered::Done),
        Err(e) => {
            tracing::error!(error = %e, tenant = %tenant.slug, "sign-up mail not sent");
            Ok(Registered::MailFailed)
        }
    }
}

fn redisplay(
    state: &AppState,
    req: &HttpRequest,
    tenant: &Tenant,
    locale: Locale,
    visitor: &super::Visitor,
    form: &SignUpForm,
    errors: HashMap<&str, String>,
) -> Result<HttpResponse, AppError> {
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("errors", &errors);
    page.ctx.insert(
        "values",
        &serde_json::json!({ "nickname": form.nickname, "email": form.email, "terms": form.terms.is_some() }),
    );
    page.render(state, tenant, "account/sign_up.html", StatusCode::UNPROCESSABLE_ENTITY)
}
