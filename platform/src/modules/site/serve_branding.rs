//! The tenant's colours as CSS variables, and its logo.
use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpResponse};
use tenant_core::blob::{sniff_image, BlobKey};

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::state::AppState;

/// `GET /branding.css`: served as a file, not inline, so the pages' CSP forbids inline styles.
#[get("/branding.css")]
pub async fn branding_css(tenant: CurrentTenant) -> HttpResponse {
    let primary = tenant.primary_color;
    let css = format!(
        ":root {{\n  --c-primary: {primary};\n  --c-on-primary: {};\n  --c-primary-text: {};\n}}\n",
        primary.text_on(),
        primary.readable_on_white(),
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(css)
}

/// `GET /branding/logo`: the logo from the blob store, through the tenant's own host only.
#[get("/branding/logo")]
pub async fn logo(state: web::Data<AppState>, tenant: CurrentTenant) -> Result<HttpResponse, AppError> {
    let stored = tenant.logo_key.clone().ok_or(AppError::NotFound)?;
    let key = BlobKey::parse_owned(tenant.id, &stored)?;
    let blobs = state.blobs.clone();
    let bytes = web::block(move || blobs.get(&key)).await??.ok_or(AppError::NotFound)?;
    let (_, content_type) = sniff_image(&bytes).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        // An SVG opened on its own must not run script or load anything.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        ))
        .body(bytes))
}
