//! Forgotten password: a link by email (the same answer whether or not the address
//! has an account), then a new password, which ends every other session.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use provisioning::auth::{hash_password, token_hash, Password};
use serde::Deserialize;
use tenant_core::accounts::tokens::{self, Purpose};
use tenant_core::accounts::{sessions, users};
use tenant_core::CoreError;

use super::page::{message, see_other, Page};
use super::session::{self, MaybeUser};
use super::sign_in::{ask_email, ask_email_form, link_form, EmailForm};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

#[get("/password/forgot")]
pub async fn forgot_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    ask_email_form(&req, &state, &tenant, locale, &visitor, Purpose::Reset)
}

#[post("/password/forgot")]
pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    ask_email(&req, &state, &tenant, locale, &visitor, &form, Purpose::Reset).await
}

#[get("/password/reset/{token}")]
pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    link_form(&req, &state, &tenant, locale, &visitor, &token, Purpose::Reset, "account/reset.html").await
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

#[post("/password/reset/{token}")]
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let Ok(password) = Password::parse(form.password.clone()) else {
        let theme = state.themes.get(tenant.theme.as_str());
        let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
        page.ctx.insert("token", token.as_str());
        page.ctx.insert("error", &theme.message(locale, "field_password_invalid"));
        return page.render(&state, &tenant, "account/reset.html", StatusCode::UNPROCESSABLE_ENTITY);
    };
    let (s, t, v, hash) = (state.clone(), tenant.0.clone(), visitor.clone(), token_hash(&token));
    let cookie = web::block(move || -> Result<Option<actix_web::cookie::Cookie<'static>>, AppError> {
        let phc = hash_password(&password).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let done = s.db.tenant(&t, |conn| {
            let Some(link) = tokens::consume(conn, &hash, Purpose::Reset)? else { return Ok::<_, CoreError>(None) };
            users::set_password_hash(conn, link.user_id, &phc)?;
            // Following the link proves the address.
            users::confirm_email(conn, link.user_id, &link.email)?;
            sessions::delete_others(conn, link.user_id, None)?;
            Ok(Some(link.user_id))
        })?;
        let Some(user_id) = done else { return Ok(None) };
        Ok(Some(session::open(&s, &t, user_id, "password", None, v.https)?))
    })
    .await??;
    let Some(cookie) = cookie else {
        return message(&state, &req, &tenant, locale, &visitor, "link_dead", StatusCode::GONE);
    };
    let mut res = see_other("/account?notice=password_changed");
    super::page::set_cookie(&mut res, &cookie)?;
    Ok(res)
}
