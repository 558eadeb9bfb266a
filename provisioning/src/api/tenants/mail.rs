//! `/api/v1/tenants/{slug}/mail`: the tenant's own mail server (get, put, delete).
//! The password is accepted, sealed, and never returned.
use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;

use crate::api::access::{ReadAccess, WriteAccess};
use crate::api::body::parse_json;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::mail_settings::{self, MailInput};

#[get("/tenants/{slug}/mail")]
pub async fn get_mail(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let (db, keyring) = (state.db.clone(), state.keyring.clone());
    let found = web::block(move || mail_settings::get(&db, &keyring, &slug)).await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "mail": found })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutMail {
    from_address: String,
    #[serde(default)]
    from_name: String,
    smtp_host: String,
    smtp_port: u16,
    smtp_tls: String,
    #[serde(default)]
    smtp_username: String,
    /// Left out (or empty), the password already set is kept.
    smtp_password: Option<String>,
}

#[put("/tenants/{slug}/mail")]
pub async fn put_mail(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let req: PutMail = parse_json(&body)?;
    let input = MailInput {
        from_address: req.from_address,
        from_name: req.from_name,
        smtp_host: req.smtp_host,
        smtp_port: req.smtp_port,
        smtp_tls: req.smtp_tls,
        smtp_username: req.smtp_username,
        smtp_password: req.smtp_password,
    };
    let (db, keyring, actor) = (state.db.clone(), state.keyring.clone(), caller.actor());
    let saved =
        web::block(move || mail_settings::put(&db, &keyring, &slug, input, &actor)).await?.map_err(|e| match e {
            tenant_core::CoreError::Invalid(m) => {
                let field = m.split(':').next().unwrap_or("body").trim().to_owned();
                ApiError::invalid(field, m)
            }
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "mail": saved })))
}

#[delete("/tenants/{slug}/mail")]
pub async fn delete_mail(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let (db, keyring, actor) = (state.db.clone(), state.keyring.clone(), caller.actor());
    web::block(move || mail_settings::delete(&db, &keyring, &slug, &actor)).await??;
    Ok(HttpResponse::NoContent().finish())
}
