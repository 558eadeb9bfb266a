//! `/api/v1/tenants/{slug}/exports`: queue an export, list them, download one.
use actix_web::http::header::{CONTENT_DISPOSITION, LOCATION};
use actix_web::{get, post, web, HttpResponse};
use uuid::Uuid;

use crate::api::access::{ReadAccess, WriteAccess};
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::export_tenant::{enqueue_export, list_exports, read_export};
use crate::jobs;

#[post("/tenants/{slug}/exports")]
pub async fn start_export(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let (db, actor) = (state.db.clone(), caller.actor());
    let job = web::block(move || -> Result<_, ApiError> {
        let id = enqueue_export(&db, &slug, &actor)?;
        Ok(db.catalog(|conn| jobs::find(conn, id))?)
    })
    .await??;
    state.job_waker.wake();
    Ok(HttpResponse::Accepted()
        .insert_header((LOCATION, format!("/api/v1/jobs/{}", job.id)))
        .json(serde_json::json!({ "job": job })))
}

#[get("/tenants/{slug}/exports")]
pub async fn list(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let db = state.db.clone();
    let exports = web::block(move || list_exports(&db, &slug)).await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "exports": exports })))
}

#[get("/tenants/{slug}/exports/{id}/download")]
pub async fn download(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    let slug = super::tenant_slug(&slug)?;
    let id: Uuid = id.parse().map_err(|_| ApiError::not_found("no such export"))?;
    let (db, blobs, name) = (state.db.clone(), state.blobs.clone(), format!("{slug}-{id}.tar.gz"));
    let bytes = web::block(move || read_export(&db, &*blobs, &slug, id)).await??;
    Ok(HttpResponse::Ok()
        .content_type("application/gzip")
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(bytes))
}
