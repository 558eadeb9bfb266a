//! `GET /processes/{slug}/hero` and `/assemblies/{slug}/hero`: a space's hero image,
//! from the blob store, through the tenant's own host, to whoever may see the space.
use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpResponse};
use tenant_core::blob::{sniff_image, BlobKey};
use tenant_core::space_edits;
use tenant_core::spaces::SpaceKind;

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::MaybeUser;
use crate::state::AppState;

async fn serve(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    visitor: crate::identity::Visitor,
    kind: SpaceKind,
    slug: String,
) -> Result<HttpResponse, AppError> {
    if slug.len() > 60 {
        return Err(AppError::NotFound);
    }
    let (s, t, viewer) = (state.clone(), tenant.0.clone(), super::viewer(&visitor));
    let (bytes, public) = web::block(move || -> Result<_, AppError> {
        let found = s.db.tenant(&t, |conn| space_edits::hero_of(conn, kind, &slug, viewer))?;
        let (Some(stored), public) = found.ok_or(AppError::NotFound)? else { return Err(AppError::NotFound) };
        let key = BlobKey::parse_owned(t.id, &stored)?;
        Ok((s.blobs.get(&key)?.ok_or(AppError::NotFound)?, public))
    })
    .await??;
    let (_, content_type) = sniff_image(&bytes).ok_or(AppError::NotFound)?;
    // The page links the image with its version; a private space's stays out of shared caches.
    let cache = if public { "public, max-age=86400" } else { "private, max-age=86400" };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .body(bytes))
}

#[get("/processes/{slug}/hero")]
pub async fn process_hero(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve(state, tenant, visitor, SpaceKind::Process, slug.into_inner()).await
}

#[get("/assemblies/{slug}/hero")]
pub async fn assembly_hero(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve(state, tenant, visitor, SpaceKind::Assembly, slug.into_inner()).await
}
