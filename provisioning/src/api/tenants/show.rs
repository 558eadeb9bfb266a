//! `GET /api/v1/tenants/{slug}`: the tenant and its recent jobs.
use actix_web::{get, web, HttpResponse};
use tenant_core::catalog;

use crate::api::access::ReadAccess;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::jobs;

#[get("/tenants/{slug}")]
pub async fn show_tenant(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = super::tenant_slug(&slug)?;
    let (db, blobs) = (state.db.clone(), state.blobs.clone());
    let (tenant, recent, usage) = web::block(move || -> Result<_, tenant_core::CoreError> {
        let (tenant, recent) = db
            .catalog(|conn| Ok((catalog::load_one(conn, &slug)?, jobs::list_recent(conn, Some(slug.as_str()), 20)?)))?;
        let usage = crate::usage::of(&db, &*blobs, &tenant)?;
        Ok((tenant, recent, usage))
    })
    .await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tenant": tenant, "jobs": recent, "usage": usage })))
}
