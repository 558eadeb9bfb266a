//! `/admin/appearance`: the site's primary colour (readable with white text, 4.5:1,
//! RGAA 3.2) and logo, both kept in the catalog and changed the way provisioning
//! changes a tenant (one transaction, revision bumped, audited, every replica told
//! through the directory's NOTIFY); and the home page's blocks, in the tenant's schema.
use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::catalog::TenantChanges;
use tenant_core::content::home_blocks::{self, BlockKind, BlockTexts};
use tenant_core::names::{Color, Locale};
use tenant_core::CoreError;

use super::admin::TenantAdmin;
use super::admin_uploads::{self, ImageRefused};
use super::page::{see_other, Page};
use super::Visitor;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

/// The contrast a primary colour needs with white text (WCAG AA, RGAA 3.2).
pub const MIN_CONTRAST: f64 = 4.5;

/// Room for a block's texts in two languages (form bodies are 16 KiB by default).
fn texts_form() -> web::FormConfig {
    web::FormConfig::default().limit(256 * 1024)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/appearance").route(web::get().to(show)))
        .service(web::resource("/admin/appearance/color").route(web::post().to(set_color)))
        .service(web::resource("/admin/appearance/logo").route(web::post().to(upload_logo)))
        .service(web::resource("/admin/appearance/blocks").app_data(texts_form()).route(web::post().to(add_block)))
        .service(
            web::resource("/admin/appearance/blocks/{id}").app_data(texts_form()).route(web::post().to(edit_block)),
        )
        .service(web::resource("/admin/appearance/blocks/{id}/enabled").route(web::post().to(enable_block)))
        .service(web::resource("/admin/appearance/blocks/{id}/move").route(web::post().to(move_block)))
        .service(web::resource("/admin/appearance/blocks/{id}/delete").route(web::post().to(delete_block)));
}

/// What the page shows again after a refused form.
#[derive(Default)]
struct Refused {
    field: String,
    message: String,
    color: Option<String>,
    block: Option<BlockForm>,
}

async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    refused: Option<Refused>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let blocks = web::block(move || s.db.tenant(&t, home_blocks::list_all)).await??;
    let refused = refused.unwrap_or_default();
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("blocks", &blocks);
    page.ctx.insert("kinds", &BlockKind::ALL.map(BlockKind::as_str));
    page.ctx.insert("color", &refused.color.unwrap_or_else(|| tenant.primary_color.to_string()));
    page.ctx.insert("current_color", &tenant.primary_color.to_string());
    page.ctx.insert("max_image_mb", &(admin_uploads::MAX_IMAGE_BYTES / (1024 * 1024)).to_string());
    page.ctx.insert("new_block", &refused.block.unwrap_or_default());
    let mut errors = BTreeMap::new();
    if !refused.message.is_empty() {
        errors.insert(refused.field, refused.message);
    }
    page.ctx.insert("errors", &errors);
    page.render(state, tenant, "admin/appearance.html", status)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, None, StatusCode::OK).await
}

/// Applies a catalog change through provisioning's own path, then reloads this
/// replica's directory at once (the others reload on the NOTIFY).
async fn change_tenant(
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    admin_id: i64,
    changes: TenantChanges,
    logo: Option<provisioning::Logo>,
) -> Result<Result<(), String>, AppError> {
    let (s, slug) = (state.clone(), tenant.slug.clone());
    web::block(move || -> Result<Result<(), String>, AppError> {
        let actor = provisioning::Actor::tenant_admin(admin_id);
        match provisioning::update_tenant::update_tenant(&s.db, &*s.blobs, &slug, changes, logo, &actor) {
            Ok(_) => {}
            Err(CoreError::Invalid(m)) => return Ok(Err(m)),
            Err(e) => return Err(e.into()),
        }
        s.directory.reload(&s.db)?;
        Ok(Ok(()))
    })
    .await?
}

#[derive(Deserialize)]
pub struct ColorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    color: String,
}

async fn set_color(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, admin): TenantAdmin,
    form: web::Form<ColorForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let theme = state.themes.get(tenant.theme.as_str());
    let typed = form.color.trim().chars().take(20).collect::<String>();
    let refuse = |message: String| Refused { field: "color".into(), message, color: Some(typed.clone()), block: None };
    let color = match Color::parse(&typed) {
        Ok(c) => c,
        Err(_) => {
            let r = refuse(theme.message(locale, "admin_color_invalid"));
            return render(&req, &state, &tenant, locale, &visitor, Some(r), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let ratio = color.contrast(Color::rgb(255, 255, 255));
    if ratio < MIN_CONTRAST {
        let text = theme.message(locale, "admin_color_contrast").replace("{ratio}", &format_ratio(ratio, locale));
        return render(&req, &state, &tenant, locale, &visitor, Some(refuse(text)), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    let changes = TenantChanges { primary_color: Some(color), ..TenantChanges::default() };
    if let Err(m) = change_tenant(&state, &tenant, admin.id, changes, None).await? {
        return render(&req, &state, &tenant, locale, &visitor, Some(refuse(m)), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    Ok(see_other("/admin/appearance?notice=admin_saved"))
}

/// A contrast ratio as people write it: `3.2:1`, `3,2:1` in French.
fn format_ratio(ratio: f64, locale: Locale) -> String {
    let text = format!("{:.1}:1", (ratio * 10.0).floor() / 10.0);
    if locale == Locale::Fr {
        text.replace('.', ",")
    } else {
        text
    }
}

async fn upload_logo(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, admin): TenantAdmin,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let form =
        admin_uploads::read(payload, "logo").await.ok_or_else(|| AppError::BadRequest("unreadable form".into()))?;
    super::csrf::verify(&req, &visitor, form.field("csrf"))?;
    let refuse = |why: ImageRefused| {
        let text = state
            .themes
            .get(tenant.theme.as_str())
            .message(locale, why.message_key())
            .replace("{max}", &(admin_uploads::MAX_IMAGE_BYTES / (1024 * 1024)).to_string());
        Refused { field: "logo".into(), message: text, color: None, block: None }
    };
    let extension = match admin_uploads::check_image(&form) {
        Ok(ext) => ext,
        Err(why) => {
            return render(&req, &state, &tenant, locale, &visitor, Some(refuse(why)), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    };
    let bytes = form.file.unwrap_or_default();
    let (blobs, t, size) = (state.blobs.clone(), tenant.0.clone(), bytes.len());
    if !web::block(move || admin_uploads::fits_in_plan(&*blobs, &t, size)).await?? {
        let r = refuse(ImageRefused::NoSpace);
        return render(&req, &state, &tenant, locale, &visitor, Some(r), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let logo = provisioning::Logo { bytes, extension };
    if let Err(m) = change_tenant(&state, &tenant, admin.id, TenantChanges::default(), Some(logo)).await? {
        let r = Refused { field: "logo".into(), message: m, color: None, block: None };
        return render(&req, &state, &tenant, locale, &visitor, Some(r), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    Ok(see_other("/admin/appearance?notice=admin_saved"))
}

#[derive(Deserialize, serde::Serialize, Default)]
pub struct BlockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title_fr: String,
    #[serde(default)]
    body_fr: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    body_en: String,
}

impl BlockForm {
    fn texts(&self) -> BTreeMap<Locale, BlockTexts> {
        [
            (Locale::Fr, BlockTexts { title: self.title_fr.clone(), body: self.body_fr.clone() }),
            (Locale::En, BlockTexts { title: self.title_en.clone(), body: self.body_en.clone() }),
        ]
        .into_iter()
        .collect()
    }
}

async fn add_block(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    form: web::Form<BlockForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let form = form.into_inner();
    let (s, t, kind, texts) = (state.clone(), tenant.0.clone(), form.kind.clone(), form.texts());
    let added = web::block(move || {
        s.db.tenant(&t, |conn| {
            let kind = BlockKind::parse(&kind)?;
            home_blocks::add(conn, kind, &texts)
        })
    })
    .await?;
    block_saved(&req, &state, &tenant, locale, &visitor, added.map(|_| ()), Some(form)).await
}

async fn block_saved(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    result: Result<(), CoreError>,
    form: Option<BlockForm>,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => {
            state.cache.forget_tenant(tenant.id);
            Ok(see_other("/admin/appearance?notice=admin_saved#blocks-title"))
        }
        Err(CoreError::Invalid(m)) => {
            let field = format!("block_{}", m.split(':').next().unwrap_or("form").trim());
            let r = Refused { field, message: m, color: None, block: form };
            render(req, state, tenant, locale, visitor, Some(r), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_block(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<BlockForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, id, texts) = (state.clone(), tenant.0.clone(), id.into_inner(), form.texts());
    let saved = web::block(move || s.db.tenant(&t, |conn| home_blocks::set_texts(conn, id, &texts))).await?;
    block_saved(&req, &state, &tenant, locale, &visitor, saved, None).await
}

#[derive(Deserialize)]
pub struct BlockAction {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    direction: String,
}

async fn enable_block(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<BlockAction>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, id, on) = (state.clone(), tenant.0.clone(), id.into_inner(), form.enabled == "1");
    web::block(move || s.db.tenant(&t, |conn| home_blocks::set_enabled(conn, id, on))).await??;
    state.cache.forget_tenant(tenant.id);
    Ok(see_other("/admin/appearance?notice=admin_saved#blocks-title"))
}

async fn move_block(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<BlockAction>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let up = match form.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::BadRequest("direction: up or down".into())),
    };
    let (s, t, id) = (state.clone(), tenant.0.clone(), id.into_inner());
    web::block(move || s.db.tenant(&t, |conn| home_blocks::move_block(conn, id, up))).await??;
    state.cache.forget_tenant(tenant.id);
    Ok(see_other("/admin/appearance?notice=admin_saved#blocks-title"))
}

async fn delete_block(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<BlockAction>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, id) = (state.clone(), tenant.0.clone(), id.into_inner());
    web::block(move || s.db.tenant(&t, |conn| home_blocks::delete(conn, id))).await??;
    state.cache.forget_tenant(tenant.id);
    Ok(see_other("/admin/appearance?notice=admin_saved#blocks-title"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_ratios_are_written_as_people_read_them() {
        assert_eq!(format_ratio(3.27, Locale::Fr), "3,2:1");
        assert_eq!(format_ratio(3.27, Locale::En), "3.2:1");
        // The threshold: #767676 is the lightest grey that passes on white.
        assert!(Color::rgb(0x76, 0x76, 0x76).contrast(Color::rgb(255, 255, 255)) >= MIN_CONTRAST);
        assert!(Color::rgb(0x77, 0x77, 0x77).contrast(Color::rgb(255, 255, 255)) < MIN_CONTRAST);
    }
}
