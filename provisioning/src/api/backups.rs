//! `GET /api/v1/backups[?tenant=SLUG&limit=N&offset=N&verify=true]`: the backups the
//! catalog records, newest first, one page at a time.
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::ReadAccess;
use crate::api::error::ApiError;
use crate::api::ProvisioningState;
use crate::backups::{list_page, verify_backup, BackupRow};

/// The most backups one page holds.
const MAX_LIMIT: i64 = 500;
const DEFAULT_LIMIT: i64 = 100;

/// One backup as the API shows it.
#[derive(Debug, Serialize)]
pub struct BackupView {
    pub id: Uuid,
    /// `tenant` or `catalog`.
    pub kind: &'static str,
    /// The tenant's slug when it was backed up; absent for the catalog.
    pub tenant: Option<String>,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub size_bytes: Option<i64>,
    pub manifest_sha256: Option<String>,
    /// With `verify=true`: whether every blob is there and matches its checksum
    /// (null for the catalog's and unfinished backups); otherwise null.
    pub checksums_ok: Option<bool>,
    pub error: Option<String>,
}

impl From<BackupRow> for BackupView {
    fn from(r: BackupRow) -> Self {
        Self {
            id: r.id,
            kind: if r.tenant_id.is_some() { "tenant" } else { "catalog" },
            tenant: r.tenant_id.map(|_| r.slug),
            status: r.status,
            started_at: r.started_at,
            finished_at: r.finished_at,
            size_bytes: r.size_bytes,
            manifest_sha256: r.manifest_sha256,
            checksums_ok: None,
            error: r.error,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    tenant: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    verify: Option<bool>,
}

#[get("/backups")]
pub async fn list_backups(
    _: ReadAccess,
    state: web::Data<ProvisioningState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // Read here rather than by an extractor, so a bad parameter gets the API's JSON error.
    let Filter { tenant, limit, offset, verify } = web::Query::<Filter>::from_query(req.query_string())
        .map_err(|e| {
            ApiError::new(actix_web::http::StatusCode::BAD_REQUEST, "bad_field", format!("query string: {e}"))
        })?
        .into_inner();
    let slug = match tenant.as_deref() {
        Some(raw) => Some(
            tenant_core::names::TenantSlug::parse(raw)
                .map_err(|_| ApiError::not_found(format!("no such tenant: {raw:?}")))?,
        ),
        None => None,
    };
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("limit is between 1 and {MAX_LIMIT}, not {limit}")));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", format!("offset is 0 or more, not {offset}")));
    }
    let (db, blobs) = (state.db.clone(), state.blobs.clone());
    let (views, more) = web::block(move || -> tenant_core::CoreResult<_> {
        // One more than asked says whether another page follows.
        let mut rows = list_page(&db, slug.as_ref(), limit + 1, offset)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let checkable = row.tenant_id.is_some() && row.status == "succeeded";
            let id = row.id;
            let mut view = BackupView::from(row);
            if verify == Some(true) && checkable {
                view.checksums_ok = Some(verify_backup(&db, &*blobs, id)?);
            }
            views.push(view);
        }
        Ok((views, more))
    })
    .await??;
    let next_offset = more.then_some(offset + limit);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "backups": views, "next_offset": next_offset })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_backups);
}
