//! The console form for a tenant's own outgoing mail server. Without one, the
//! tenant's mail leaves through the platform's default. The password field is always
//! empty: the password is never shown back, and an empty field keeps the stored one.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::names::TenantSlug;
use tenant_core::CoreError;

use super::see_other;
use super::session::{ConsoleSession, SignInRequired};
use crate::api::ProvisioningState;
use crate::mail_settings::{self, MailInput, MailView};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{slug}/mail", web::get().to(show))
        .route("/tenants/{slug}/mail", web::post().to(save))
        .route("/tenants/{slug}/mail/delete", web::post().to(remove));
}

/// The fields of the form, as typed (the port too, to show it back when it is wrong).
#[derive(Serialize, Deserialize)]
struct MailForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    from_address: String,
    #[serde(default)]
    from_name: String,
    #[serde(default)]
    smtp_host: String,
    #[serde(default)]
    smtp_port: String,
    #[serde(default)]
    smtp_tls: String,
    #[serde(default)]
    smtp_username: String,
    #[serde(default, skip_serializing)]
    smtp_password: String,
}

impl Default for MailForm {
    /// A new server: submission port with STARTTLS, the usual setup.
    fn default() -> Self {
        Self {
            csrf: String::new(),
            from_address: String::new(),
            from_name: String::new(),
            smtp_host: String::new(),
            smtp_port: "587".into(),
            smtp_tls: "starttls".into(),
            smtp_username: String::new(),
            smtp_password: String::new(),
        }
    }
}

impl From<&MailView> for MailForm {
    fn from(m: &MailView) -> Self {
        Self {
            from_address: m.from_address.clone(),
            from_name: m.from_name.clone(),
            smtp_host: m.smtp_host.clone(),
            smtp_port: m.smtp_port.to_string(),
            smtp_tls: m.smtp_tls.to_owned(),
            smtp_username: m.smtp_username.clone(),
            ..Self::default()
        }
    }
}

/// The fields an error can name; anything else is shown for the whole form.
const FIELDS: [&str; 7] =
    ["from_address", "from_name", "smtp_host", "smtp_port", "smtp_tls", "smtp_username", "smtp_password"];

/// The field a `CoreError::Invalid` message names (`smtp_host: ...`), or `form`.
fn field_of(message: &str) -> &'static str {
    let named = message.split(':').next().unwrap_or("").trim();
    FIELDS.iter().find(|f| **f == named).copied().unwrap_or("form")
}

fn page(
    state: &ProvisioningState,
    console: &ConsoleSession,
    slug: &str,
    form: &MailForm,
    current: Option<&MailView>,
    error: Option<String>,
) -> HttpResponse {
    let mut ctx = console.context("tenants");
    ctx.insert("slug", slug);
    ctx.insert("mail", form);
    ctx.insert("existing", &current.is_some());
    ctx.insert("password_set", &current.is_some_and(|c| c.password_set));
    ctx.insert("field", error.as_deref().map(field_of).unwrap_or(""));
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    ctx.insert("error", &error);
    state.views.page(status, "mail.html", console.locale, ctx)
}

/// The tenant's settings, `Ok(None)` for the platform default, `Err` with the
/// response to give when the tenant is unknown or the database is not there.
async fn current(
    state: &ProvisioningState,
    console: &ConsoleSession,
    tenant: &TenantSlug,
) -> Result<Result<Option<MailView>, HttpResponse>, SignInRequired> {
    let (db, keyring, target) = (state.db.clone(), state.keyring.clone(), tenant.clone());
    let found = web::block(move || mail_settings::get(&db, &keyring, &target))
        .await
        .map_err(|_| SignInRequired::Unavailable)?;
    match found {
        Ok(view) => Ok(Ok(view)),
        Err(CoreError::NotFound(_)) => Ok(Err(state.views.not_found(console.locale))),
        Err(_) => Err(SignInRequired::Unavailable),
    }
}

/// `GET /tenants/{slug}/mail`: the form, filled with the current settings if any.
async fn show(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
) -> Result<HttpResponse, SignInRequired> {
    let Ok(tenant) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let found = match current(&state, &console, &tenant).await? {
        Ok(found) => found,
        Err(not_found) => return Ok(not_found),
    };
    let form = found.as_ref().map(MailForm::from).unwrap_or_default();
    Ok(page(&state, &console, tenant.as_str(), &form, found.as_ref(), None))
}

/// `POST /tenants/{slug}/mail`: saves, or shows the form again with the error on its
/// field (and without the password typed).
async fn save(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
    form: web::Form<MailForm>,
) -> Result<HttpResponse, SignInRequired> {
    let mut form = form.into_inner();
    console.check_csrf(&form.csrf)?;
    let Ok(tenant) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let password = std::mem::take(&mut form.smtp_password);
    let saved = match form.smtp_port.trim().parse::<u16>() {
        Err(_) => Err(CoreError::Invalid("smtp_port: 1 to 65535".into())),
        Ok(port) => {
            let input = MailInput {
                from_address: form.from_address.clone(),
                from_name: form.from_name.clone(),
                smtp_host: form.smtp_host.clone(),
                smtp_port: port,
                smtp_tls: form.smtp_tls.clone(),
                smtp_username: form.smtp_username.clone(),
                smtp_password: Some(password).filter(|p| !p.is_empty()),
            };
            let (db, keyring, actor, target) =
                (state.db.clone(), state.keyring.clone(), console.staff.actor(), tenant.clone());
            web::block(move || mail_settings::put(&db, &keyring, &target, input, &actor))
                .await
                .map_err(|_| SignInRequired::Unavailable)?
                .map(|_| ())
        }
    };
    match saved {
        Ok(()) => Ok(see_other(&format!("/tenants/{tenant}"))),
        Err(CoreError::Invalid(message)) => {
            let found = match current(&state, &console, &tenant).await? {
                Ok(found) => found,
                Err(not_found) => return Ok(not_found),
            };
            Ok(page(&state, &console, tenant.as_str(), &form, found.as_ref(), Some(message)))
        }
        Err(CoreError::NotFound(_)) => Ok(state.views.not_found(console.locale)),
        Err(_) => Err(SignInRequired::Unavailable),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// `POST /tenants/{slug}/mail/delete`: back to the platform default.
async fn remove(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, SignInRequired> {
    console.check_csrf(&form.csrf)?;
    let Ok(tenant) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let (db, keyring, actor, target) = (state.db.clone(), state.keyring.clone(), console.staff.actor(), tenant.clone());
    match web::block(move || mail_settings::delete(&db, &keyring, &target, &actor))
        .await
        .map_err(|_| SignInRequired::Unavailable)?
    {
        Ok(()) => Ok(see_other(&format!("/tenants/{tenant}"))),
        Err(CoreError::NotFound(_)) => Ok(state.views.not_found(console.locale)),
        Err(_) => Err(SignInRequired::Unavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn errors_land_on_the_field_they_name() {
        assert_eq!(field_of("smtp_host: a host name like smtp.ville.fr"), "smtp_host");
        assert_eq!(field_of("smtp_password: at most 500 characters"), "smtp_password");
        assert_eq!(field_of("csrf: nope"), "form");
        assert_eq!(field_of("something went wrong"), "form");
    }
}
