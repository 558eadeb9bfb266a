//! `POST /api/v1/upgrades`: queues an upgrade of every tenant schema.
use actix_web::http::header::LOCATION;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use super::access::WriteAccess;
use super::body::parse_json;
use super::error::ApiError;
use super::ProvisioningState;
use crate::jobs;
use crate::upgrade_tenants::enqueue_upgrade;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(start_upgrade);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartUpgrade {
    /// Tenants migrated at a time (1 to 16).
    #[serde(default = "four")]
    concurrency: usize,
}

fn four() -> usize {
    4
}

#[post("/upgrades")]
pub async fn start_upgrade(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let req: StartUpgrade = if body.is_empty() { StartUpgrade { concurrency: 4 } } else { parse_json(&body)? };
    let (db, actor) = (state.db.clone(), caller.actor());
    let job = web::block(move || -> Result<_, ApiError> {
        let id =
            enqueue_upgrade(&db, req.concurrency, &actor).map_err(|e| ApiError::from(e).with_field("concurrency"))?;
        Ok(db.catalog(|conn| jobs::find(conn, id))?)
    })
    .await??;
    state.job_waker.wake();
    Ok(HttpResponse::Accepted()
        .insert_header((LOCATION, format!("/api/v1/jobs/{}", job.id)))
        .json(serde_json::json!({ "job": job })))
}
