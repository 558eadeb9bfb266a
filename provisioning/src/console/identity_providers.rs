//! The console form for a tenant's sign-in providers. The client secret field is
//! always empty: a secret is never shown back, and an empty field keeps it.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::names::TenantSlug;
use tenant_core::secrets::SecretString;
use tenant_core::CoreError;

use super::see_other;
use super::session::{ConsoleSession, SignInRequired};
use crate::api::ProvisioningState;
use crate::identity_providers::{self, ProviderInput, ProviderKind};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{slug}/identity-providers/{key}", web::get().to(show))
        .route("/tenants/{slug}/identity-providers", web::post().to(save))
        .route("/tenants/{slug}/identity-providers/{key}/delete", web::post().to(remove));
}

#[derive(Default, Serialize, Deserialize)]
struct ProviderForm {
    #[serde(default)]
    csrf: String,
    key: String,
    kind: String,
    #[serde(default)]
    label: String,
    issuer: String,
    client_id: String,
    #[serde(default, skip_serializing)]
    client_secret: String,
    /// Space-separated; empty for the kind's defaults.
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    acr_values: String,
    #[serde(default)]
    enabled: Option<String>,
}

fn page(
    state: &ProvisioningState,
    console: &ConsoleSession,
    slug: &str,
    form: &ProviderForm,
    existing: bool,
    error: Option<String>,
) -> HttpResponse {
    let mut ctx = console.context("tenants");
    ctx.insert("slug", slug);
    ctx.insert("provider", form);
    ctx.insert("existing", &existing);
    ctx.insert("error", &error);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    state.views.page(status, "identity_provider.html", console.locale, ctx)
}

/// `GET .../identity-providers/{key}`: the form, filled for an existing provider
/// (or empty for `new`).
async fn show(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SignInRequired> {
    let (slug, key) = path.into_inner();
    let Ok(tenant) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let db = state.db.clone();
    let listed =
        web::block(move || identity_providers::list(&db, &tenant)).await.map_err(|_| SignInRequired::Unavailable)?;
    let providers = match listed {
        Ok(p) => p,
        Err(CoreError::NotFound(_)) => return Ok(state.views.not_found(console.locale)),
        Err(_) => return Err(SignInRequired::Unavailable),
    };
    let found = providers.into_iter().find(|p| p.key == key);
    let form = match &found {
        Some(p) => ProviderForm {
            key: p.key.clone(),
            kind: p.kind.clone(),
            label: p.label.clone(),
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            scopes: p.scopes.join(" "),
            acr_values: p.acr_values.clone().unwrap_or_default(),
            enabled: p.enabled.then(|| "yes".to_owned()),
            ..ProviderForm::default()
        },
        None if key == "new" => {
            ProviderForm { kind: "franceconnect".into(), enabled: Some("yes".into()), ..ProviderForm::default() }
        }
        None => return Ok(state.views.not_found(console.locale)),
    };
    Ok(page(&state, &console, &slug, &form, found.is_some(), None))
}

async fn save(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
    form: web::Form<ProviderForm>,
) -> Result<HttpResponse, SignInRequired> {
    let form = form.into_inner();
    console.check_csrf(&form.csrf)?;
    let Ok(tenant) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let kind = match ProviderKind::parse(&form.kind) {
        Ok(k) => k,
        Err(e) => return Ok(page(&state, &console, &slug, &form, false, Some(e.to_string()))),
    };
    let scopes: Vec<String> = form.scopes.split_whitespace().map(str::to_owned).collect();
    let input = ProviderInput {
        kind,
        label: Some(form.label.clone()).filter(|l| !l.trim().is_empty()),
        issuer: form.issuer.trim().to_owned(),
        client_id: form.client_id.clone(),
        client_secret: Some(form.client_secret.clone()).filter(|s| !s.is_empty()).map(SecretString::new),
        scopes: if scopes.is_empty() { None } else { Some(scopes) },
        acr_values: Some(form.acr_values.clone()).filter(|a| !a.trim().is_empty()),
        enabled: form.enabled.is_some(),
    };
    let (db, keyring, actor, key, target) =
        (state.db.clone(), state.keyring.clone(), console.staff.actor(), form.key.trim().to_owned(), tenant.clone());
    let saved = web::block(move || identity_providers::put(&db, &keyring, &target, &key, input, &actor))
        .await
        .map_err(|_| SignInRequired::Unavailable)?;
    match saved {
        Ok(_) => Ok(see_other(&format!("/tenants/{tenant}"))),
        Err(CoreError::Invalid(m)) => Ok(page(&state, &console, &slug, &form, false, Some(m))),
        Err(CoreError::NotFound(_)) => Ok(state.views.not_found(console.locale)),
        Err(_) => Err(SignInRequired::Unavailable),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn remove(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, SignInRequired> {
    console.check_csrf(&form.csrf)?;
    let (slug, key) = path.into_inner();
    let Ok(tenant) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let (db, actor, target) = (state.db.clone(), console.staff.actor(), tenant.clone());
    match web::block(move || identity_providers::delete(&db, &target, &key, &actor))
        .await
        .map_err(|_| SignInRequired::Unavailable)?
    {
        Ok(()) => Ok(see_other(&format!("/tenants/{tenant}"))),
        Err(CoreError::NotFound(_)) => Ok(state.views.not_found(console.locale)),
        Err(_) => Err(SignInRequired::Unavailable),
    }
}
