//! `GET /api/v1/tenants[?status=active&q=text]`.
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use tenant_core::{catalog, TenantStatus};

use crate::api::access::ReadAccess;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;

#[derive(Deserialize)]
pub struct Filter {
    status: Option<String>,
    q: Option<String>,
}

#[get("/tenants")]
pub async fn list_tenants(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, ApiError> {
    let status = match filter.status.as_deref() {
        Some(s) => Some(TenantStatus::parse(s).map_err(|e| ApiError::from(e).with_field("status"))?),
        None => None,
    };
    let q = filter.q.as_deref().map(str::to_lowercase);
    let db = state.db.clone();
    let (all, measures) =
        web::block(move || db.catalog(|conn| Ok((catalog::load_all(conn)?, crate::usage::last_measures(conn)?))))
            .await??;
    let tenants: Vec<_> = all
        .into_iter()
        .filter(|t| status.is_none_or(|s| t.status == s))
        .filter(|t| {
            q.as_deref().is_none_or(|q| {
                t.slug.as_str().contains(q)
                    || t.name.to_lowercase().contains(q)
                    || t.hosts.iter().any(|h| h.as_str().contains(q))
            })
        })
        .collect();
    let usage: serde_json::Map<String, serde_json::Value> = tenants
        .iter()
        .filter_map(|t| Some((t.slug.to_string(), serde_json::to_value(measures.get(&t.id)?).ok()?)))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tenants": tenants, "usage": usage })))
}
