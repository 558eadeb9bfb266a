//! `/api/v1/tenants/{slug}/identity-providers[/{key}]`: list, put, delete. The
//! client secret is accepted, sealed, and never returned.
use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;
use tenant_core::secrets::SecretString;

use crate::api::access::{ReadAccess, WriteAccess};
use crate::api::body::parse_json;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::identity_providers::{self, ProviderInput, ProviderKind};

#[get("/tenants/{slug}/identity-providers")]
pub async fn list(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let db = state.db.clone();
    let providers = web::block(move || identity_providers::list(&db, &slug)).await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "identity_providers": providers })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutProvider {
    kind: String,
    label: Option<String>,
    issuer: String,
    client_id: String,
    /// Required for a new provider; left out, the secret already set is kept.
    client_secret: Option<String>,
    scopes: Option<Vec<String>>,
    acr_values: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

/// Which field a provider error is about, from its message.
fn field_of(message: &str) -> &'static str {
    for (needle, field) in [
        ("provider key", "key"),
        ("issuer", "issuer"),
        ("client_id", "client_id"),
        ("client_secret", "client_secret"),
        ("scope", "scopes"),
        ("label", "label"),
        ("kind", "kind"),
    ] {
        if message.contains(needle) {
            return field;
        }
    }
    "body"
}

#[put("/tenants/{slug}/identity-providers/{key}")]
pub async fn put_provider(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (slug, key) = path.into_inner();
    let slug = super::tenant_slug(&slug)?;
    let req: PutProvider = parse_json(&body)?;
    let kind = ProviderKind::parse(&req.kind).map_err(|e| ApiError::from(e).with_field("kind"))?;
    let input = ProviderInput {
        kind,
        label: req.label,
        issuer: req.issuer.trim().to_owned(),
        client_id: req.client_id,
        client_secret: req.client_secret.map(SecretString::new),
        scopes: req.scopes,
        acr_values: req.acr_values,
        enabled: req.enabled,
    };
    let (db, keyring, actor) = (state.db.clone(), state.keyring.clone(), caller.actor());
    let saved =
        web::block(move || identity_providers::put(&db, &keyring, &slug, &key, input, &actor)).await?.map_err(|e| {
            match e {
                tenant_core::CoreError::Invalid(m) => {
                    let field = field_of(&m);
                    ApiError::invalid(field, m)
                }
                other => other.into(),
            }
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "identity_provider": saved })))
}

#[delete("/tenants/{slug}/identity-providers/{key}")]
pub async fn delete_provider(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, key) = path.into_inner();
    let slug = super::tenant_slug(&slug)?;
    let (db, actor) = (state.db.clone(), caller.actor());
    web::block(move || identity_providers::delete(&db, &slug, &key, &actor)).await??;
    Ok(HttpResponse::NoContent().finish())
}
