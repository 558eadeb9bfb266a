//! A tenant's own outgoing mail server (Decidim's per-organisation SMTP settings).
//! Without one, the tenant's mail leaves through the platform's default. The password
//! is sealed with the master key and never shown back.
use diesel::pg::PgConnection;
use serde::Serialize;
use tenant_core::mail::{self, SmtpSettings, SmtpTls, TenantMail};
use tenant_core::names::TenantSlug;
use tenant_core::secrets::Keyring;
use tenant_core::{CoreError, CoreResult, Db};

use crate::audit::{self, Actor};
use crate::identity_providers::tenant_id;

/// The settings as staff see them: everything but the password.
#[derive(Debug, Serialize)]
pub struct MailView {
    pub from_address: String,
    pub from_name: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: &'static str,
    pub smtp_username: String,
    pub password_set: bool,
}

/// What staff send. `smtp_password: None` keeps the stored one.
#[derive(Debug)]
pub struct MailInput {
    pub from_address: String,
    pub from_name: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: String,
    pub smtp_username: String,
    pub smtp_password: Option<String>,
}

fn view(m: &TenantMail) -> MailView {
    MailView {
        from_address: m.from_address.clone(),
        from_name: m.from_name.clone(),
        smtp_host: m.smtp.host.clone(),
        smtp_port: m.smtp.port,
        smtp_tls: m.smtp.tls.as_str(),
        smtp_username: m.smtp.username.clone(),
        password_set: m.smtp.password.is_some(),
    }
}

pub fn get(db: &Db, keyring: &Keyring, slug: &TenantSlug) -> CoreResult<Option<MailView>> {
    db.catalog(|conn| {
        let id = tenant_id(conn, slug)?;
        Ok(mail::tenant_mail(conn, keyring, id)?.as_ref().map(view))
    })
}

/// Checks each field; the error names it (`from_address: ...`).
fn check(input: &MailInput) -> CoreResult<TenantMail> {
    let from_address = input.from_address.trim();
    mail::check_sender(from_address)
        .map_err(|_| CoreError::Invalid("from_address: an address like mairie@ville.fr".into()))?;
    if !from_address.contains('@') {
        return Err(CoreError::Invalid("from_address: an address like mairie@ville.fr".into()));
    }
    let from_name = input.from_name.trim();
    if from_name.chars().count() > 100 || from_name.chars().any(char::is_control) {
        return Err(CoreError::Invalid("from_name: at most 100 characters, no line breaks".into()));
    }
    let host = input.smtp_host.trim();
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(CoreError::Invalid("smtp_host: a host name like smtp.ville.fr".into()));
    }
    if input.smtp_port == 0 {
        return Err(CoreError::Invalid("smtp_port: 1 to 65535".into()));
    }
    let tls =
        SmtpTls::parse(&input.smtp_tls).map_err(|_| CoreError::Invalid("smtp_tls: none, starttls or tls".into()))?;
    if input.smtp_username.len() > 200 {
        return Err(CoreError::Invalid("smtp_username: at most 200 characters".into()));
    }
    if input.smtp_password.as_ref().is_some_and(|p| p.len() > 500) {
        return Err(CoreError::Invalid("smtp_password: at most 500 characters".into()));
    }
    Ok(TenantMail {
        from_address: from_address.to_owned(),
        from_name: from_name.to_owned(),
        smtp: SmtpSettings {
            host: host.to_owned(),
            port: input.smtp_port,
            tls,
            username: input.smtp_username.trim().to_owned(),
            password: None,
        },
    })
}

pub fn put(db: &Db, keyring: &Keyring, slug: &TenantSlug, input: MailInput, actor: &Actor) -> CoreResult<MailView> {
    let settings = check(&input)?;
    db.catalog(|conn: &mut PgConnection| {
        let id = tenant_id(conn, slug)?;
        let before = mail::tenant_mail(conn, keyring, id)?.as_ref().map(view);
        mail::put_tenant_mail(conn, keyring, id, &settings, input.smtp_password.as_deref().filter(|p| !p.is_empty()))?;
        let after = mail::tenant_mail(conn, keyring, id)?
            .as_ref()
            .map(view)
            .ok_or_else(|| CoreError::NotFound("mail settings".into()))?;
        audit::record(
            conn,
            actor,
            "tenant.mail.put",
            Some(slug.as_str()),
            before.and_then(|b| serde_json::to_value(b).ok()),
            serde_json::to_value(&after).ok(),
        )?;
        Ok(after)
    })
}

pub fn delete(db: &Db, keyring: &Keyring, slug: &TenantSlug, actor: &Actor) -> CoreResult<()> {
    db.catalog(|conn| {
        let id = tenant_id(conn, slug)?;
        let before = mail::tenant_mail(conn, keyring, id)?.as_ref().map(view);
        let Some(before) = before else { return Err(CoreError::NotFound("this tenant has no mail settings".into())) };
        mail::delete_tenant_mail(conn, id)?;
        audit::record(conn, actor, "tenant.mail.delete", Some(slug.as_str()), serde_json::to_value(before).ok(), None)
    })
}
