//! Account setup, sign-in (password, then TOTP code) and sign-out.
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::session::{self, form_csrf_ok, lookup, new_form_csrf, session_cookie, ConsoleSession, SESSION_COOKIE};
use super::{locale, see_other};
use crate::api::ProvisioningState;
use crate::auth::{Password, TotpSecret};
use crate::staff::sessions;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/setup/{token}", web::get().to(show_setup))
        .route("/setup/{token}", web::post().to(complete_setup))
        .route("/sign-in", web::get().to(show_sign_in))
        .route("/sign-in", web::post().to(sign_in))
        .route("/sign-in/code", web::get().to(show_code))
        .route("/sign-in/code", web::post().to(check_code))
        .route("/sign-out", web::post().to(sign_out));
}

fn setup_page(
    state: &ProvisioningState,
    req: &HttpRequest,
    email: &str,
    secret: &TotpSecret,
    error: Option<String>,
) -> HttpResponse {
    let (csrf, cookie) = new_form_csrf(state.secure_cookies);
    let mut ctx = tera::Context::new();
    ctx.insert("email", email);
    ctx.insert("secret", &secret.to_base32());
    let uri = secret.provisioning_uri("Civitas", email);
    ctx.insert("qr", &super::qr_svg(&uri));
    ctx.insert("uri", &uri);
    let base32 = secret.to_base32();
    let grouped: Vec<String> = base32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    ctx.insert("secret_grouped", &grouped.join(" "));
    ctx.insert("csrf", &csrf);
    ctx.insert("error", &error);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut res = state.views.page(status, "setup.html", locale(req), ctx);
    let _ = res.add_cookie(&cookie);
    res
}

async fn show_setup(state: web::Data<ProvisioningState>, req: HttpRequest, token: web::Path<String>) -> HttpResponse {
    let db = state.db.clone();
    let token = token.into_inner();
    match web::block(move || sessions::setup_account(&db, &token)).await {
        Ok(Ok(Some(email))) => match TotpSecret::generate() {
            Ok(secret) => setup_page(&state, &req, &email, &secret, None),
            Err(_) => HttpResponse::InternalServerError().finish(),
        },
        Ok(Ok(None)) => state.views.not_found(locale(&req)),
        _ => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[derive(Deserialize)]
struct SetupForm {
    csrf: String,
    secret: String,
    password: String,
    password2: String,
    code: String,
}

async fn complete_setup(
    state: web::Data<ProvisioningState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<SetupForm>,
) -> HttpResponse {
    let loc = locale(&req);
    let token = token.into_inner();
    let form = form.into_inner();
    let db = state.db.clone();
    let probe = token.clone();
    let Ok(Ok(Some(email))) = web::block(move || sessions::setup_account(&db, &probe)).await else {
        return state.views.not_found(loc);
    };
    let Ok(secret) = TotpSecret::from_base32(&form.secret) else { return state.views.not_found(loc) };
    if !form_csrf_ok(&req, &form.csrf) {
        return setup_page(&state, &req, &email, &secret, Some(state.views.message(loc, "form_expired")));
    }
    if form.password != form.password2 {
        return setup_page(&state, &req, &email, &secret, Some(state.views.message(loc, "passwords_differ")));
    }
    let password = match Password::parse(form.password) {
        Ok(p) => p,
        Err(e) => return setup_page(&state, &req, &email, &secret, Some(e.to_string())),
    };
    let (db, keyring, code, kept) = (state.db.clone(), state.keyring.clone(), form.code, secret.clone());
    match web::block(move || sessions::complete_setup(&db, &keyring, &token, &password, &kept, &code)).await {
        Ok(Ok(())) => see_other("/sign-in"),
        Ok(Err(tenant_core::CoreError::Invalid(_))) => {
            setup_page(&state, &req, &email, &secret, Some(state.views.message(loc, "bad_code")))
        }
        Ok(Err(tenant_core::CoreError::NotFound(_))) => state.views.not_found(loc),
        _ => HttpResponse::ServiceUnavailable().finish(),
    }
}

fn sign_in_page(state: &ProvisioningState, req: &HttpRequest, email: &str, error: Option<String>) -> HttpResponse {
    let (csrf, cookie) = new_form_csrf(state.secure_cookies);
    let mut ctx = tera::Context::new();
    ctx.insert("email", email);
    ctx.insert("csrf", &csrf);
    ctx.insert("error", &error);
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    let mut res = state.views.page(status, "sign_in.html", locale(req), ctx);
    let _ = res.add_cookie(&cookie);
    res
}

async fn show_sign_in(state: web::Data<ProvisioningState>, req: HttpRequest) -> HttpResponse {
    sign_in_page(&state, &req, "", None)
}

#[derive(Deserialize)]
struct SignInForm {
    csrf: String,
    email: String,
    password: String,
}

async fn sign_in(state: web::Data<ProvisioningState>, req: HttpRequest, form: web::Form<SignInForm>) -> HttpResponse {
    let loc = locale(&req);
    let form = form.into_inner();
    if !form_csrf_ok(&req, &form.csrf) {
        return sign_in_page(&state, &req, &form.email, Some(state.views.message(loc, "form_expired")));
    }
    if !state.sign_in_limiter.allow(&req, &form.email) {
        let mut res = sign_in_page(&state, &req, &form.email, Some(state.views.message(loc, "too_many_attempts")));
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return res;
    }
    let (db, email, password) = (state.db.clone(), form.email.clone(), form.password);
    match web::block(move || sessions::sign_in(&db, &email, &password)).await {
        Ok(Ok(Some(cookie))) => {
            state.sign_in_limiter.succeeded(&req, &form.email);
            let mut res = see_other("/sign-in/code");
            let _ = res.add_cookie(&session_cookie(cookie, state.secure_cookies));
            res
        }
        Ok(Ok(None)) => {
            state.sign_in_limiter.failed(&req, &form.email);
            sign_in_page(&state, &req, &form.email, Some(state.views.message(loc, "bad_credentials")))
        }
        _ => HttpResponse::ServiceUnavailable().finish(),
    }
}

fn code_page(state: &ProvisioningState, req: &HttpRequest, cookie: &str, error: Option<String>) -> HttpResponse {
    let mut ctx = tera::Context::new();
    ctx.insert("csrf", &session::csrf_for(cookie));
    ctx.insert("error", &error);
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    state.views.page(status, "sign_in_code.html", locale(req), ctx)
}

async fn show_code(state: web::Data<ProvisioningState>, req: HttpRequest) -> HttpResponse {
    match lookup(&req).await {
        Ok(Some((s, _))) if s.second_factor => see_other("/tenants"),
        Ok(Some((_, cookie))) => code_page(&state, &req, &cookie, None),
        Ok(None) => see_other("/sign-in"),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    csrf: String,
    code: String,
}

async fn check_code(state: web::Data<ProvisioningState>, req: HttpRequest, form: web::Form<CodeForm>) -> HttpResponse {
    let loc = locale(&req);
    let cookie = match lookup(&req).await {
        Ok(Some((_, cookie))) => cookie,
        Ok(None) => return see_other("/sign-in"),
        Err(_) => return HttpResponse::ServiceUnavailable().finish(),
    };
    if !session::constant_time_eq(form.csrf.as_bytes(), session::csrf_for(&cookie).as_bytes()) {
        return code_page(&state, &req, &cookie, Some(state.views.message(loc, "form_expired")));
    }
    let key = format!("code:{}", crate::auth::token_hash(&cookie));
    if !state.sign_in_limiter.allow(&req, &key) {
        let mut res = code_page(&state, &req, &cookie, Some(state.views.message(loc, "too_many_attempts")));
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return res;
    }
    let (db, keyring, c, code) = (state.db.clone(), state.keyring.clone(), cookie.clone(), form.into_inner().code);
    match web::block(move || sessions::verify_second_factor(&db, &keyring, &c, &code)).await {
        Ok(Ok(true)) => {
            state.sign_in_limiter.succeeded(&req, &key);
            see_other("/tenants")
        }
        Ok(Ok(false)) => {
            state.sign_in_limiter.failed(&req, &key);
            code_page(&state, &req, &cookie, Some(state.views.message(loc, "bad_code")))
        }
        Ok(Err(tenant_core::CoreError::NotFound(_))) => see_other("/sign-in"),
        _ => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[derive(Deserialize)]
struct SignOutForm {
    csrf: String,
}

async fn sign_out(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, session::SignInRequired> {
    console.check_csrf(&form.csrf)?;
    let (db, cookie) = (state.db.clone(), console.cookie.clone());
    let _ = web::block(move || sessions::sign_out(&db, &cookie)).await;
    let mut res = see_other("/sign-in");
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    let _ = res.add_cookie(&gone);
    Ok(res)
}
