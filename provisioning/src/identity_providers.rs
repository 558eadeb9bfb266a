//! A tenant's sign-in providers: FranceConnect or any OpenID Connect provider.
//!
//! The client secret is sealed with the platform's master key, bound to its tenant
//! and provider (a sealed value copied to another row does not open), and never
//! shown back: views say only whether one is set.
use diesel::prelude::*;
use serde::Serialize;
use tenant_core::names::TenantSlug;
use tenant_core::schema::catalog::{staff_accounts, tenant_identity_providers as idp, tenants};
use tenant_core::secrets::{Keyring, SecretString};
use tenant_core::{CoreError, CoreResult, Db};
use uuid::Uuid;

use crate::audit::{self, Actor};

/// The scopes FranceConnect partners ask for by default (its identity claims).
pub const FRANCECONNECT_SCOPES: &[&str] = &[
    "openid",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    FranceConnect,
    Oidc,
}

impl ProviderKind {
    pub fn parse(raw: &str) -> CoreResult<Self> {
        match raw {
            "franceconnect" => Ok(Self::FranceConnect),
            "oidc" => Ok(Self::Oidc),
            other => Err(CoreError::Invalid(format!("unknown provider kind {other:?}: use franceconnect or oidc"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FranceConnect => "franceconnect",
            Self::Oidc => "oidc",
        }
    }
}

/// Settings as staff send them. `client_secret` may be left out to keep the one set.
#[derive(Debug)]
pub struct ProviderInput {
    pub kind: ProviderKind,
    pub label: Option<String>,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub scopes: Option<Vec<String>>,
    pub acr_values: Option<String>,
    pub enabled: bool,
}

/// A provider as staff see it: everything but the secret.
#[derive(Debug, Serialize, Queryable)]
pub struct ProviderView {
    pub key: String,
    pub kind: String,
    pub label: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub acr_values: Option<String>,
    pub enabled: bool,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn context(tenant: Uuid, key: &str) -> String {
    format!("tenant_idp:{tenant}:{key}")
}

/// A provider key: `^[a-z][a-z0-9_-]{1,39}$` (it appears in `/auth/{key}/login`).
pub fn check_key(key: &str) -> CoreResult<()> {
    let b = key.as_bytes();
    let ok = (2..=40).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!("invalid provider key {key:?}: 2 to 40 lowercase letters, digits, - or _")))
    }
}

/// An issuer URL: https, or http on the local machine (test providers).
fn check_issuer(issuer: &str) -> CoreResult<()> {
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|p| issuer.starts_with(p));
    let valid_chars = !issuer.chars().any(|c| c.is_whitespace() || c.is_control());
    if (issuer.starts_with("https://") || local) && valid_chars && issuer.len() <= 500 {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!(
            "invalid issuer {issuer:?}: an https:// URL (http only on 127.0.0.1 or localhost)"
        )))
    }
}

pub(crate) fn tenant_id(conn: &mut PgConnection, slug: &TenantSlug) -> CoreResult<Uuid> {
    tenants::table
        .filter(tenants::slug.eq(slug.as_str()))
        .select(tenants::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("no tenant with slug {:?}", slug.as_str())))
}

fn views(conn: &mut PgConnection, tenant: Uuid, key: Option<&str>) -> CoreResult<Vec<ProviderView>> {
    let mut q = idp::table
        .filter(idp::tenant_id.eq(tenant))
        .select((
            idp::key,
            idp::kind,
            idp::label,
            idp::issuer,
            idp::client_id,
            idp::scopes,
            idp::acr_values,
            idp::enabled,
            idp::updated_at,
        ))
        .order(idp::key)
        .into_boxed();
    if let Some(k) = key {
        q = q.filter(idp::key.eq(k.to_owned()));
    }
    Ok(q.load(conn)?)
}

pub fn list(db: &Db, slug: &TenantSlug) -> CoreResult<Vec<ProviderView>> {
    db.catalog(|conn| {
        let id = tenant_id(conn, slug)?;
        views(conn, id, None)
    })
}

/// Creates or replaces a provider's settings.
pub fn put(
    db: &Db,
    keyring: &Keyring,
    slug: &TenantSlug,
    key: &str,
    input: ProviderInput,
    actor: &Actor,
) -> CoreResult<ProviderView> {
    check_key(key)?;
    check_issuer(&input.issuer)?;
    let client_id = input.client_id.trim().to_owned();
    if client_id.is_empty() || client_id.len() > 500 {
        return Err(CoreError::Invalid("client_id must have 1 to 500 characters".into()));
    }
    let scopes: Vec<String> = match (input.scopes, input.kind) {
        (Some(s), _) => s.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        (None, ProviderKind::FranceConnect) => FRANCECONNECT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        (None, ProviderKind::Oidc) => vec!["openid".into(), "email".into(), "profile".into()],
    };
    if !scopes.iter().any(|s| s == "openid") {
        return Err(CoreError::Invalid("scopes must include openid".into()));
    }
    if scopes.iter().any(|s| !s.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')) {
        return Err(CoreError::Invalid("a scope is a word without spaces or quotes".into()));
    }
    let acr_values = match (input.acr_values, input.kind) {
        (Some(a), _) if !a.trim().is_empty() => Some(a.trim().to_owned()),
        (_, ProviderKind::FranceConnect) => Some("eidas1".to_owned()),
        _ => None,
    };
    let label =
        input.label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).unwrap_or_else(|| match input.kind {
            ProviderKind::FranceConnect => "S'identifier avec FranceConnect".to_owned(),
            ProviderKind::Oidc => "Se connecter".to_owned(),
        });
    if label.chars().count() > 100 {
        return Err(CoreError::Invalid("the label has at most 100 characters".into()));
    }
    db.catalog(|conn| {
        let tenant = tenant_id(conn, slug)?;
        let before = views(conn, tenant, Some(key))?.pop();
        let sealed = match &input.client_secret {
            Some(secret) if !secret.expose().is_empty() => Some(
                keyring
                    .seal(secret.expose().as_bytes(), &context(tenant, key))
                    .map_err(|e| CoreError::Invalid(e.to_string()))?,
            ),
            _ => None,
        };
        // Without a new secret, the one already sealed for this provider is kept.
        let stored: String = match (&sealed, &before) {
            (Some(s), _) => s.clone(),
            (None, Some(_)) => idp::table.find((tenant, key)).select(idp::client_secret_enc).first(conn)?,
            (None, None) => return Err(CoreError::Invalid("client_secret is required for a new provider".into())),
        };
        diesel::insert_into(idp::table)
            .values((
                idp::tenant_id.eq(tenant),
                idp::key.eq(key),
                idp::kind.eq(input.kind.as_str()),
                idp::label.eq(&label),
                idp::issuer.eq(&input.issuer),
                idp::client_id.eq(&client_id),
                idp::client_secret_enc.eq(&stored),
                idp::scopes.eq(&scopes),
                idp::acr_values.eq(&acr_values),
                idp::enabled.eq(input.enabled),
            ))
            .on_conflict((idp::tenant_id, idp::key))
            .do_update()
            .set((
                idp::kind.eq(input.kind.as_str()),
                idp::label.eq(&label),
                idp::issuer.eq(&input.issuer),
                idp::client_id.eq(&client_id),
                idp::client_secret_enc.eq(&stored),
                idp::scopes.eq(&scopes),
                idp::acr_values.eq(&acr_values),
                idp::enabled.eq(input.enabled),
                idp::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        let after =
            views(conn, tenant, Some(key))?.pop().ok_or_else(|| CoreError::NotFound("provider vanished".into()))?;
        audit::record(
            conn,
            actor,
            "tenant.identity_provider.put",
            Some(slug.as_str()),
            before.as_ref().and_then(|b| serde_json::to_value(b).ok()),
            Some(serde_json::json!({ "provider": &after, "client_secret_changed": sealed.is_some() })),
        )?;
        Ok(after)
    })
}

pub fn delete(db: &Db, slug: &TenantSlug, key: &str, actor: &Actor) -> CoreResult<()> {
    db.catalog(|conn| {
        let tenant = tenant_id(conn, slug)?;
        let before =
            views(conn, tenant, Some(key))?.pop().ok_or_else(|| CoreError::NotFound(format!("no provider {key:?}")))?;
        diesel::delete(idp::table.find((tenant, key))).execute(conn)?;
        audit::record(
            conn,
            actor,
            "tenant.identity_provider.delete",
            Some(slug.as_str()),
            serde_json::to_value(&before).ok(),
            None,
        )
    })
}

/// The client secret, for the sign-in flow.
pub fn client_secret(db: &Db, keyring: &Keyring, tenant: Uuid, key: &str) -> CoreResult<SecretString> {
    let sealed: String = db.catalog(|conn| {
        idp::table
            .find((tenant, key))
            .select(idp::client_secret_enc)
            .first(conn)
            .optional()?
            .ok_or_else(|| CoreError::NotFound(format!("no provider {key:?}")))
    })?;
    keyring.open_string(&sealed, &context(tenant, key)).map_err(|e| CoreError::Invalid(e.to_string()))
}

/// Re-seals every stored secret sealed by an older key with the current one
/// (`civitas secrets rotate`). Returns how many were re-sealed.
pub fn reseal_all(db: &Db, keyring: &Keyring) -> CoreResult<usize> {
    db.catalog(|conn| {
        let mut count = 0;
        let providers: Vec<(Uuid, String, String)> =
            idp::table.select((idp::tenant_id, idp::key, idp::client_secret_enc)).for_update().load(conn)?;
        for (tenant, key, sealed) in providers {
            if keyring.needs_rotation(&sealed) {
                let fresh =
                    keyring.reseal(&sealed, &context(tenant, &key)).map_err(|e| CoreError::Invalid(e.to_string()))?;
                diesel::update(idp::table.find((tenant, &key))).set(idp::client_secret_enc.eq(fresh)).execute(conn)?;
                count += 1;
            }
        }
        let staff: Vec<(Uuid, Option<String>)> = staff_accounts::table
            .select((staff_accounts::id, staff_accounts::totp_secret_enc))
            .for_update()
            .load(conn)?;
        for (id, sealed) in staff {
            let Some(sealed) = sealed else { continue };
            if keyring.needs_rotation(&sealed) {
                let fresh = keyring
                    .reseal(&sealed, &format!("staff_totp:{id}"))
                    .map_err(|e| CoreError::Invalid(e.to_string()))?;
                diesel::update(staff_accounts::table.find(id))
                    .set(staff_accounts::totp_secret_enc.eq(fresh))
                    .execute(conn)?;
                count += 1;
            }
        }
        // Tenants' hashing keys and mail server passwords.
        count += tenant_core::catalog::keys::reseal_all(conn, keyring)?;
        count += tenant_core::mail::reseal_all(conn, keyring)?;
        // Database cluster URLs.
        count += tenant_core::catalog::clusters::reseal_all(conn, keyring)?;
        audit::record(
            conn,
            &Actor::cli(),
            "secrets.rotate",
            None,
            None,
            Some(serde_json::json!({ "resealed": count, "key_id": keyring.current_key_id() })),
        )?;
        Ok(count)
    })
}

/// A provider as the sign-in flow needs it: its settings and its opened secret.
#[derive(Debug)]
pub struct SignInProvider {
    pub key: String,
    pub kind: ProviderKind,
    pub label: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: Vec<String>,
    pub acr_values: Option<String>,
}

/// The tenant's enabled providers, for its sign-in page.
pub fn enabled(db: &Db, tenant: Uuid) -> CoreResult<Vec<ProviderView>> {
    db.catalog(|conn| Ok(views(conn, tenant, None)?.into_iter().filter(|p| p.enabled).collect()))
}

/// kind, label, issuer, client id, sealed secret, scopes, acr values, enabled.
type ProviderRow = (String, String, String, String, String, Vec<String>, Option<String>, bool);

/// An enabled provider of the tenant, secret opened; `None` when there is no such
/// enabled provider.
pub fn for_sign_in(db: &Db, keyring: &Keyring, tenant: Uuid, key: &str) -> CoreResult<Option<SignInProvider>> {
    let row: Option<ProviderRow> = db.catalog(|conn| {
        Ok(idp::table
            .find((tenant, key))
            .select((
                idp::kind,
                idp::label,
                idp::issuer,
                idp::client_id,
                idp::client_secret_enc,
                idp::scopes,
                idp::acr_values,
                idp::enabled,
            ))
            .first(conn)
            .optional()?)
    })?;
    let Some((kind, label, issuer, client_id, sealed, scopes, acr_values, true)) = row else { return Ok(None) };
    let client_secret =
        keyring.open_string(&sealed, &context(tenant, key)).map_err(|e| CoreError::Invalid(e.to_string()))?;
    Ok(Some(SignInProvider {
        key: key.to_owned(),
        kind: ProviderKind::parse(&kind)?,
        label,
        issuer,
        client_id,
        client_secret,
        scopes,
        acr_values,
    }))
}
