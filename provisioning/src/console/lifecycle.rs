//! Console actions that start jobs: export (and download), delete, upgrade all.
use actix_web::http::header::CONTENT_DISPOSITION;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use tenant_core::names::TenantSlug;
use tenant_core::CoreError;
use uuid::Uuid;

use super::see_other;
use super::session::{ConsoleSession, SignInRequired};
use crate::api::ProvisioningState;
use crate::delete_tenant::delete_tenant;
use crate::export_tenant::{enqueue_export, read_export};
use crate::upgrade_tenants::enqueue_upgrade;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{slug}/export", web::post().to(export))
        .route("/tenants/{slug}/exports/{id}", web::get().to(download))
        .route("/tenants/{slug}/delete", web::post().to(delete))
        .route("/upgrades", web::post().to(upgrade));
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// Where a started job is followed, or the error page for a refusal.
fn after_job(
    state: &ProvisioningState,
    console: &ConsoleSession,
    job: Result<Uuid, CoreError>,
) -> Result<HttpResponse, SignInRequired> {
    match job {
        Ok(id) => {
            state.job_waker.wake();
            Ok(see_other(&format!("/jobs/{id}")))
        }
        Err(CoreError::NotFound(_)) => Ok(state.views.not_found(console.locale)),
        Err(CoreError::Invalid(m)) | Err(CoreError::Conflict(m)) => {
            let mut ctx = console.context("tenants");
            ctx.insert("title", &state.views.message(console.locale, "error"));
            ctx.insert("message", &m);
            Ok(state.views.page(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "error.html", console.locale, ctx))
        }
        Err(_) => Err(SignInRequired::Unavailable),
    }
}

async fn export(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, SignInRequired> {
    console.check_csrf(&form.csrf)?;
    let Ok(slug) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let (db, actor) = (state.db.clone(), console.staff.actor());
    let job = web::block(move || enqueue_export(&db, &slug, &actor)).await.map_err(|_| SignInRequired::Unavailable)?;
    after_job(&state, &console, job)
}

async fn download(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SignInRequired> {
    let (slug, id) = path.into_inner();
    let (Ok(slug), Ok(id)) = (TenantSlug::parse(&slug), id.parse::<Uuid>()) else {
        return Ok(state.views.not_found(console.locale));
    };
    let name = format!("{slug}-{id}.tar.gz");
    let (db, blobs) = (state.db.clone(), state.blobs.clone());
    match web::block(move || read_export(&db, &*blobs, &slug, id)).await.map_err(|_| SignInRequired::Unavailable)? {
        Ok(bytes) => Ok(HttpResponse::Ok()
            .content_type("application/gzip")
            .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
            .body(bytes)),
        Err(CoreError::NotFound(_)) => Ok(state.views.not_found(console.locale)),
        Err(_) => Err(SignInRequired::Unavailable),
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    csrf: String,
    retention_days: i64,
    #[serde(default)]
    export_waived: Option<String>,
}

async fn delete(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, SignInRequired> {
    console.check_csrf(&form.csrf)?;
    let Ok(slug) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let (db, actor, days, waived) =
        (state.db.clone(), console.staff.actor(), form.retention_days, form.export_waived.is_some());
    let job = web::block(move || delete_tenant(&db, &slug, days, waived, &actor))
        .await
        .map_err(|_| SignInRequired::Unavailable)?;
    after_job(&state, &console, job)
}

#[derive(Deserialize)]
struct UpgradeForm {
    csrf: String,
    concurrency: usize,
}

async fn upgrade(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    form: web::Form<UpgradeForm>,
) -> Result<HttpResponse, SignInRequired> {
    console.check_csrf(&form.csrf)?;
    let (db, actor, n) = (state.db.clone(), console.staff.actor(), form.concurrency);
    let job = web::block(move || enqueue_upgrade(&db, n, &actor)).await.map_err(|_| SignInRequired::Unavailable)?;
    after_job(&state, &console, job)
}
