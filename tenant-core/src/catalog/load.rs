//! Reading tenants out of the catalog.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::error::{CoreError, CoreResult};
use crate::names::{ClusterName, Color, HostName, Locale, ModuleName, SchemaName, TenantSlug, ThemeName};
use crate::schema::catalog::{tenant_hosts, tenant_modules, tenants};
use crate::tenant::{Tenant, TenantStatus};

#[derive(Queryable, Selectable)]
#[diesel(table_name = tenants)]
struct TenantRow {
    id: Uuid,
    slug: String,
    schema_name: String,
    name: String,
    description: serde_json::Value,
    status: String,
    theme: String,
    primary_color: String,
    locales: Vec<String>,
    default_locale: String,
    logo_key: Option<String>,
    revision: i64,
    created_at: chrono::DateTime<chrono::Utc>,
    max_users: Option<i32>,
    max_storage_bytes: Option<i64>,
    cluster: String,
    read_only: bool,
}

/// Every tenant with its hosts and modules, in three queries.
pub fn load_all(conn: &mut PgConnection) -> CoreResult<Vec<Tenant>> {
    let rows: Vec<TenantRow> = tenants::table.select(TenantRow::as_select()).order(tenants::slug).load(conn)?;
    let hosts: Vec<(Uuid, String, bool)> = tenant_hosts::table
        .select((tenant_hosts::tenant_id, tenant_hosts::host, tenant_hosts::is_primary))
        .order((tenant_hosts::tenant_id, tenant_hosts::is_primary.desc(), tenant_hosts::host))
        .load(conn)?;
    let modules: Vec<(Uuid, String)> =
        tenant_modules::table.select((tenant_modules::tenant_id, tenant_modules::module)).load(conn)?;
    assemble(rows, hosts, modules)
}

/// One tenant by slug.
pub fn load_one(conn: &mut PgConnection, slug: &TenantSlug) -> CoreResult<Tenant> {
    let row: TenantRow = tenants::table
        .filter(tenants::slug.eq(slug.as_str()))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("no tenant with slug {slug:?}")))?;
    let id = row.id;
    let hosts: Vec<(Uuid, String, bool)> = tenant_hosts::table
        .filter(tenant_hosts::tenant_id.eq(id))
        .select((tenant_hosts::tenant_id, tenant_hosts::host, tenant_hosts::is_primary))
        .order((tenant_hosts::is_primary.desc(), tenant_hosts::host))
        .load(conn)?;
    let modules: Vec<(Uuid, String)> = tenant_modules::table
        .filter(tenant_modules::tenant_id.eq(id))
        .select((tenant_modules::tenant_id, tenant_modules::module))
        .load(conn)?;
    assemble(vec![row], hosts, modules)?
        .pop()
        .ok_or_else(|| CoreError::NotFound(format!("tenant {slug:?} has no primary host")))
}

fn assemble(
    rows: Vec<TenantRow>,
    hosts: Vec<(Uuid, String, bool)>,
    modules: Vec<(Uuid, String)>,
) -> CoreResult<Vec<Tenant>> {
    let mut hosts_by: HashMap<Uuid, Vec<(HostName, bool)>> = HashMap::new();
    for (id, host, primary) in hosts {
        hosts_by.entry(id).or_default().push((HostName::parse(&host)?, primary));
    }
    let mut modules_by: HashMap<Uuid, BTreeSet<ModuleName>> = HashMap::new();
    for (id, module) in modules {
        // A module name this build does not know (written by a newer version) is skipped.
        if let Ok(m) = ModuleName::parse(&module) {
            modules_by.entry(id).or_default().insert(m);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let hosts = hosts_by.remove(&row.id).unwrap_or_default();
        let Some(primary) = hosts.iter().find(|(_, p)| *p).map(|(h, _)| h.clone()) else {
            tracing::warn!(slug = %row.slug, "tenant without a primary host is not served");
            continue;
        };
        let locales = row.locales.iter().map(|l| Locale::parse(l)).collect::<Result<Vec<_>, _>>()?;
        let description = match row.description {
            serde_json::Value::Object(map) => {
                map.into_iter().filter_map(|(k, v)| Some((Locale::parse(&k).ok()?, v.as_str()?.to_owned()))).collect()
            }
            _ => BTreeMap::new(),
        };
        out.push(Tenant {
            id: row.id,
            slug: TenantSlug::parse(&row.slug)?,
            schema: SchemaName::parse(&row.schema_name)?,
            name: row.name,
            description,
            status: TenantStatus::parse(&row.status)?,
            theme: ThemeName::parse(&row.theme)?,
            primary_color: Color::parse(&row.primary_color)?,
            default_locale: Locale::parse(&row.default_locale)?,
            locales,
            logo_key: row.logo_key,
            modules: modules_by.remove(&row.id).unwrap_or_default(),
            primary_host: primary,
            hosts: hosts.into_iter().map(|(h, _)| h).collect(),
            revision: row.revision,
            created_at: row.created_at,
            max_users: row.max_users,
            max_storage_bytes: row.max_storage_bytes,
            cluster: ClusterName::parse(&row.cluster)?,
            read_only: row.read_only,
        });
    }
    Ok(out)
}
