//! `GET …/{id}/attachments/{a}`: a proposal's file, through the tenant's own host,
//! only to those who may see the proposal; sent as a download with the type found
//! at upload, never sniffed by the browser. With S3 and `s3_presigned_url_seconds`
//! set, the answer is instead a redirect to a short-lived link signed for that one
//! object (same type and disposition, signed into the link).
use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use tenant_core::blob::BlobKey;
use tenant_core::proposals::attachments;
use tenant_core::CoreError;

use super::{load_ctx, visible_proposal, ProposalPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::MaybeUser;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct AttachmentPath {
    kind: String,
    slug: String,
    component: i64,
    proposal: i64,
    attachment: i64,
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/attachments/{attachment:\\d+}")]
pub async fn download(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<AttachmentPath>,
) -> Result<HttpResponse, AppError> {
    let pp = ProposalPath {
        kind: path.kind.clone(),
        slug: path.slug.clone(),
        component: path.component,
        proposal: path.proposal,
    };
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &pp.component()).await?;
    let (s, t, c, id, aid) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal, path.attachment);
    let file = web::block(move || {
        s.db.tenant(&t, |conn| {
            visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            attachments::find(conn, id, aid)
        })
    })
    .await??
    .ok_or(AppError::NotFound)?;
    let key = BlobKey::parse_owned(tenant.id, &file.blob_key)?;
    let disposition = format!("attachment; filename=\"{}\"", file.filename.replace(['"', '\\'], "_"));
    // With S3 and presigned links on, the file comes from the bucket through a link
    // signed just now, for this tenant's key only, after the checks above.
    let (blobs, k, ct, d) = (state.blobs.clone(), key.clone(), file.content_type.clone(), disposition.clone());
    if let Some(url) = web::block(move || blobs.download_url(&k, &ct, &d)).await?? {
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .finish());
    }
    let blobs = state.blobs.clone();
    let bytes = web::block(move || blobs.get(&key)).await??.ok_or(AppError::NotFound)?;
    let mut res = HttpResponse::Ok().content_type(file.content_type.as_str()).body(bytes);
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
