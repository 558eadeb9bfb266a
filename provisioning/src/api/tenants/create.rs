//! `POST /api/v1/tenants`: queues a create job; answers 202 with the job.
use actix_web::http::header::LOCATION;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use crate::api::access::WriteAccess;
use crate::api::body::parse_json;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::create_tenant::{check_available, enqueue_create};
use crate::jobs;
use crate::spec::{Logo, TenantSpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTenant {
    slug: String,
    name: String,
    hosts: Vec<String>,
    #[serde(default)]
    locales: Vec<String>,
    #[serde(default)]
    modules: Vec<String>,
    theme: Option<String>,
    color: Option<String>,
    description: Option<String>,
    /// The logo, base64-encoded (PNG, JPEG, WebP or SVG, at most 1 MiB).
    logo_base64: Option<String>,
    /// Plan limits (absent: no limit).
    max_users: Option<i64>,
    max_storage_mb: Option<i64>,
    /// The first administrator, invited by mail.
    admin_email: Option<String>,
    /// The database cluster to place it on (absent: the least loaded).
    cluster: Option<String>,
}

#[post("/tenants")]
pub async fn create_tenant(
    WriteAccess(caller): WriteAccess,
    state: web::Data<ProvisioningState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let req: CreateTenant = parse_json(&body)?;
    let mut spec = TenantSpec::parse_fields(
        &req.slug,
        &req.name,
        &req.hosts,
        &req.locales,
        &req.modules,
        req.theme.as_deref(),
        req.color.as_deref(),
        req.description.as_deref(),
    )?;
    if !state.themes.iter().any(|t| t == spec.theme.as_str()) {
        return Err(ApiError::invalid(
            "theme",
            format!("unknown theme {:?}: available themes are {}", spec.theme.as_str(), state.themes.join(", ")),
        ));
    }
    spec.set_plan(req.max_users, req.max_storage_mb)?;
    spec.set_admin_email(req.admin_email.as_deref())?;
    spec.set_cluster(req.cluster.as_deref())?;
    if let Some(encoded) = &req.logo_base64 {
        let bytes = data_encoding::BASE64
            .decode(encoded.trim().as_bytes())
            .map_err(|_| ApiError::invalid("logo_base64", "the logo is not valid base64"))?;
        spec.logo = Some(Logo::parse(bytes).map_err(|e| ApiError::from(e).with_field("logo_base64"))?);
    }
    let (db, blobs, actor) = (state.db.clone(), state.blobs.clone(), caller.actor());
    let job = web::block(move || -> Result<_, ApiError> {
        // Refused here with the field named; the job checks again, for races.
        db.catalog(|conn| Ok(check_available(conn, &spec)))??;
        let id = enqueue_create(&db, &*blobs, &spec, &actor, 5)?;
        Ok(db.catalog(|conn| jobs::find(conn, id))?)
    })
    .await??;
    state.job_waker.wake();
    Ok(HttpResponse::Accepted()
        .insert_header((LOCATION, format!("/api/v1/jobs/{}", job.id)))
        .json(serde_json::json!({ "job": job })))
}
