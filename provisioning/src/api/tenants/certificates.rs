//! `/api/v1/tenants/{slug}/hosts/{host}/certificate`: the TLS certificate files of one
//! of a tenant's hosts, for `civitas serve --https` (put, delete). The files are on
//! the serving machines; the API takes their absolute paths and checks them (they
//! parse, the key is the certificate's, the certificate names the host) before
//! recording them. Serving processes pick the change up within seconds.
use actix_web::{delete, put, web, HttpResponse};
use serde::Deserialize;
use tenant_core::names::HostName;

use crate::api::access::WriteAccess;
use crate::api::body::parse_json;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::host_certificates;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutCertificate {
    cert_path: String,
    key_path: String,
}

fn host(raw: &str) -> Result<HostName, ApiError> {
    HostName::parse(raw).map_err(|e| ApiError::invalid("host", e.to_string()))
}

fn api_error(e: tenant_core::CoreError) -> ApiError {
    match e {
        tenant_core::CoreError::Invalid(m) => {
            let field = if m.starts_with("key") { "key_path" } else { "cert_path" };
            ApiError::invalid(field, m)
        }
        other => other.into(),
    }
}

#[put("/tenants/{slug}/hosts/{host}/certificate")]
pub async fn put_certificate(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (slug, raw_host) = path.into_inner();
    let slug = super::tenant_slug(&slug)?;
    let host = host(&raw_host)?;
    let req: PutCertificate = parse_json(&body)?;
    let files = (std::path::PathBuf::from(&req.cert_path), std::path::PathBuf::from(&req.key_path));
    let (db, actor, h) = (state.db.clone(), caller.actor(), host.clone());
    web::block(move || host_certificates::set(&db, &slug, &h, Some(files), &actor)).await?.map_err(api_error)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "host": host.as_str(), "cert_path": req.cert_path, "key_path": req.key_path
    })))
}

#[delete("/tenants/{slug}/hosts/{host}/certificate")]
pub async fn delete_certificate(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, raw_host) = path.into_inner();
    let slug = super::tenant_slug(&slug)?;
    let host = host(&raw_host)?;
    let (db, actor) = (state.db.clone(), caller.actor());
    web::block(move || host_certificates::set(&db, &slug, &host, None, &actor)).await?.map_err(api_error)?;
    Ok(HttpResponse::NoContent().finish())
}
