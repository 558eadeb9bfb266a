//! `POST /api/v1/tenants/{slug}/move`: moves the tenant's schema to another database
//! cluster and answers when done (the tenant is read-only meanwhile).
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;
use tenant_core::names::ClusterName;

use crate::api::access::WriteAccess;
use crate::api::body::parse_json;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::move_tenant::{move_tenant, MoveOptions};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveTenant {
    cluster: String,
}

#[post("/tenants/{slug}/move")]
pub async fn move_to_cluster(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let req: MoveTenant = parse_json(&body)?;
    let cluster = ClusterName::parse(&req.cluster).map_err(|e| ApiError::from(e).with_field("cluster"))?;
    let db = state.db.clone();
    let moved =
        web::block(move || move_tenant(&db, &slug, &cluster, MoveOptions::default(), &caller.actor())).await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "moved": moved })))
}
