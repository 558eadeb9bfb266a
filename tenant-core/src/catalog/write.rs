//! Writing tenants into the catalog. Callers run these inside one transaction.
use std::collections::BTreeMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::error::{CoreError, CoreResult};
use crate::names::{ClusterName, Color, HostName, Locale, ModuleName, TenantSlug, ThemeName};
use crate::schema::catalog::{tenant_hosts, tenant_modules, tenants};
use crate::tenant::TenantStatus;

/// Everything needed to register a tenant. Hosts: the first is the primary.
#[derive(Clone, Debug)]
pub struct NewTenant {
    pub id: Uuid,
    pub slug: TenantSlug,
    pub name: String,
    pub description: BTreeMap<Locale, String>,
    pub status: TenantStatus,
    pub theme: ThemeName,
    pub primary_color: Color,
    pub locales: Vec<Locale>,
    pub hosts: Vec<HostName>,
    pub modules: Vec<ModuleName>,
    pub logo_key: Option<String>,
    /// The provisioning job creating it, so a resumed job recognises its own work.
    pub created_by_job: Option<Uuid>,
    pub max_users: Option<i32>,
    pub max_storage_bytes: Option<i64>,
    /// The database cluster its schema lives on.
    pub cluster: ClusterName,
}

/// Inserts the tenant, its hosts and modules; a taken slug or host is a `Conflict`
/// naming the culprit.
pub fn insert_tenant(conn: &mut PgConnection, t: &NewTenant) -> CoreResult<()> {
    let taken_slug: Option<String> =
        tenants::table.filter(tenants::slug.eq(t.slug.as_str())).select(tenants::slug).first(conn).optional()?;
    if taken_slug.is_some() {
        return Err(CoreError::Conflict(format!("a tenant with slug {:?} already exists", t.slug.as_str())));
    }
    let host_strs: Vec<&str> = t.hosts.iter().map(HostName::as_str).collect();
    let taken: Vec<(String, String)> = tenant_hosts::table
        .inner_join(tenants::table)
        .filter(tenant_hosts::host.eq_any(&host_strs))
        .select((tenant_hosts::host, tenants::slug))
        .load(conn)?;
    if let Some((host, owner)) = taken.first() {
        return Err(CoreError::Conflict(format!("the host {host:?} is already used by tenant {owner:?}")));
    }
    let description: serde_json::Map<String, serde_json::Value> =
        t.description.iter().map(|(l, d)| (l.as_str().to_owned(), d.clone().into())).collect();
    let locales: Vec<&str> = t.locales.iter().map(|l| l.as_str()).collect();
    let default_locale =
        t.locales.first().ok_or_else(|| CoreError::Invalid("a tenant needs at least one locale".into()))?;
    diesel::insert_into(tenants::table)
        .values((
            tenants::id.eq(t.id),
            tenants::slug.eq(t.slug.as_str()),
            tenants::schema_name.eq(t.slug.schema().as_str()),
            tenants::name.eq(&t.name),
            tenants::description.eq(serde_json::Value::Object(description)),
            tenants::status.eq(t.status.as_str()),
            tenants::theme.eq(t.theme.as_str()),
            tenants::primary_color.eq(t.primary_color.to_string()),
            tenants::locales.eq(&locales),
            tenants::default_locale.eq(default_locale.as_str()),
            tenants::logo_key.eq(&t.logo_key),
            tenants::created_by_job.eq(t.created_by_job),
            tenants::max_users.eq(t.max_users),
            tenants::max_storage_bytes.eq(t.max_storage_bytes),
            tenants::cluster.eq(t.cluster.as_str()),
        ))
        .execute(conn)
        .map_err(conflict_as_message)?;
    let host_rows: Vec<_> = t
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (tenant_hosts::host.eq(h.as_str()), tenant_hosts::tenant_id.eq(t.id), tenant_hosts::is_primary.eq(i == 0))
        })
        .collect();
    diesel::insert_into(tenant_hosts::table).values(&host_rows).execute(conn).map_err(conflict_as_message)?;
    let module_rows: Vec<_> =
        t.modules.iter().map(|m| (tenant_modules::tenant_id.eq(t.id), tenant_modules::module.eq(m.as_str()))).collect();
    if !module_rows.is_empty() {
        diesel::insert_into(tenant_modules::table).values(&module_rows).execute(conn)?;
    }
    Ok(())
}

/// Sets a tenant's status; returns the previous one.
pub fn set_status(conn: &mut PgConnection, slug: &TenantSlug, status: TenantStatus) -> CoreResult<TenantStatus> {
    let previous: Option<String> = tenants::table
        .filter(tenants::slug.eq(slug.as_str()))
        .select(tenants::status)
        .for_update()
        .first(conn)
        .optional()?;
    let previous = previous.ok_or_else(|| CoreError::NotFound(format!("no tenant with slug {:?}", slug.as_str())))?;
    diesel::update(tenants::table.filter(tenants::slug.eq(slug.as_str())))
        .set((
            tenants::status.eq(status.as_str()),
            tenants::revision.eq(tenants::revision + 1),
            tenants::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    TenantStatus::parse(&previous)
}

/// A unique violation that raced past the checks above still reads as a person would say it.
fn conflict_as_message(e: DieselError) -> CoreError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => CoreError::Conflict(format!(
            "already taken ({}): another tenant was created with the same slug or host",
            info.constraint_name().unwrap_or("unique constraint")
        )),
        other => other.into(),
    }
}

/// What to change on a tenant; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct TenantChanges {
    pub name: Option<String>,
    pub description: Option<BTreeMap<Locale, String>>,
    pub theme: Option<ThemeName>,
    pub primary_color: Option<Color>,
    /// The first is the default locale.
    pub locales: Option<Vec<Locale>>,
    /// The whole list; the first is the primary host.
    pub hosts: Option<Vec<HostName>>,
    /// The whole set. Switching a module off hides it; its data stays.
    pub modules: Option<Vec<ModuleName>>,
    pub logo_key: Option<Option<String>>,
    /// `Some(None)` removes the limit.
    pub max_users: Option<Option<i32>>,
    pub max_storage_bytes: Option<Option<i64>>,
}

/// Applies `changes` inside the caller's transaction. A host used by another tenant
/// is a `Conflict` naming it.
pub fn update_tenant(conn: &mut PgConnection, slug: &TenantSlug, changes: &TenantChanges) -> CoreResult<()> {
    let id: Uuid = tenants::table
        .filter(tenants::slug.eq(slug.as_str()))
        .select(tenants::id)
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("no tenant with slug {:?}", slug.as_str())))?;
    let row = tenants::table.find(id);
    if let Some(name) = &changes.name {
        diesel::update(row).set(tenants::name.eq(name)).execute(conn)?;
    }
    if let Some(description) = &changes.description {
        let map: serde_json::Map<String, serde_json::Value> =
            description.iter().map(|(l, d)| (l.as_str().to_owned(), d.clone().into())).collect();
        diesel::update(row).set(tenants::description.eq(serde_json::Value::Object(map))).execute(conn)?;
    }
    if let Some(theme) = &changes.theme {
        diesel::update(row).set(tenants::theme.eq(theme.as_str())).execute(conn)?;
    }
    if let Some(color) = &changes.primary_color {
        diesel::update(row).set(tenants::primary_color.eq(color.to_string())).execute(conn)?;
    }
    if let Some(locales) = &changes.locales {
        let default = locales.first().ok_or_else(|| CoreError::Invalid("a tenant needs at least one locale".into()))?;
        let codes: Vec<&str> = locales.iter().map(|l| l.as_str()).collect();
        diesel::update(row)
            .set((tenants::locales.eq(&codes), tenants::default_locale.eq(default.as_str())))
            .execute(conn)?;
    }
    if let Some(max) = changes.max_users {
        diesel::update(row).set(tenants::max_users.eq(max)).execute(conn)?;
    }
    if let Some(max) = changes.max_storage_bytes {
        diesel::update(row).set(tenants::max_storage_bytes.eq(max)).execute(conn)?;
    }
    if let Some(logo) = &changes.logo_key {
        diesel::update(row).set(tenants::logo_key.eq(logo)).execute(conn)?;
    }
    if let Some(hosts) = &changes.hosts {
        if hosts.is_empty() {
            return Err(CoreError::Invalid("a tenant needs at least one host".into()));
        }
        let names: Vec<&str> = hosts.iter().map(HostName::as_str).collect();
        let taken: Option<(String, String)> = tenant_hosts::table
            .inner_join(tenants::table)
            .filter(tenant_hosts::host.eq_any(&names).and(tenant_hosts::tenant_id.ne(id)))
            .select((tenant_hosts::host, tenants::slug))
            .first(conn)
            .optional()?;
        if let Some((host, owner)) = taken {
            return Err(CoreError::Conflict(format!("the host {host:?} is already used by tenant {owner:?}")));
        }
        diesel::delete(tenant_hosts::table.filter(tenant_hosts::tenant_id.eq(id))).execute(conn)?;
        let rows: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (tenant_hosts::host.eq(*h), tenant_hosts::tenant_id.eq(id), tenant_hosts::is_primary.eq(i == 0))
            })
            .collect();
        diesel::insert_into(tenant_hosts::table).values(&rows).execute(conn).map_err(conflict_as_message)?;
    }
    if let Some(modules) = &changes.modules {
        diesel::delete(tenant_modules::table.filter(tenant_modules::tenant_id.eq(id))).execute(conn)?;
        let rows: Vec<_> =
            modules.iter().map(|m| (tenant_modules::tenant_id.eq(id), tenant_modules::module.eq(m.as_str()))).collect();
        if !rows.is_empty() {
            diesel::insert_into(tenant_modules::table).values(&rows).execute(conn)?;
        }
    }
    diesel::update(row)
        .set((tenants::revision.eq(tenants::revision + 1), tenants::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(())
}
