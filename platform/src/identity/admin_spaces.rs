//! `/admin/spaces`: a tenant's administrators create participatory processes and
//! assemblies, give a process its phases, choose the active phase, and publish.
use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::names::Locale;
use tenant_core::space_events;
use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
use tenant_core::CoreError;

use super::admin::TenantAdmin;
use super::page::{see_other, Page};
use super::Visitor;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/spaces").route(web::get().to(index)).route(web::post().to(create)))
        .service(web::resource("/admin/spaces/{id}").route(web::get().to(show)))
        .service(web::resource("/admin/spaces/{id}/phases").route(web::post().to(add_phase)))
        .service(web::resource("/admin/spaces/{id}/phases/{phase}/activate").route(web::post().to(activate)))
        .service(web::resource("/admin/spaces/{id}/publication").route(web::post().to(publication)));
}

pub(super) fn texts(fr: &str, en: &str) -> Texts {
    let mut t = BTreeMap::new();
    for (l, v) in [(Locale::Fr, fr), (Locale::En, en)] {
        if !v.trim().is_empty() {
            t.insert(l, v.trim().to_owned());
        }
    }
    t
}

pub(super) fn date(field: &str, raw: &str) -> Result<Option<chrono::NaiveDate>, (String, String)> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| (field.to_owned(), format!("{field}: a date like 2027-03-31")))
}

#[derive(Deserialize, Default, serde::Serialize)]
pub struct SpaceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    slug: String,
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
    published: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_index(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    form: &SpaceForm,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let order = [locale, tenant.default_locale];
    let all = web::block(move || s.db.tenant(&t, |conn| spaces::list_all(conn, &order))).await??;
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("spaces", &all);
    page.ctx.insert("form", form);
    let errors: HashMap<String, String> = error.into_iter().collect();
    page.ctx.insert("errors", &errors);
    page.render(state, tenant, "admin/spaces.html", status)
}

async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
) -> Result<HttpResponse, AppError> {
    let form = SpaceForm { kind: "process".into(), ..SpaceForm::default() };
    render_index(&req, &state, &tenant, locale, &visitor, &form, None, StatusCode::OK).await
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    form: web::Form<SpaceForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let form = form.into_inner();
    let kind = if form.kind == "assembly" { SpaceKind::Assembly } else { SpaceKind::Process };
    let dates = date("start_date", &form.start_date).and_then(|s| Ok((s, date("end_date", &form.end_date)?)));
    let (start_date, end_date) = match dates {
        Ok(d) => d,
        Err(e) => {
            return render_index(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                &form,
                Some(e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let (title, subtitle, description) = (
        texts(&form.title_fr, &form.title_en),
        texts(&form.subtitle_fr, &form.subtitle_en),
        texts(&form.description_fr, &form.description_en),
    );
    let (s, t, slug) = (state.clone(), tenant.0.clone(), form.slug.trim().to_owned());
    let (private, published) = (form.private.is_some(), form.published.is_some());
    let created = web::block(move || {
        s.db.tenant(&t, |conn| {
            spaces::create(
                conn,
                &NewSpace {
                    kind,
                    slug: &slug,
                    title: &title,
                    subtitle: &subtitle,
                    description: &description,
                    start_date,
                    end_date,
                    private,
                    published,
                },
            )
        })
    })
    .await?;
    match created {
        Ok(id) => Ok(see_other(&format!("/admin/spaces/{id}?notice=admin_saved"))),
        Err(CoreError::Invalid(m) | CoreError::Conflict(m)) => {
            let field = m.split(':').next().unwrap_or("form").trim().to_owned();
            render_index(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                &form,
                Some((field, m)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_space(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let order = [locale, tenant.default_locale];
    let (space, phases, components) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some((space, phases)) = spaces::find_any(conn, id, &order)? else { return Ok(None) };
            let components = tenant_core::components::list_for_space(conn, id, true, &order)?;
            Ok(Some((space, phases, components)))
        })
    })
    .await??
    .ok_or(AppError::NotFound)?;
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("space", &space);
    page.ctx.insert("phases", &phases);
    page.ctx.insert("components", &components);
    page.ctx.insert("component_modules", &super::admin_components::enabled_modules(tenant));
    page.ctx.insert("error", &error);
    page.render(state, tenant, "admin/space.html", status)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    render_space(&req, &state, &tenant, locale, &visitor, id.into_inner(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PhaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title_fr: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
}

async fn add_phase(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<PhaseForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let id = id.into_inner();
    let dates = date("start_date", &form.start_date).and_then(|s| Ok((s, date("end_date", &form.end_date)?)));
    let dates = match dates {
        Ok(d) => d,
        Err((_, m)) => {
            return render_space(&req, &state, &tenant, locale, &visitor, id, Some(m), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    };
    let title = texts(&form.title_fr, &form.title_en);
    let (s, t) = (state.clone(), tenant.0.clone());
    let added = web::block(move || {
        s.db.tenant(&t, |conn| {
            if spaces::find_any(conn, id, &[Locale::Fr])?.is_none() {
                return Err(CoreError::NotFound("no such space".into()));
            }
            spaces::add_phase(conn, id, &title, &Texts::new(), dates)
        })
    })
    .await?;
    match added {
        Ok(_) => Ok(see_other(&format!("/admin/spaces/{id}?notice=admin_saved"))),
        Err(CoreError::Invalid(m)) => {
            render_space(&req, &state, &tenant, locale, &visitor, id, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfField {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    published: String,
}

async fn activate(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, admin): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<CsrfField>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, phase) = path.into_inner();
    let (s, t) = (state.clone(), tenant.0.clone());
    // The space's followers are told in the same transaction as the change.
    web::block(move || s.db.tenant(&t, |conn| space_events::activate_phase(conn, id, phase, Some(admin.id)))).await??;
    Ok(see_other(&format!("/admin/spaces/{id}?notice=admin_saved")))
}

async fn publication(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<CsrfField>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let id = id.into_inner();
    let published = form.published == "1";
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || s.db.tenant(&t, |conn| spaces::set_published(conn, id, published))).await??;
    Ok(see_other(&format!("/admin/spaces/{id}?notice=admin_saved")))
}
