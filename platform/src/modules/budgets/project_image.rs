//! `GET …/budgets/{budget}/projects/{project}/images/{image}`: one of a project's
//! images, from the blob store, through the tenant's own host, to whoever may see the
//! budget.
use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::blob::{sniff_image, BlobKey};
use tenant_core::budgets;
use tenant_core::budgets::images::{self, ProjectImage};

use super::{with_ctx, BudgetPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::MaybeUser;
use crate::state::AppState;

/// One of a project's images, as pages show it.
#[derive(Serialize)]
pub struct ImageView {
    pub id: i64,
    pub url: String,
    pub alt: String,
}

impl ImageView {
    pub fn new(budget_url: &str, image: &ProjectImage) -> Self {
        Self { id: image.id, url: image_url(budget_url, image), alt: image.alt.clone() }
    }
}

/// The address of a project's image, with its version (so that browsers may keep it).
pub fn image_url(budget_url: &str, image: &ProjectImage) -> String {
    format!("{budget_url}/projects/{}/images/{}?v={}", image.project_id, image.id, image.version())
}

#[derive(Deserialize)]
pub struct ImagePath {
    kind: String,
    slug: String,
    component: i64,
    budget: i64,
    project: i64,
    image: i64,
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/budgets/{budget:\\d+}/projects/{project:\\d+}/images/{image:\\d+}")]
pub async fn serve(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ImagePath>,
) -> Result<HttpResponse, AppError> {
    let p = path.into_inner();
    let bp = BudgetPath { kind: p.kind, slug: p.slug, component: p.component, budget: p.budget };
    let (budget, project, image) = (p.budget, p.project, p.image);
    let (ctx, stored) = with_ctx(&state, &tenant, locale, &visitor, &bp.component(), move |conn, c| {
        if budgets::find(conn, c.component.id, budget, &[])?.is_none() {
            return Ok(None);
        }
        Ok(images::find(conn, budget, project, image)?.map(|i| i.blob_key))
    })
    .await?;
    let key = BlobKey::parse_owned(tenant.id, &stored)?;
    let blobs = state.blobs.clone();
    let bytes = web::block(move || blobs.get(&key)).await??.ok_or(AppError::NotFound)?;
    let (_, content_type) = sniff_image(&bytes).ok_or(AppError::NotFound)?;
    // The page links the image with its version; a private space's stays out of shared caches.
    let cache = if ctx.space.private { "private, max-age=86400" } else { "public, max-age=86400" };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .body(bytes))
}
