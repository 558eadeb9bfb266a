//! `POST /api/v1/tenants/{slug}/suspend` and `/resume`.
use actix_web::{post, web, HttpResponse};
use tenant_core::TenantStatus;

use crate::api::access::WriteAccess;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::set_tenant_status::set_tenant_status;
use crate::staff::ApiCaller;

async fn change(
    caller: ApiCaller,
    state: web::Data<ProvisioningState>,
    slug: String,
    status: TenantStatus,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let db = state.db.clone();
    let tenant = web::block(move || set_tenant_status(&db, &slug, status, &caller.actor())).await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tenant": tenant })))
}

#[post("/tenants/{slug}/suspend")]
pub async fn suspend_tenant(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(caller, state, slug.into_inner(), TenantStatus::Suspended).await
}

#[post("/tenants/{slug}/resume")]
pub async fn resume_tenant(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(caller, state, slug.into_inner(), TenantStatus::Active).await
}
