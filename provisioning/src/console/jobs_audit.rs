//! A job's progress page, and the audit log with its filters.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::session::{ConsoleSession, SignInRequired};
use crate::api::ProvisioningState;
use crate::audit::{self, AuditFilter};
use crate::jobs;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/jobs/{id}", web::get().to(show_job)).route("/audit", web::get().to(list_audit));
}

async fn show_job(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    id: web::Path<String>,
) -> Result<HttpResponse, SignInRequired> {
    let Ok(id) = id.parse::<Uuid>() else { return Ok(state.views.not_found(console.locale)) };
    let db = state.db.clone();
    let found =
        web::block(move || db.catalog(|conn| jobs::find(conn, id))).await.map_err(|_| SignInRequired::Unavailable)?;
    let Ok(job) = found else { return Ok(state.views.not_found(console.locale)) };
    let mut ctx = console.context("tenants");
    let running = matches!(job.status, jobs::JobStatus::Queued | jobs::JobStatus::Running);
    if running {
        ctx.insert("notice", &state.views.message(console.locale, "job_queued_notice"));
    }
    ctx.insert("job", &job);
    let mut res = state.views.page(StatusCode::OK, "job.html", console.locale, ctx);
    if running {
        // Browsers reload the page by themselves; no script needed.
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("refresh"),
            actix_web::http::header::HeaderValue::from_static("2"),
        );
    }
    Ok(res)
}

#[derive(Deserialize, Serialize, Default)]
struct Filter {
    target: Option<String>,
    actor: Option<String>,
    action: Option<String>,
}

async fn list_audit(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, SignInRequired> {
    let f = filter.into_inner();
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let query =
        AuditFilter { target: nonempty(&f.target), actor: nonempty(&f.actor), action: nonempty(&f.action), limit: 500 };
    let db = state.db.clone();
    let entries = web::block(move || db.catalog(|conn| audit::list(conn, &query)))
        .await
        .map_err(|_| SignInRequired::Unavailable)?
        .map_err(|_| SignInRequired::Unavailable)?;
    let mut ctx = console.context("audit");
    ctx.insert("entries", &entries);
    ctx.insert("filter", &f);
    Ok(state.views.page(StatusCode::OK, "audit.html", console.locale, ctx))
}
