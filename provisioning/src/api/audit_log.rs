//! `GET /api/v1/audit[?target=slug&actor=text&action=tenant.create]`.
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

use super::access::ReadAccess;
use super::error::ApiError;
use super::ProvisioningState;
use crate::audit::{self, AuditFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_audit);
}

#[derive(Deserialize)]
pub struct Filter {
    target: Option<String>,
    actor: Option<String>,
    action: Option<String>,
}

#[get("/audit")]
pub async fn list_audit(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, ApiError> {
    let f = filter.into_inner();
    let db = state.db.clone();
    let entries = web::block(move || {
        db.catalog(|conn| {
            audit::list(conn, &AuditFilter { target: f.target, actor: f.actor, action: f.action, limit: 500 })
        })
    })
    .await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "entries": entries })))
}
