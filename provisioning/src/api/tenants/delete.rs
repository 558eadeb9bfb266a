//! `DELETE /api/v1/tenants/{slug}`: offline at once, purged after the retention period.
use actix_web::http::header::LOCATION;
use actix_web::{delete, web, HttpResponse};
use serde::Deserialize;

use crate::api::access::WriteAccess;
use crate::api::body::parse_json;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::delete_tenant::delete_tenant;
use crate::jobs;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteTenant {
    /// Required until the tenant has an export: deleting without one must be chosen.
    #[serde(default)]
    export_waived: bool,
    /// Days the tenant stays recoverable (0 to 90, default 30).
    #[serde(default = "thirty")]
    retention_days: i64,
}

fn thirty() -> i64 {
    30
}

#[delete("/tenants/{slug}")]
pub async fn delete(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let req: DeleteTenant =
        if body.is_empty() { DeleteTenant { export_waived: false, retention_days: 30 } } else { parse_json(&body)? };
    let (db, actor) = (state.db.clone(), caller.actor());
    let job = web::block(move || -> Result<_, ApiError> {
        let id = delete_tenant(&db, &slug, req.retention_days, req.export_waived, &actor).map_err(|e| {
            let field = if e.to_string().contains("retention") { "retention_days" } else { "export_waived" };
            match e {
                tenant_core::CoreError::Invalid(_) => ApiError::from(e).with_field(field),
                other => other.into(),
            }
        })?;
        Ok(db.catalog(|conn| jobs::find(conn, id))?)
    })
    .await??;
    state.job_waker.wake();
    Ok(HttpResponse::Accepted()
        .insert_header((LOCATION, format!("/api/v1/jobs/{}", job.id)))
        .json(serde_json::json!({ "job": job })))
}
