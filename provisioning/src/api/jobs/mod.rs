//! `/api/v1/jobs`: provisioning jobs and their progress.
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::access::ReadAccess;
use super::error::ApiError;
use super::ProvisioningState;
use crate::jobs;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_jobs).service(show_job);
}

#[derive(Deserialize)]
pub struct Filter {
    tenant: Option<String>,
}

#[get("/jobs")]
pub async fn list_jobs(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let tenant = filter.into_inner().tenant;
    let list = web::block(move || db.catalog(|conn| jobs::list_recent(conn, tenant.as_deref(), 200))).await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "jobs": list })))
}

#[get("/jobs/{id}")]
pub async fn show_job(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::not_found("no such job"))?;
    let db = state.db.clone();
    let job = web::block(move || db.catalog(|conn| jobs::find(conn, id))).await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "job": job })))
}
