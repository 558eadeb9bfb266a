//! `GET /static/{path}`: a file of the tenant's theme. Files are looked up by exact
//! name in memory, so `..` or encoded tricks can only miss.
use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::state::AppState;

#[get("/static/{path:.*}")]
pub async fn serve_asset(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let asset = state.themes.get(tenant.theme.as_str()).asset(&path).cloned().ok_or(AppError::NotFound)?;
    let etag = HeaderValue::from_str(&asset.etag).map_err(|e| AppError::Internal(e.into()))?;
    if req.headers().get(header::IF_NONE_MATCH) == Some(&etag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(web::Bytes::copy_from_slice(&asset.bytes)))
}
