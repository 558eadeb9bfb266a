//! `POST /api/v1/tenants/{slug}/backups` (back the tenant up now) and
//! `POST /api/v1/tenants/{slug}/restore` (restore it from one of its backups).
//!
//! Both answer when done, like the move: a backup or restore of one tenant takes
//! as long as its dump, seconds to a few minutes. A client that gives up waiting
//! does not stop it: it runs to its end, and `GET /api/v1/backups?tenant=SLUG` and
//! the audit log (`tenant.backup`, `tenant.restore`, or their `_failed` entries)
//! say how it ended. Every call is audited, refused ones included.
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;
use tenant_core::names::TenantSlug;
use tenant_core::{catalog, CoreError, CoreResult};
use uuid::Uuid;

use crate::api::access::WriteAccess;
use crate::api::body::parse_json;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::audit::{self, Actor};
use crate::backups::{back_up_tenant, list_page, not_its_own, restore_tenant, BackupChoice};

/// Records a refused or failed call in the audit log, and hands its error back.
fn audited_failure(db: &tenant_core::Db, actor: &Actor, action: &str, slug: &str, error: CoreError) -> CoreError {
    let recorded = db.catalog(|conn| {
        audit::record(conn, actor, action, Some(slug), None, Some(serde_json::json!({ "error": error.to_string() })))
    });
    if let Err(e) = recorded {
        tracing::error!(tenant = slug, action, error = %e, "could not audit a failed call");
    }
    error
}

#[post("/tenants/{slug}/backups")]
pub async fn back_up(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let (db, blobs, actor) = (state.db.clone(), state.blobs.clone(), caller.actor());
    let row = web::block(move || -> CoreResult<_> {
        let done = (|| {
            let tenant = db.catalog(|conn| catalog::load_one(conn, &slug))?;
            let outcome = back_up_tenant(&db, &*blobs, &tenant)?;
            let row = list_page(&db, Some(&slug), 50, 0)?
                .into_iter()
                .find(|r| r.id == outcome.id)
                .ok_or_else(|| CoreError::NotFound(format!("backup {} is not recorded", outcome.id)))?;
            db.catalog(|conn| {
                audit::record(
                    conn,
                    &actor,
                    "tenant.backup",
                    Some(slug.as_str()),
                    None,
                    Some(serde_json::json!({ "backup": outcome.id, "size_bytes": outcome.size_bytes })),
                )
            })?;
            Ok(row)
        })();
        done.map_err(|e| audited_failure(&db, &actor, "tenant.backup_failed", slug.as_str(), e))
    })
    .await??;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, format!("/api/v1/backups?tenant={}", row.slug)))
        .json(serde_json::json!({ "backup": super::super::backups::BackupView::from(row) })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Restore {
    /// A backup id, or absent for the tenant's latest successful backup.
    backup: Option<String>,
}

#[post("/tenants/{slug}/restore")]
pub async fn restore(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug: TenantSlug = super::tenant_slug(&slug)?;
    let req: Restore = if body.iter().all(u8::is_ascii_whitespace) { Restore::default() } else { parse_json(&body)? };
    let choice = match req.backup.as_deref() {
        None | Some("latest") => BackupChoice::Latest,
        Some(raw) => BackupChoice::Id(
            Uuid::parse_str(raw)
                .map_err(|_| ApiError::invalid("backup", format!("expected a backup id (UUID), not {raw:?}")))?,
        ),
    };
    let (db, blobs, actor) = (state.db.clone(), state.blobs.clone(), caller.actor());
    let restored = web::block(move || -> Result<_, ApiError> {
        // A backup of another tenant (or of the catalog) is the request's fault: said
        // on its field, before anything starts (the restore refuses it too).
        if let BackupChoice::Id(id) = choice {
            // An unknown tenant is the restore's 404, below.
            if let Ok(tenant) = db.catalog(|conn| catalog::load_one(conn, &slug)) {
                if let Some(refusal) = db.catalog(|conn| not_its_own(conn, &tenant, id))? {
                    let error = CoreError::Invalid(refusal.clone());
                    audited_failure(&db, &actor, "tenant.restore_failed", slug.as_str(), error);
                    return Err(ApiError::invalid("backup", refusal));
                }
            }
        }
        restore_tenant(&db, &*blobs, &slug, choice, &actor)
            .map_err(|e| ApiError::from(audited_failure(&db, &actor, "tenant.restore_failed", slug.as_str(), e)))
    })
    .await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "restored": restored })))
}
