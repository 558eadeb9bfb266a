//! `/admin/spaces/{id}/edit`: a space's texts in each language (the description as
//! sanitised rich text), dates and privacy, and its hero image (PNG, JPEG or WebP up
//! to 2 MB, recognised from its content, stored under the tenant in the blob store).
use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::blob::BlobKey;
use tenant_core::names::Locale;
use tenant_core::space_edits::{self, EditableSpace, SpaceEdit};
use tenant_core::CoreError;

use super::admin::TenantAdmin;
use super::admin_spaces::{date, texts};
use super::admin_uploads::{self, ImageRefused};
use super::page::{see_other, Page};
use super::Visitor;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/spaces/{id}/edit")
            // Descriptions in two languages (form bodies are 16 KiB by default).
            .app_data(web::FormConfig::default().limit(256 * 1024))
            .route(web::get().to(show))
            .route(web::post().to(save)),
    )
    .service(web::resource("/admin/spaces/{id}/hero").route(web::post().to(upload_hero)))
    .service(web::resource("/admin/spaces/{id}/hero/remove").route(web::post().to(remove_hero)));
}

#[derive(Deserialize, Serialize, Default)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title_fr: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    subtitle_fr: String,
    #[serde(default)]
    subtitle_en: String,
    #[serde(default)]
    description_fr: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
    private: Option<String>,
}

impl EditForm {
    fn of(space: &EditableSpace) -> Self {
        let get = |m: &space_edits::FormTexts, l: &str| m.get(l).cloned().unwrap_or_default();
        EditForm {
            csrf: String::new(),
            title_fr: get(&space.title, "fr"),
            title_en: get(&space.title, "en"),
            subtitle_fr: get(&space.subtitle, "fr"),
            subtitle_en: get(&space.subtitle, "en"),
            description_fr: get(&space.description, "fr"),
            description_en: get(&space.description, "en"),
            start_date: space.start_date.map(|d| d.to_string()).unwrap_or_default(),
            end_date: space.end_date.map(|d| d.to_string()).unwrap_or_default(),
            private: space.private.then(|| "1".to_owned()),
        }
    }
}

/// Draws the edit page; `form` None shows the stored values.
#[allow(clippy::too_many_arguments)]
pub(super) async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: i64,
    form: Option<&EditForm>,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let space = web::block(move || s.db.tenant(&t, |conn| space_edits::editable(conn, id)))
        .await??
        .ok_or(AppError::NotFound)?;
    let mut page = Page::new(state, req, tenant, locale, visitor);
    match form {
        Some(f) => page.ctx.insert("form", f),
        None => page.ctx.insert("form", &EditForm::of(&space)),
    }
    let title = space.title.get(locale.as_str()).or_else(|| space.title.values().next()).cloned().unwrap_or_default();
    page.ctx.insert("space", &space);
    page.ctx.insert("space_title", &title);
    page.ctx.insert("max_image_mb", &(admin_uploads::MAX_IMAGE_BYTES / (1024 * 1024)).to_string());
    let errors: HashMap<String, String> = error.into_iter().collect();
    page.ctx.insert("errors", &errors);
    page.render(state, tenant, "admin/space_edit.html", status)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, id.into_inner(), None, None, StatusCode::OK).await
}

async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, form) = (id.into_inner(), form.into_inner());
    let invalid = |e: (String, String)| {
        render(&req, &state, &tenant, locale, &visitor, id, Some(&form), Some(e), StatusCode::UNPROCESSABLE_ENTITY)
    };
    let dates = date("start_date", &form.start_date).and_then(|s| Ok((s, date("end_date", &form.end_date)?)));
    let (start_date, end_date) = match dates {
        Ok(d) => d,
        Err(e) => return invalid(e).await,
    };
    let (title, subtitle, description) = (
        texts(&form.title_fr, &form.title_en),
        texts(&form.subtitle_fr, &form.subtitle_en),
        texts(&form.description_fr, &form.description_en),
    );
    let private = form.private.is_some();
    let (s, t) = (state.clone(), tenant.0.clone());
    let saved = web::block(move || {
        s.db.tenant(&t, |conn| {
            let edit = SpaceEdit {
                title: &title,
                subtitle: &subtitle,
                description: &description,
                start_date,
                end_date,
                private,
            };
            space_edits::update(conn, id, &edit)
        })
    })
    .await?;
    match saved {
        Ok(()) => {
            state.cache.forget_tenant(tenant.id);
            Ok(see_other(&format!("/admin/spaces/{id}?notice=admin_saved")))
        }
        Err(CoreError::Invalid(m)) => {
            let field = m.split(':').next().unwrap_or("form").trim().to_owned();
            invalid((field, m)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn upload_hero(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form =
        admin_uploads::read(payload, "image").await.ok_or_else(|| AppError::BadRequest("unreadable form".into()))?;
    super::csrf::verify(&req, &visitor, form.field("csrf"))?;
    let refuse = |why: ImageRefused| {
        let text = state
            .themes
            .get(tenant.theme.as_str())
            .message(locale, why.message_key())
            .replace("{max}", &(admin_uploads::MAX_IMAGE_BYTES / (1024 * 1024)).to_string());
        render(
            &req,
            &state,
            &tenant,
            locale,
            &visitor,
            id,
            None,
            Some(("image".into(), text)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let ext = match admin_uploads::check_image(&form) {
        Ok(ext) => ext,
        Err(why) => return refuse(why).await,
    };
    let bytes = form.file.unwrap_or_default();
    let (s, t) = (state.clone(), tenant.0.clone());
    let stored = web::block(move || -> Result<Result<(), ImageRefused>, AppError> {
        if s.db.tenant(&t, |conn| space_edits::editable(conn, id))?.is_none() {
            return Err(AppError::NotFound);
        }
        if !admin_uploads::fits_in_plan(&*s.blobs, &t, bytes.len())? {
            return Ok(Err(ImageRefused::NoSpace));
        }
        let name = format!("spaces/{id}/hero-{}.{ext}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let key = BlobKey::new(t.id, &name)?;
        s.blobs.put(&key, &bytes)?;
        let stored = key.to_stored();
        match s.db.tenant(&t, |conn| space_edits::set_hero(conn, id, Some(&stored))) {
            Ok(old) => {
                if let Some(old) = old.and_then(|k| BlobKey::parse_owned(t.id, &k).ok()) {
                    let _ = s.blobs.delete(&old);
                }
                Ok(Ok(()))
            }
            Err(e) => {
                let _ = s.blobs.delete(&key);
                Err(e.into())
            }
        }
    })
    .await??;
    match stored {
        Ok(()) => {
            state.cache.forget_tenant(tenant.id);
            Ok(see_other(&format!("/admin/spaces/{id}/edit?notice=admin_saved")))
        }
        Err(why) => refuse(why).await,
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn remove_hero(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, id) = (state.clone(), tenant.0.clone(), id.into_inner());
    web::block(move || -> Result<(), AppError> {
        let old = s.db.tenant(&t, |conn| space_edits::set_hero(conn, id, None))?;
        if let Some(old) = old.and_then(|k| BlobKey::parse_owned(t.id, &k).ok()) {
            s.blobs.delete(&old)?;
        }
        Ok(())
    })
    .await??;
    state.cache.forget_tenant(tenant.id);
    Ok(see_other(&format!("/admin/spaces/{id}/edit?notice=admin_saved")))
}
