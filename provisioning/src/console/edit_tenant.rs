//! The edit form of an existing tenant: every field of the create form but the slug.
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use tenant_core::catalog::{self, TenantChanges};
use tenant_core::names::TenantSlug;
use tenant_core::CoreError;

use super::new_tenant::{form_page_for, host_list, read_form, FormValues, Submitted};
use super::see_other;
use super::session::{ConsoleSession, SignInRequired};
use crate::api::ProvisioningState;
use crate::spec::{Logo, TenantSpec};
use crate::update_tenant::update_tenant;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{slug}/edit", web::get().to(show)).route("/tenants/{slug}/edit", web::post().to(save));
}

async fn show(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
) -> Result<HttpResponse, SignInRequired> {
    let Ok(slug) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let (db, s) = (state.db.clone(), slug.clone());
    let found = web::block(move || db.catalog(|conn| catalog::load_one(conn, &s)))
        .await
        .map_err(|_| SignInRequired::Unavailable)?;
    let tenant = match found {
        Ok(t) => t,
        Err(CoreError::NotFound(_)) => return Ok(state.views.not_found(console.locale)),
        Err(_) => return Err(SignInRequired::Unavailable),
    };
    let values = FormValues {
        slug: tenant.slug.to_string(),
        name: tenant.name.clone(),
        hosts: tenant.hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("\n"),
        locales: tenant.locales.iter().map(|l| l.as_str().to_owned()).collect(),
        modules: tenant.modules.iter().map(|m| m.as_str().to_owned()).collect(),
        theme: tenant.theme.to_string(),
        color: tenant.primary_color.to_string(),
        description: tenant.description_in(tenant.default_locale).1.to_owned(),
        max_users: tenant.max_users.map(|n| n.to_string()).unwrap_or_default(),
        max_storage_mb: tenant.max_storage_bytes.map(|b| (b / (1024 * 1024)).to_string()).unwrap_or_default(),
        admin_email: String::new(),
    };
    Ok(form_page_for(&state, &console, &values, None, Some(slug.as_str())))
}

async fn save(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, SignInRequired> {
    let Ok(slug) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let edit = Some(slug.as_str());
    let Submitted { mut values, csrf, logo, oversize } = match read_form(payload).await {
        Ok(s) => s,
        Err(values) => {
            return Ok(form_page_for(
                &state,
                &console,
                &values,
                Some(("form".into(), "the form could not be read".into())),
                edit,
            ))
        }
    };
    console.check_csrf(&csrf)?;
    values.slug = slug.to_string();
    if let Some(field) = oversize {
        return Ok(form_page_for(&state, &console, &values, Some((field, "too large".into())), edit));
    }
    let parsed = TenantSpec::parse_fields(
        slug.as_str(),
        &values.name,
        &host_list(&values.hosts),
        &values.locales,
        &values.modules,
        Some(&values.theme),
        Some(&values.color),
        Some(&values.description),
    );
    let mut spec = match parsed {
        Ok(spec) => spec,
        Err(e) => return Ok(form_page_for(&state, &console, &values, Some((e.field, e.error.to_string())), edit)),
    };
    if !state.themes.iter().any(|t| t == spec.theme.as_str()) {
        return Ok(form_page_for(&state, &console, &values, Some(("theme".into(), "unknown theme".into())), edit));
    }
    let logo = match logo.map(Logo::parse).transpose() {
        Ok(l) => l,
        Err(e) => return Ok(form_page_for(&state, &console, &values, Some(("logo".into(), e.to_string())), edit)),
    };
    if let Err(e) = values.apply_extras(&mut spec, false) {
        return Ok(form_page_for(&state, &console, &values, Some((e.field, e.error.to_string())), edit));
    }
    let changes = TenantChanges {
        name: Some(spec.name.clone()),
        description: Some(spec.description.clone()),
        theme: Some(spec.theme.clone()),
        primary_color: Some(spec.primary_color),
        locales: Some(spec.locales.clone()),
        hosts: Some(spec.hosts.clone()),
        modules: Some(spec.modules.clone()),
        logo_key: None,
        max_users: Some(spec.max_users),
        max_storage_bytes: Some(spec.max_storage_bytes),
    };
    let (db, blobs, actor, target) = (state.db.clone(), state.blobs.clone(), console.staff.actor(), slug.clone());
    let saved = web::block(move || update_tenant(&db, &*blobs, &target, changes, logo, &actor))
        .await
        .map_err(|_| SignInRequired::Unavailable)?;
    match saved {
        Ok(_) => Ok(see_other(&format!("/tenants/{slug}"))),
        Err(CoreError::Conflict(m)) => Ok(form_page_for(&state, &console, &values, Some(("hosts".into(), m)), edit)),
        Err(CoreError::Invalid(m)) => Ok(form_page_for(&state, &console, &values, Some(("form".into(), m)), edit)),
        Err(CoreError::NotFound(_)) => Ok(state.views.not_found(console.locale)),
        Err(_) => Err(SignInRequired::Unavailable),
    }
}
