//! Open data of a published petition: signatures per day (UTC) as CSV and JSON, and
//! the public timeline as JSON. Nothing about signers: counts only.
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use tenant_core::petitions::{self, signatures, Petition, TimelineEntry};

use super::load_visible;
use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::MaybeUser;
use crate::state::AppState;

/// A published, visible petition (drafts and petitions under review have no open data).
async fn published(
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    visitor: &crate::identity::Visitor,
    id: i64,
) -> Result<Petition, AppError> {
    let (p, _) = load_visible(state, tenant, visitor, id).await?;
    if !p.state().is_public() || p.hidden {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

async fn days(state: &web::Data<AppState>, tenant: &CurrentTenant, id: i64) -> Result<Vec<signatures::Day>, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    Ok(web::block(move || s.db.tenant(&t, |conn| signatures::per_day(conn, id))).await??)
}

fn json_download<T: Serialize>(filename: String, body: &T) -> Result<HttpResponse, AppError> {
    let json = serde_json::to_vec_pretty(body).map_err(|e| AppError::Internal(e.into()))?;
    Ok(download("application/json", filename, json))
}

fn download(content_type: &'static str, filename: String, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}\"")))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header(("access-control-allow-origin", "*"))
        .body(body)
}

#[get("/{id:\\d+}/signatures.csv")]
pub async fn signatures_csv(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    published(&state, &tenant, &visitor, id).await?;
    let mut out = String::from("day,signatures\n");
    for d in days(&state, &tenant, id).await? {
        out.push_str(&format!("{},{}\n", d.day, d.signatures));
    }
    Ok(download("text/csv; charset=utf-8", format!("petition-{id}-signatures.csv"), out.into_bytes()))
}

#[derive(Serialize)]
struct SignaturesJson {
    petition: i64,
    title: String,
    state: String,
    threshold: Option<i32>,
    published_at: Option<chrono::DateTime<chrono::Utc>>,
    signatures_end_at: Option<chrono::DateTime<chrono::Utc>>,
    total: i64,
    /// Days are UTC dates; days without a signature are left out.
    days: Vec<signatures::Day>,
}

#[get("/{id:\\d+}/signatures.json")]
pub async fn signatures_json(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let p = published(&state, &tenant, &visitor, id).await?;
    let days = days(&state, &tenant, id).await?;
    let body = SignaturesJson {
        petition: p.id,
        title: p.title,
        state: p.state,
        threshold: p.threshold,
        published_at: p.published_at,
        signatures_end_at: p.signatures_end_at,
        total: days.iter().map(|d| d.signatures).sum(),
        days,
    };
    json_download(format!("petition-{id}-signatures.json"), &body)
}

#[derive(Serialize)]
struct TimelineJson {
    petition: i64,
    title: String,
    state: String,
    timeline: Vec<TimelineEntry>,
}

#[get("/{id:\\d+}/timeline.json")]
pub async fn timeline_json(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let p = published(&state, &tenant, &visitor, id).await?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let timeline = web::block(move || s.db.tenant(&t, |conn| petitions::timeline(conn, id))).await??;
    let body = TimelineJson { petition: p.id, title: p.title, state: p.state, timeline };
    json_download(format!("petition-{id}-timeline.json"), &body)
}
