//! `/account`: what a signed-in person can see and change about themselves, their
//! data as a download, and deleting the account (personal data erased, their
//! contributions kept as from a deleted participant).
use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use provisioning::auth::{hash_password, token_hash, NewToken, Password};
use serde::Deserialize;
use tenant_core::accounts::tokens::{self, Purpose};
use tenant_core::accounts::verifications::{self, Kind};
use tenant_core::accounts::{export, identities, sessions, users};
use tenant_core::CoreError;

use super::limits;
use super::mails::{compose, Mail};
use super::page::{message, see_other, Page};
use super::session::{self, MaybeUser, SignedIn};
use super::sign_in::{link_form, CsrfOnly};
use super::sign_up::CONFIRM_HOURS;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

#[get("/account")]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, user.id, HashMap::new(), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: tenant_core::names::Locale,
    visitor: &super::Visitor,
    user_id: i64,
    errors: HashMap<&str, String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let (linked, verified, blocked) = web::block(move || {
        s.db.tenant(&t, |conn| {
            Ok::<_, CoreError>((
                identities::list_for(conn, user_id)?,
                verifications::list_for(conn, user_id)?,
                tenant_core::accounts::users::blocked(conn, user_id)?,
            ))
        })
    })
    .await??;
    let providers = super::providers_for(state, tenant).await?;
    let labels: std::collections::HashMap<&str, &str> =
        providers.iter().map(|p| (p.key.as_str(), p.label.as_str())).collect();
    let linked_view: Vec<serde_json::Value> = linked
        .iter()
        .map(|i| {
            serde_json::json!({
                "provider": i.provider,
                "label": labels.get(i.provider.as_str()).copied().unwrap_or(i.provider.as_str()),
                "created_at": i.created_at,
            })
        })
        .collect();
    let verified_view: Vec<serde_json::Value> = verified
        .iter()
        .map(|v| {
            serde_json::json!({
                "kind": v.kind,
                "source_label": labels.get(v.source.as_str()).copied().unwrap_or(""),
                "granted_at": v.granted_at,
            })
        })
        .collect();
    // Offer to link only the providers not linked yet.
    let unlinked: Vec<&super::ProviderButton> =
        providers.iter().filter(|p| !linked.iter().any(|i| i.provider == p.key)).collect();
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("identities", &linked_view);
    page.ctx.insert("verifications", &verified_view);
    page.ctx.insert("providers", &unlinked);
    page.ctx.insert("errors", &errors);
    page.ctx.insert("blocked", &blocked);
    page.render(state, tenant, "account/account.html", status)
}

#[derive(Deserialize)]
pub struct NicknameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nickname: String,
}

#[post("/account/nickname")]
pub async fn change_nickname(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<NicknameForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let theme = state.themes.get(tenant.theme.as_str());
    if users::check_nickname(&form.nickname).is_err() {
        let errors = HashMap::from([("nickname", theme.message(locale, "field_nickname_invalid"))]);
        return render(&req, &state, &tenant, locale, &visitor, user.id, errors, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    let (s, t, nickname) = (state.clone(), tenant.0.clone(), form.nickname.clone());
    let result = web::block(move || s.db.tenant(&t, |conn| users::set_nickname(conn, user.id, &nickname))).await??;
    if result.is_err() {
        let errors = HashMap::from([("nickname", theme.message(locale, "field_nickname_taken"))]);
        return render(&req, &state, &tenant, locale, &visitor, user.id, errors, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    Ok(see_other("/account?notice=nickname_changed"))
}

#[derive(Deserialize)]
pub struct EmailChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

/// Asks for a new address: a link goes to it, a notice to the old one, and the
/// account keeps the old address until the link is followed.
#[post("/account/email")]
pub async fn change_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<EmailChangeForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    super::page::limit(
        &state,
        &tenant,
        locale,
        &format!("account:{}:{}", tenant.slug, user.id),
        limits::ACCOUNT_CHANGES_PER_USER,
    )
    .await?;
    let theme = state.themes.get(tenant.theme.as_str());
    let Ok(email) = users::check_email(&form.email) else {
        let errors = HashMap::from([("email", theme.message(locale, "field_email_invalid"))]);
        return render(&req, &state, &tenant, locale, &visitor, user.id, errors, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let (s, t, origin, current) =
        (state.clone(), tenant.0.clone(), visitor.origin.clone(), form.current_password.clone());
    let ok = web::block(move || -> Result<bool, AppError> {
        let stored = s.db.tenant(&t, |conn| users::find(conn, user.id))?.and_then(|u| u.password_hash);
        if let Some(phc) = stored {
            let good = super::page::password_matches(current, &phc);
            if !good {
                return Ok(false);
            }
        }
        let token = NewToken::generate("cve").map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        s.db.tenant(&t, |conn| {
            tokens::issue(
                conn,
                token.hash(),
                user.id,
                Purpose::ChangeEmail,
                &email,
                chrono::Duration::hours(CONFIRM_HOURS),
            )
        })?;
        let link = format!("{origin}/account/email/{}", token.secret());
        let mut mails = vec![compose(&s, &t, locale, &email, &Mail::ChangeEmail { link: &link })];
        if let Some(old) = &user.email {
            mails.push(compose(&s, &t, locale, old, &Mail::EmailChangeNotice { new_email: &email }));
        }
        for m in mails {
            s.identity.send_mail(&s.db, &t, &m)?;
        }
        Ok(true)
    })
    .await??;
    if !ok {
        let errors = HashMap::from([("current_password", theme.message(locale, "field_current_password_wrong"))]);
        return render(&req, &state, &tenant, locale, &visitor, user.id, errors, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    Ok(see_other("/account?notice=email_change_sent"))
}

#[get("/account/email/{token}")]
pub async fn email_link_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    link_form(&req, &state, &tenant, locale, &visitor, &token, Purpose::ChangeEmail, "account/confirm.html").await
}

#[post("/account/email/{token}")]
pub async fn email_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    token: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, hash) = (state.clone(), tenant.0.clone(), token_hash(&token));
    let outcome = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(link) = tokens::consume(conn, &hash, Purpose::ChangeEmail)? else {
                return Ok::<_, CoreError>(Some(false));
            };
            if users::find_by_email(conn, &link.email)?.is_some_and(|u| u.id != link.user_id) {
                return Ok(None);
            }
            users::confirm_email(conn, link.user_id, &link.email)?;
            Ok(Some(true))
        })
    })
    .await??;
    match outcome {
        Some(true) => Ok(see_other("/account?notice=email_confirmed")),
        Some(false) => message(&state, &req, &tenant, locale, &visitor, "link_dead", StatusCode::GONE),
        None => message(&state, &req, &tenant, locale, &visitor, "email_in_use", StatusCode::CONFLICT),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Changes (or, for an account made through a provider, sets) the password; every
/// other session of the account ends.
#[post("/account/password")]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    super::page::limit(
        &state,
        &tenant,
        locale,
        &format!("account:{}:{}", tenant.slug, user.id),
        limits::ACCOUNT_CHANGES_PER_USER,
    )
    .await?;
    let theme = state.themes.get(tenant.theme.as_str());
    let Ok(new) = Password::parse(form.new_password.clone()) else {
        let errors = HashMap::from([("new_password", theme.message(locale, "field_password_invalid"))]);
        return render(&req, &state, &tenant, locale, &visitor, user.id, errors, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let (s, t, current) = (state.clone(), tenant.0.clone(), form.current_password.clone());
    let keep = visitor.session_secret.as_deref().map(token_hash);
    let ok = web::block(move || -> Result<bool, AppError> {
        let found = s.db.tenant(&t, |conn| users::find(conn, user.id))?;
        let Some(found) = found else { return Ok(false) };
        if let Some(phc) = &found.password_hash {
            if !super::page::password_matches(current, phc) {
                return Ok(false);
            }
        }
        let phc = hash_password(&new).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        s.db.tenant(&t, |conn| {
            users::set_password_hash(conn, user.id, &phc)?;
            sessions::delete_others(conn, user.id, keep.as_deref())?;
            Ok::<_, CoreError>(())
        })?;
        if let Some(email) = &found.email {
            let m = compose(&s, &t, locale, email, &Mail::PasswordChanged);
            if let Err(e) = s.identity.send_mail(&s.db, &t, &m) {
                tracing::error!(error = %e, "password change notice not sent");
            }
        }
        Ok(true)
    })
    .await??;
    if !ok {
        let errors = HashMap::from([("current_password", theme.message(locale, "field_current_password_wrong"))]);
        return render(&req, &state, &tenant, locale, &visitor, user.id, errors, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    Ok(see_other("/account?notice=password_changed"))
}

/// "Download my data": everything kept about the account, as JSON.
#[get("/account/data")]
pub async fn download(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    SignedIn(_, user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let mut data = web::block(move || s.db.tenant(&t, |conn| export::personal_data(conn, user.id))).await??;
    if let Some(obj) = data.as_object_mut() {
        obj.insert("tenant".into(), serde_json::json!({ "name": tenant.name, "host": tenant.primary_host.as_str() }));
        obj.insert("exported_at".into(), serde_json::json!(chrono::Utc::now()));
        obj.insert("contributions".into(), serde_json::json!({}));
    }
    let body = serde_json::to_vec_pretty(&data).map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}-my-data.json\"", tenant.slug)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[get("/account/delete")]
pub async fn delete_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    Page::new(&state, &req, &tenant, locale, &visitor).render(&state, &tenant, "account/delete.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    current_password: String,
}

#[post("/account/delete")]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let theme = state.themes.get(tenant.theme.as_str());
    let (s, t, current) = (state.clone(), tenant.0.clone(), form.current_password.clone());
    let typed = form.confirm.trim() == user.nickname;
    let erased = web::block(move || -> Result<bool, AppError> {
        let stored = s.db.tenant(&t, |conn| users::find(conn, user.id))?.and_then(|u| u.password_hash);
        let proven = match stored {
            Some(phc) => super::page::password_matches(current, &phc),
            None => typed,
        };
        if !proven {
            return Ok(false);
        }
        s.db.tenant(&t, |conn| users::erase(conn, user.id))?;
        Ok(true)
    })
    .await??;
    if !erased {
        let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
        page.ctx.insert("error", &theme.message(locale, "delete_not_confirmed"));
        return page.render(&state, &tenant, "account/delete.html", StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut res = see_other("/account/deleted");
    super::page::remove_cookie(&mut res, &session::removal_cookie(visitor.https))?;
    Ok(res)
}

#[get("/account/deleted")]
pub async fn deleted(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    message(&state, &req, &tenant, locale, &visitor, "account_deleted", StatusCode::OK)
}

/// Asks for the resident-list verification: granted when the account's confirmed
/// address is on the list the tenant uploaded.
#[post("/account/verifications/resident")]
pub async fn verify_resident(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let granted = web::block(move || -> Result<bool, AppError> {
        let (Some(email), true) = (user.email.clone(), user.email_confirmed) else { return Ok(false) };
        let key = s.identity.tenant_key(&s.db, &t)?;
        let hash = key.hash("resident_list", &email.to_lowercase());
        Ok(s.db.tenant(&t, |conn| {
            if verifications::on_resident_list(conn, &hash)? {
                verifications::grant(conn, user.id, Kind::ResidentList, "", "resident_list", None)?;
                Ok::<_, CoreError>(true)
            } else {
                Ok(false)
            }
        })?)
    })
    .await??;
    Ok(see_other(if granted { "/account?notice=verified" } else { "/account?notice=not_on_list" }))
}

#[post("/account/identities/{provider}/unlink")]
pub async fn unlink(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    SignedIn(visitor, user): SignedIn,
    provider: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, p) = (state.clone(), tenant.0.clone(), provider.into_inner());
    web::block(move || s.db.tenant(&t, |conn| identities::unlink(conn, user.id, &p, user.has_password))).await??;
    Ok(see_other("/account?notice=identity_unlinked"))
}

#[get("/account/invite/{token}")]
pub async fn invite_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    link_form(&req, &state, &tenant, locale, &visitor, &token, Purpose::Invite, "account/invite.html").await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    password: String,
}

/// Accepting an invitation: a nickname and a password; the address is proven by the
/// link; the person lands signed in on the administration page.
#[post("/account/invite/{token}")]
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    token: web::Path<String>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let theme = state.themes.get(tenant.theme.as_str());
    let redisplay = |field: &str, key: &str| {
        let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
        page.ctx.insert("token", token.as_str());
        page.ctx.insert("nickname", &form.nickname);
        page.ctx.insert("errors", &HashMap::from([(field.to_owned(), theme.message(locale, key))]));
        page.render(&state, &tenant, "account/invite.html", StatusCode::UNPROCESSABLE_ENTITY)
    };
    if users::check_nickname(&form.nickname).is_err() {
        return redisplay("nickname", "field_nickname_invalid");
    }
    let Ok(password) = Password::parse(form.password.clone()) else {
        return redisplay("password", "field_password_invalid");
    };
    let (s, t, v, hash, nickname) =
        (state.clone(), tenant.0.clone(), visitor.clone(), token_hash(&token), form.nickname.clone());
    let outcome = web::block(move || -> Result<Result<actix_web::cookie::Cookie<'static>, &'static str>, AppError> {
        let phc = hash_password(&password).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let done = s.db.tenant(&t, |conn| {
            // The whole closure is one transaction: an error undoes the link's use.
            let Some(link) = tokens::consume(conn, &hash, Purpose::Invite)? else {
                return Ok::<_, CoreError>(Err("link"));
            };
            if users::set_nickname(conn, link.user_id, &nickname)?.is_err() {
                // Leave the link usable: undo its use with the transaction.
                return Err(CoreError::Conflict("nickname".into()));
            }
            users::set_password_hash(conn, link.user_id, &phc)?;
            users::confirm_email(conn, link.user_id, &link.email)?;
            Ok(Ok(link.user_id))
        });
        let user_id = match done {
            Ok(Ok(id)) => id,
            Ok(Err(what)) => return Ok(Err(what)),
            Err(CoreError::Conflict(_)) => return Ok(Err("nickname")),
            Err(e) => return Err(e.into()),
        };
        session::close(&s, &t, &v)?;
        Ok(Ok(session::open(&s, &t, user_id, "password", None, v.https)?))
    })
    .await??;
    match outcome {
        Ok(cookie) => {
            let mut res = see_other("/admin");
            super::page::set_cookie(&mut res, &cookie)?;
            Ok(res)
        }
        Err("nickname") => redisplay("nickname", "field_nickname_taken"),
        Err(_) => message(&state, &req, &tenant, locale, &visitor, "link_dead", StatusCode::GONE),
    }
}
