//! A process's phases beyond adding and activating them: edit a phase's texts and
//! dates, remove one (never the active one), move one up or down.
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::names::Locale;
use tenant_core::space_edits::{self, PhaseRefused};
use tenant_core::CoreError;

use super::admin::TenantAdmin;
use super::admin_spaces::{date, texts};
use super::page::{see_other, Page};
use super::Visitor;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/spaces/{id}/phases/{phase}/edit").route(web::get().to(show)).route(web::post().to(save)),
    )
    .service(web::resource("/admin/spaces/{id}/phases/{phase}/delete").route(web::post().to(delete)))
    .service(web::resource("/admin/spaces/{id}/phases/{phase}/move").route(web::post().to(move_phase)));
}

#[derive(Deserialize, Serialize, Default)]
pub struct PhaseEditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title_fr: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    description_fr: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    (id, phase_id): (i64, i64),
    form: Option<&PhaseEditForm>,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let phase = web::block(move || s.db.tenant(&t, |conn| space_edits::phase(conn, id, phase_id)))
        .await??
        .ok_or(AppError::NotFound)?;
    let get = |m: &space_edits::FormTexts, l: &str| m.get(l).cloned().unwrap_or_default();
    let stored = PhaseEditForm {
        csrf: String::new(),
        title_fr: get(&phase.title, "fr"),
        title_en: get(&phase.title, "en"),
        description_fr: get(&phase.description, "fr"),
        description_en: get(&phase.description, "en"),
        start_date: phase.start_date.map(|d| d.to_string()).unwrap_or_default(),
        end_date: phase.end_date.map(|d| d.to_string()).unwrap_or_default(),
    };
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("form", form.unwrap_or(&stored));
    page.ctx.insert("phase", &phase);
    page.ctx.insert("phase_title", &get(&phase.title, locale.as_str()));
    let errors: HashMap<String, String> = error.into_iter().collect();
    page.ctx.insert("errors", &errors);
    page.render(state, tenant, "admin/phase_edit.html", status)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, path.into_inner(), None, None, StatusCode::OK).await
}

async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<PhaseEditForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let ((id, phase_id), form) = (path.into_inner(), form.into_inner());
    let invalid = |e: (String, String)| {
        render(
            &req,
            &state,
            &tenant,
            locale,
            &visitor,
            (id, phase_id),
            Some(&form),
            Some(e),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let dates = date("start_date", &form.start_date).and_then(|s| Ok((s, date("end_date", &form.end_date)?)));
    let dates = match dates {
        Ok(d) => d,
        Err(e) => return invalid(e).await,
    };
    let (title, description) =
        (texts(&form.title_fr, &form.title_en), texts(&form.description_fr, &form.description_en));
    let (s, t) = (state.clone(), tenant.0.clone());
    let saved = web::block(move || {
        s.db.tenant(&t, |conn| space_edits::update_phase(conn, id, phase_id, &title, &description, dates))
    })
    .await?;
    match saved {
        Ok(()) => Ok(see_other(&format!("/admin/spaces/{id}?notice=admin_saved"))),
        Err(CoreError::Invalid(m)) => {
            let field = m.split(':').next().unwrap_or("form").trim().to_owned();
            invalid((field, m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    direction: String,
}

async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, phase_id) = path.into_inner();
    let (s, t) = (state.clone(), tenant.0.clone());
    let done = web::block(move || s.db.tenant(&t, |conn| space_edits::delete_phase(conn, id, phase_id))).await??;
    match done {
        Ok(()) => Ok(see_other(&format!("/admin/spaces/{id}?notice=admin_saved"))),
        Err(PhaseRefused::Active) => {
            let text = state.themes.get(tenant.theme.as_str()).message(locale, "admin_phase_delete_active");
            render(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                (id, phase_id),
                None,
                Some(("form".into(), text)),
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

async fn move_phase(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let up = match form.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::BadRequest("direction: up or down".into())),
    };
    let (id, phase_id) = path.into_inner();
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || s.db.tenant(&t, |conn| space_edits::move_phase(conn, id, phase_id, up))).await??;
    Ok(see_other(&format!("/admin/spaces/{id}?notice=admin_saved#phases-title")))
}
