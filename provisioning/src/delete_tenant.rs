//! Deleting a tenant: offline at once (`deleting`, 503 on its hosts), purged once
//! its retention period is over by a job that drops the schema, the catalog rows
//! (freeing its hosts) and its files. The audit log keeps the fact. Resuming the
//! tenant during the retention period cancels the purge.
use std::sync::Arc;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use tenant_core::blob::BlobStore;
use tenant_core::names::{ClusterName, SchemaName, TenantSlug};
use tenant_core::schema::catalog::{tenant_exports, tenants};
use tenant_core::{catalog, CoreError, CoreResult, Db, TenantStatus};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::jobs::{self, JobContext, JobHandler, NewJob};

pub const KIND: &str = "purge_tenant";
/// The longest retention period staff may choose.
pub const MAX_RETENTION_DAYS: i64 = 90;

#[derive(Serialize, Deserialize)]
struct Payload {
    tenant_id: Uuid,
    slug: String,
}

/// Takes the tenant offline and queues its purge after `retention_days`. Without an
/// export to fall back on, the caller must waive it explicitly.
pub fn delete_tenant(
    db: &Db,
    slug: &TenantSlug,
    retention_days: i64,
    export_waived: bool,
    actor: &Actor,
) -> CoreResult<Uuid> {
    let exported = db.catalog(|conn| {
        let id = catalog::load_one(conn, slug)?.id;
        Ok(diesel::select(diesel::dsl::exists(tenant_exports::table.filter(tenant_exports::tenant_id.eq(id))))
            .get_result::<bool>(conn)?)
    })?;
    if !exported && !export_waived {
        return Err(CoreError::Invalid(
            "deleting a tenant needs an export first; to delete without one, waive it explicitly (export_waived: true)"
                .into(),
        ));
    }
    if !(0..=MAX_RETENTION_DAYS).contains(&retention_days) {
        return Err(CoreError::Invalid(format!("the retention period is 0 to {MAX_RETENTION_DAYS} days")));
    }
    let purge_after = chrono::Utc::now() + chrono::Duration::days(retention_days);
    db.catalog(|conn| {
        let before = catalog::load_one(conn, slug)?;
        if before.status == TenantStatus::Deleting {
            return Err(CoreError::Conflict(format!("tenant {:?} is already being deleted", slug.as_str())));
        }
        diesel::update(tenants::table.find(before.id))
            .set((
                tenants::status.eq(TenantStatus::Deleting.as_str()),
                tenants::purge_after.eq(purge_after),
                tenants::revision.eq(tenants::revision + 1),
                tenants::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        let payload = serde_json::to_value(Payload { tenant_id: before.id, slug: slug.to_string() })
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let id = jobs::enqueue(
            conn,
            NewJob {
                kind: KIND,
                tenant_slug: Some(slug.as_str()),
                payload,
                created_by: actor.as_str(),
                max_attempts: 10,
            },
        )?;
        diesel::update(tenant_core::schema::catalog::jobs::table.find(id))
            .set(tenant_core::schema::catalog::jobs::run_after.eq(purge_after))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "tenant.delete",
            Some(slug.as_str()),
            Some(serde_json::json!({ "status": before.status.as_str() })),
            Some(
                serde_json::json!({ "status": "deleting", "purge_after": purge_after, "exported": exported, "export_waived": export_waived }),
            ),
        )?;
        Ok(id)
    })
}

/// The purge job's handler.
pub struct PurgeTenantJob {
    pub blobs: Arc<dyn BlobStore>,
}

impl JobHandler for PurgeTenantJob {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn steps(&self) -> &'static [&'static str] {
        &["drop", "files"]
    }

    fn run(&self, ctx: &mut JobContext) -> CoreResult<serde_json::Value> {
        let payload: Payload = ctx.payload()?;
        let found: Option<(String, String)> = ctx.db.catalog(|conn| {
            Ok(tenants::table
                .find(payload.tenant_id)
                .select((tenants::status, tenants::cluster))
                .first(conn)
                .optional()?)
        })?;
        let (status, cluster) = match found {
            Some((status, cluster)) => (Some(status), ClusterName::parse(&cluster)?),
            None => (None, ClusterName::main()),
        };
        if status.is_some() && status.as_deref() != Some(TenantStatus::Deleting.as_str()) && !ctx.is_done("drop") {
            // Resumed during its retention period: nothing to purge.
            return Ok(serde_json::json!({ "purged": false, "reason": "the deletion was cancelled" }));
        }
        let slug = payload.slug.clone();
        let db = ctx.db.clone();
        ctx.step("drop", |conn| {
            let schema = SchemaName::parse(&format!("t_{slug}"))?;
            if !cluster.is_main() {
                // Committed there first: dropping an absent schema again is harmless.
                db.on_cluster(&cluster, |tconn| {
                    diesel::sql_query(format!("DROP SCHEMA IF EXISTS {} CASCADE", schema.quoted())).execute(tconn)?;
                    Ok(())
                })?;
            }
            diesel::sql_query(format!("DROP SCHEMA IF EXISTS {} CASCADE", schema.quoted())).execute(conn)?;
            diesel::delete(tenants::table.find(payload.tenant_id)).execute(conn)?;
            audit::record(conn, &Actor::system(), "tenant.purge", Some(&slug), None, None)
        })?;
        let blobs = Arc::clone(&self.blobs);
        ctx.step_outside("files", || blobs.delete_tenant(payload.tenant_id))?;
        Ok(serde_json::json!({ "purged": true }))
    }
}
