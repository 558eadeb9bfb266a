//! `PATCH /api/v1/tenants/{slug}`: changes the fields given, leaves the others.
use std::collections::BTreeMap;

use actix_web::{patch, web, HttpResponse};
use serde::Deserialize;
use tenant_core::catalog::TenantChanges;
use tenant_core::names::{Color, HostName, Locale, ModuleName, ThemeName};
use tenant_core::CoreError;

use crate::api::access::WriteAccess;
use crate::api::body::parse_json;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::spec::Logo;
use crate::update_tenant::update_tenant;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateTenant {
    name: Option<String>,
    /// Replaces the description in the tenant's default locale.
    description: Option<String>,
    theme: Option<String>,
    color: Option<String>,
    locales: Option<Vec<String>>,
    hosts: Option<Vec<String>>,
    modules: Option<Vec<String>>,
    logo_base64: Option<String>,
    /// A number sets the limit, `null` removes it, absent leaves it.
    #[serde(default, deserialize_with = "present")]
    max_users: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    max_storage_mb: Option<Option<i64>>,
}

/// Tells a field sent as `null` (Some(None)) from one left out (None).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn field<T>(name: impl Into<String>, r: Result<T, CoreError>) -> Result<T, ApiError> {
    r.map_err(|e| ApiError::from(e).with_field(name))
}

fn list<T: PartialEq>(
    name: &str,
    raw: &[String],
    parse: impl Fn(&str) -> Result<T, CoreError>,
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    for (i, item) in raw.iter().enumerate() {
        let value = field(format!("{name}[{i}]"), parse(item))?;
        if out.contains(&value) {
            return Err(ApiError::invalid(format!("{name}[{i}]"), format!("{item:?} is given twice")));
        }
        out.push(value);
    }
    Ok(out)
}

#[patch("/tenants/{slug}")]
pub async fn update(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let req: UpdateTenant = parse_json(&body)?;
    let mut changes = TenantChanges::default();
    if let Some(name) = &req.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::invalid("name", "the tenant name must have 1 to 200 characters"));
        }
        changes.name = Some(name.to_owned());
    }
    if let Some(theme) = &req.theme {
        let theme = field("theme", ThemeName::parse(theme))?;
        if !state.themes.iter().any(|t| t == theme.as_str()) {
            return Err(ApiError::invalid("theme", format!("unknown theme {:?}", theme.as_str())));
        }
        changes.theme = Some(theme);
    }
    if let Some(max) = req.max_users {
        changes.max_users = Some(crate::spec::plan_users(max)?);
    }
    if let Some(max) = req.max_storage_mb {
        changes.max_storage_bytes = Some(crate::spec::plan_storage(max)?);
    }
    if let Some(color) = &req.color {
        changes.primary_color = Some(field("color", Color::parse(color))?);
    }
    if let Some(locales) = &req.locales {
        let parsed = list("locales", locales, Locale::parse)?;
        if parsed.is_empty() {
            return Err(ApiError::invalid("locales", "a tenant needs at least one locale"));
        }
        changes.locales = Some(parsed);
    }
    if let Some(hosts) = &req.hosts {
        let parsed = list("hosts", hosts, HostName::parse)?;
        if parsed.is_empty() {
            return Err(ApiError::invalid("hosts", "a tenant needs at least one host"));
        }
        changes.hosts = Some(parsed);
    }
    if let Some(modules) = &req.modules {
        changes.modules = Some(list("modules", modules, ModuleName::parse)?);
    }
    let logo = match &req.logo_base64 {
        Some(encoded) => {
            let bytes = data_encoding::BASE64
                .decode(encoded.trim().as_bytes())
                .map_err(|_| ApiError::invalid("logo_base64", "the logo is not valid base64"))?;
            Some(field("logo_base64", Logo::parse(bytes))?)
        }
        None => None,
    };
    let description = req.description.clone();
    let (db, blobs, actor) = (state.db.clone(), state.blobs.clone(), caller.actor());
    let tenant = web::block(move || -> Result<_, ApiError> {
        if let Some(text) = description {
            let current = db.catalog(|conn| tenant_core::catalog::load_one(conn, &slug))?;
            let text = text.trim().to_owned();
            if text.chars().count() > 2000 {
                return Err(ApiError::invalid("description", "the description is limited to 2,000 characters"));
            }
            let locale = changes.locales.as_ref().and_then(|l| l.first().copied()).unwrap_or(current.default_locale);
            let mut map: BTreeMap<Locale, String> = current.description.clone();
            if text.is_empty() {
                map.remove(&locale);
            } else {
                map.insert(locale, text);
            }
            changes.description = Some(map);
        }
        update_tenant(&db, &*blobs, &slug, changes, logo, &actor).map_err(|e| match e {
            CoreError::Conflict(m) => ApiError::from(CoreError::Conflict(m)).with_field("hosts"),
            other => other.into(),
        })
    })
    .await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tenant": tenant })))
}
