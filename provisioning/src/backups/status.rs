//! What the catalog says of past backups: for `civitas backup list`, restores and
//! the metrics.
use diesel::prelude::*;
use tenant_core::names::TenantSlug;
use tenant_core::schema::catalog::{backups, tenants};
use tenant_core::{catalog, CoreResult, Db};
use uuid::Uuid;

/// One backup's catalog row.
#[derive(Debug, Clone, serde::Serialize, Queryable, Selectable)]
#[diesel(table_name = backups)]
pub struct BackupRow {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    /// The tenant's slug when it was backed up; empty for the catalog.
    pub slug: String,
    pub status: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub manifest_key: Option<String>,
    pub manifest_sha256: Option<String>,
    pub size_bytes: Option<i64>,
    pub error: Option<String>,
}

/// Backups, newest first: every one of tenant `slug`, or, without a slug, the latest
/// of each tenant and of the catalog.
pub fn list_backups(db: &Db, slug: Option<&TenantSlug>) -> CoreResult<Vec<BackupRow>> {
    db.catalog(|conn| match slug {
        Some(slug) => {
            let tenant = catalog::load_one(conn, slug)?;
            Ok(backups::table
                .filter(backups::tenant_id.eq(tenant.id))
                .order(backups::started_at.desc())
                .select(BackupRow::as_select())
                .load(conn)?)
        }
        None => Ok(backups::table
            .distinct_on(backups::tenant_id)
            .order((backups::tenant_id, backups::started_at.desc()))
            .select(BackupRow::as_select())
            .load(conn)?),
    })
}

/// One page of backups, newest first: every backup (of the tenants and the catalog),
/// or those of tenant `slug`; `offset` rows skipped, at most `limit` returned.
pub fn list_page(db: &Db, slug: Option<&TenantSlug>, limit: i64, offset: i64) -> CoreResult<Vec<BackupRow>> {
    db.catalog(|conn| {
        let mut query = backups::table
            .order((backups::started_at.desc(), backups::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(BackupRow::as_select())
            .into_boxed();
        if let Some(slug) = slug {
            let tenant = catalog::load_one(conn, slug)?;
            query = query.filter(backups::tenant_id.eq(tenant.id));
        }
        Ok(query.load(conn)?)
    })
}

/// The age of the backups, for the metrics.
#[derive(Debug, Default)]
pub struct BackupsHealth {
    /// Each tenant (not being deleted) with a successful backup: its slug and the
    /// Unix time that backup finished.
    pub last_success: Vec<(String, i64)>,
    /// Tenants (not being deleted) without any successful backup.
    pub never_backed_up: i64,
    /// When the catalog's last successful backup finished (0: never).
    pub catalog_last_success: i64,
}

pub fn last_successes(db: &Db) -> CoreResult<BackupsHealth> {
    db.catalog(|conn| {
        let rows: Vec<(String, Option<chrono::DateTime<chrono::Utc>>)> = tenants::table
            .left_join(
                backups::table.on(backups::tenant_id.eq(tenants::id.nullable()).and(backups::status.eq("succeeded"))),
            )
            .filter(tenants::status.ne("deleting"))
            .group_by(tenants::slug)
            .select((tenants::slug, diesel::dsl::max(backups::finished_at.nullable())))
            .load(conn)?;
        let catalog: Option<chrono::DateTime<chrono::Utc>> = backups::table
            .filter(backups::tenant_id.is_null().and(backups::status.eq("succeeded")))
            .select(diesel::dsl::max(backups::finished_at))
            .first(conn)?;
        let mut health = BackupsHealth {
            catalog_last_success: catalog.map(|t| t.timestamp()).unwrap_or(0),
            ..BackupsHealth::default()
        };
        for (slug, last) in rows {
            match last {
                Some(at) => health.last_success.push((slug, at.timestamp())),
                None => health.never_backed_up += 1,
            }
        }
        Ok(health)
    })
}
