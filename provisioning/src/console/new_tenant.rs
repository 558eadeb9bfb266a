//! The "new institution" form: a multipart form (the logo is a file), checked
//! field by field, then a create job; the browser is sent to the job's page.
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;
use serde::Serialize;
use tenant_core::names::{Locale, ModuleName};

use super::see_other;
use super::session::{ConsoleSession, SignInRequired};
use crate::api::ProvisioningState;
use crate::create_tenant::{check_available, enqueue_create};
use crate::spec::{FieldError, Logo, TenantSpec};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/new", web::get().to(show_form)).route("/tenants/new", web::post().to(create));
}

/// What the person typed, to show the form again after an error.
#[derive(Serialize)]
pub(super) struct FormValues {
    pub slug: String,
    pub name: String,
    pub hosts: String,
    pub locales: Vec<String>,
    pub modules: Vec<String>,
    pub theme: String,
    pub color: String,
    pub description: String,
    /// Plan limits, as typed (empty: no limit).
    pub max_users: String,
    pub max_storage_mb: String,
    /// The first administrator (create only).
    pub admin_email: String,
}

impl FormValues {
    /// Applies the plan limits (and, on create, the first administrator) to `spec`.
    pub(super) fn apply_extras(&self, spec: &mut TenantSpec, with_admin: bool) -> Result<(), FieldError> {
        let number = |field: &str, text: &str| -> Result<Option<i64>, FieldError> {
            let t = text.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<i64>().map(Some).map_err(|_| FieldError {
                field: field.to_owned(),
                error: tenant_core::CoreError::Invalid(format!("{field}: a whole number, or empty for no limit")),
            })
        };
        spec.set_plan(number("max_users", &self.max_users)?, number("max_storage_mb", &self.max_storage_mb)?)?;
        if with_admin {
            spec.set_admin_email(Some(&self.admin_email))?;
        }
        Ok(())
    }
}

impl Default for FormValues {
    fn default() -> Self {
        Self {
            slug: String::new(),
            name: String::new(),
            hosts: String::new(),
            locales: vec!["fr".into()],
            modules: vec!["pages".into()],
            theme: "default".into(),
            color: "#000091".into(),
            description: String::new(),
            max_users: String::new(),
            max_storage_mb: String::new(),
            admin_email: String::new(),
        }
    }
}

pub(super) fn form_page(
    state: &ProvisioningState,
    console: &ConsoleSession,
    values: &FormValues,
    error: Option<(String, String)>,
) -> HttpResponse {
    form_page_for(state, console, values, error, None)
}

/// The tenant form, for a new tenant or (with `edit`) an existing one.
pub(super) fn form_page_for(
    state: &ProvisioningState,
    console: &ConsoleSession,
    values: &FormValues,
    error: Option<(String, String)>,
    edit: Option<&str>,
) -> HttpResponse {
    let mut ctx = console.context(if edit.is_some() { "tenants" } else { "new" });
    ctx.insert("edit_slug", &edit);
    ctx.insert("form", values);
    ctx.insert("themes", &*state.themes);
    ctx.insert("all_locales", &Locale::ALL.map(|l| l.as_str()));
    ctx.insert("all_modules", &ModuleName::ALL.map(|m| m.as_str()));
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    if let Some((field, message)) = error {
        ctx.insert("field", &field);
        ctx.insert("error", &format!("{field}: {message}"));
    } else {
        ctx.insert("field", "");
    }
    state.views.page(status, "new_tenant.html", console.locale, ctx)
}

async fn show_form(state: web::Data<ProvisioningState>, console: ConsoleSession) -> HttpResponse {
    form_page(&state, &console, &FormValues::default(), None)
}

/// Largest text field accepted, and the largest logo upload (the logo rule itself
/// is checked by `Logo::parse`, with its own message).
const MAX_TEXT: usize = 8 * 1024;
const MAX_UPLOAD: usize = Logo::MAX_BYTES + 1;

/// What a tenant form sent.
pub(super) struct Submitted {
    pub values: FormValues,
    pub csrf: String,
    pub logo: Option<Vec<u8>>,
    /// A field over its size limit.
    pub oversize: Option<String>,
}

/// Reads a tenant form (create or edit); the values read so far when it breaks.
pub(super) async fn read_form(mut payload: Multipart) -> Result<Submitted, FormValues> {
    let mut values = FormValues { locales: Vec::new(), modules: Vec::new(), ..FormValues::default() };
    let mut csrf = String::new();
    let mut logo: Option<Vec<u8>> = None;
    let mut oversize: Option<String> = None;
    loop {
        let field = match payload.try_next().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(values),
        };
        let name = field.name().unwrap_or("").to_owned();
        let limit = if name == "logo" { MAX_UPLOAD } else { MAX_TEXT };
        let mut bytes = Vec::new();
        let mut field = field;
        while let Ok(Some(chunk)) = field.try_next().await {
            if bytes.len() + chunk.len() > limit {
                oversize = Some(name.clone());
                bytes.clear();
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        if oversize.is_some() {
            break;
        }
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => csrf = text(),
            "slug" => values.slug = text(),
            "name" => values.name = text(),
            "hosts" => values.hosts = text(),
            "locales" => values.locales.push(text()),
            "modules" => values.modules.push(text()),
            "theme" => values.theme = text(),
            "color" => values.color = text(),
            "description" => values.description = text(),
            "max_users" => values.max_users = text(),
            "max_storage_mb" => values.max_storage_mb = text(),
            "admin_email" => values.admin_email = text(),
            "logo" if !bytes.is_empty() => logo = Some(bytes),
            _ => {}
        }
    }
    Ok(Submitted { values, csrf, logo, oversize })
}

/// The host names typed one per line (commas and spaces also separate).
pub(super) fn host_list(text: &str) -> Vec<String> {
    text.split(['\n', ',', ' ']).map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned).collect()
}

async fn create(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    payload: Multipart,
) -> Result<HttpResponse, SignInRequired> {
    let Submitted { values, csrf, logo, oversize } = match read_form(payload).await {
        Ok(s) => s,
        Err(values) => {
            return Ok(form_page(&state, &console, &values, Some(("form".into(), "the form could not be read".into()))))
        }
    };
    console.check_csrf(&csrf)?;
    if let Some(field) = oversize {
        let message = if field == "logo" { "the logo is larger than 1 MiB" } else { "this field is too long" };
        return Ok(form_page(&state, &console, &values, Some((field, message.into()))));
    }
    let hosts = host_list(&values.hosts);
    let parsed = TenantSpec::parse_fields(
        &values.slug,
        &values.name,
        &hosts,
        &values.locales,
        &values.modules,
        Some(&values.theme),
        Some(&values.color),
        Some(&values.description),
    );
    let mut spec = match parsed {
        Ok(spec) => spec,
        Err(e) => return Ok(refuse(&state, &console, &values, e)),
    };
    if !state.themes.iter().any(|t| t == spec.theme.as_str()) {
        return Ok(form_page(&state, &console, &values, Some(("theme".into(), "unknown theme".into()))));
    }
    if let Err(e) = values.apply_extras(&mut spec, true) {
        return Ok(refuse(&state, &console, &values, e));
    }
    if let Some(bytes) = logo {
        match Logo::parse(bytes) {
            Ok(l) => spec.logo = Some(l),
            Err(e) => return Ok(form_page(&state, &console, &values, Some(("logo".into(), e.to_string())))),
        }
    }
    let (db, blobs, actor) = (state.db.clone(), state.blobs.clone(), console.staff.actor());
    let queued = web::block(move || -> Result<uuid::Uuid, FieldError> {
        let field = |error| FieldError { field: "form".into(), error };
        db.catalog(|conn| Ok(check_available(conn, &spec))).map_err(field)??;
        enqueue_create(&db, &*blobs, &spec, &actor, 5).map_err(field)
    })
    .await
    .map_err(|_| SignInRequired::Unavailable)?;
    match queued {
        Ok(id) => {
            state.job_waker.wake();
            Ok(see_other(&format!("/jobs/{id}")))
        }
        Err(e) => Ok(refuse(&state, &console, &values, e)),
    }
}

pub(super) fn refuse(
    state: &ProvisioningState,
    console: &ConsoleSession,
    values: &FormValues,
    e: FieldError,
) -> HttpResponse {
    if matches!(e.error, tenant_core::CoreError::Unavailable(_)) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    form_page(state, console, values, Some((e.field, e.error.to_string())))
}
