//! Upgrading every tenant: the binary's tenant migrations applied to each tenant
//! schema, N at a time, as a resumable job. A tenant's migrations and its "done"
//! mark commit together; a tenant that fails is reported and the others go on; a
//! resumed or retried job only touches the tenants not yet done.
use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tenant_core::migrations::run_tenant_in;
use tenant_core::names::{ClusterName, SchemaName};
use tenant_core::{catalog, CoreError, CoreResult, Db};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::create_tenant::{Boxed, MigrationsFactory};
use crate::jobs::{self, JobContext, JobHandler, NewJob};

pub const KIND: &str = "upgrade_tenants";

#[derive(Serialize, Deserialize)]
struct Payload {
    concurrency: usize,
}

/// Queues an upgrade of every tenant, `concurrency` at a time (1 to 16).
pub fn enqueue_upgrade(db: &Db, concurrency: usize, actor: &Actor) -> CoreResult<Uuid> {
    if !(1..=16).contains(&concurrency) {
        return Err(CoreError::Invalid("concurrency is 1 to 16 tenants at a time".into()));
    }
    let payload = serde_json::json!({ "concurrency": concurrency });
    db.catalog(|conn| {
        let id = jobs::enqueue(
            conn,
            NewJob {
                kind: KIND,
                tenant_slug: None,
                payload: payload.clone(),
                created_by: actor.as_str(),
                max_attempts: 3,
            },
        )?;
        audit::record(conn, actor, "tenants.upgrade", None, None, Some(payload))?;
        Ok(id)
    })
}

pub struct UpgradeTenantsJob {
    pub migrations: MigrationsFactory,
}

impl JobHandler for UpgradeTenantsJob {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn steps(&self) -> &'static [&'static str] {
        &[]
    }

    fn run(&self, ctx: &mut JobContext) -> CoreResult<serde_json::Value> {
        let payload: Payload = ctx.payload()?;
        let tenants = ctx.db.catalog(catalog::load_all)?;
        let names: Vec<String> = tenants.iter().map(|t| format!("tenant:{}", t.slug)).collect();
        let factory = Arc::clone(&self.migrations);
        let clusters: HashMap<String, ClusterName> =
            tenants.iter().map(|t| (t.slug.as_str().to_owned(), t.cluster.clone())).collect();
        let db = ctx.db.clone();
        let failures = ctx.steps_concurrently(&names, payload.concurrency, |conn, name| {
            let slug = name.trim_start_matches("tenant:");
            let schema = SchemaName::parse(&format!("t_{slug}"))?;
            // A tenant on another cluster is migrated there, in its own transaction,
            // just before its mark commits here (migrations already applied are
            // skipped if the mark is lost and the tenant runs again).
            let applied = match clusters.get(slug) {
                Some(cluster) if !cluster.is_main() => {
                    db.on_cluster(cluster, |tconn| run_tenant_in(tconn, &schema, Boxed(factory())))?
                }
                _ => run_tenant_in(conn, &schema, Boxed(factory()))?,
            };
            if !applied.is_empty() {
                tracing::info!(tenant = slug, applied = %applied.join(", "), "tenant upgraded");
            }
            Ok(())
        })?;
        let summary = serde_json::json!({
            "tenants": names.len(),
            "upgraded": names.len() - failures.len(),
            "failed": failures.iter().map(|(n, e)| serde_json::json!({ "tenant": n.trim_start_matches("tenant:"), "error": e })).collect::<Vec<_>>(),
        });
        if failures.is_empty() {
            Ok(summary)
        } else {
            // Retried later for the tenants not done; the others are kept as done.
            Err(CoreError::Migration(format!(
                "{} of {} tenants failed to upgrade: {summary}",
                failures.len(),
                names.len()
            )))
        }
    }
}
