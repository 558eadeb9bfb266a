//! The ops listener: `/metrics`, `/healthz`, `/readyz`. Never mounted on tenant hosts.
use std::time::Duration;

use actix_web::{get, web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(metrics).service(healthz).service(readyz);
}

#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let memory = [
        ("place", &state.places.hits, &state.places.misses),
        ("fragment", &state.fragments.hits, &state.fragments.misses),
    ];
    // Read from the catalog on each scrape (one small query); a slow or absent
    // database leaves the last values rather than holding the scrape.
    let db = state.db.clone();
    let backups =
        tokio::time::timeout(Duration::from_secs(2), web::block(move || provisioning::backups::last_successes(&db)))
            .await;
    let backups = match backups {
        Ok(Ok(Ok(health))) => Some(health),
        _ => None,
    };
    let body = state.metrics.render(
        &state.db.statuses(),
        &state.directory,
        &state.cache,
        &memory,
        &state.certificates.expiries(),
        backups.as_ref(),
    );
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body)
}

/// The process is alive and answering.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

/// Ready to serve: the database answers and the tenant directory is loaded.
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let ping = tokio::time::timeout(Duration::from_secs(2), web::block(move || db.ping())).await;
    let database = matches!(ping, Ok(Ok(Ok(()))));
    let directory = state.directory.is_loaded();
    let body = json!({
        "database": if database { "ok" } else { "unavailable" },
        "directory": if directory { "loaded" } else { "not loaded" },
        "tenants": state.directory.snapshot().tenants().len(),
    });
    if database && directory {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
