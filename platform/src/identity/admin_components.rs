//! `/admin/components/…`: a tenant's administrators place components (proposals
//! now; any module of the registry) in a space, name them, set their settings for
//! the whole component and per phase, manage the space's categories, and publish.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::components;
use tenant_core::names::{Locale, ModuleName};
use tenant_core::proposals;
use tenant_core::spaces;
use tenant_core::CoreError;

use super::admin::TenantAdmin;
use super::admin_spaces::texts;
use super::page::{see_other, Page};
use super::Visitor;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::modules::registry::{self, Field};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/spaces/{id}/components").route(web::post().to(create)))
        .service(web::resource("/admin/components/{id}").route(web::get().to(show)).route(web::post().to(save)))
        .service(web::resource("/admin/components/{id}/publication").route(web::post().to(publication)))
        .service(web::resource("/admin/components/{id}/categories").route(web::post().to(add_category)))
        .service(
            web::resource("/admin/components/{id}/categories/{category}/delete").route(web::post().to(remove_category)),
        );
}

/// The component modules this tenant has switched on.
pub fn enabled_modules(tenant: &tenant_core::Tenant) -> Vec<&'static str> {
    registry::COMPONENT_MODULES.iter().filter(|m| tenant.has_module(m.module)).map(|m| m.module.as_str()).collect()
}

#[derive(Deserialize)]
pub struct NewComponent {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    module: String,
    #[serde(default)]
    name_fr: String,
    #[serde(default)]
    name_en: String,
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<NewComponent>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let space_id = id.into_inner();
    let module = registry::find(form.module.trim())
        .filter(|m| tenant.has_module(m.module))
        .ok_or_else(|| AppError::BadRequest("module: not a module switched on for this site".into()))?;
    let name = texts(&form.name_fr, &form.name_en);
    let (s, t) = (state.clone(), tenant.0.clone());
    let settings = (module.defaults)();
    let module_name: ModuleName = module.module;
    let cid = web::block(move || {
        s.db.tenant(&t, |conn| {
            spaces::find_any(conn, space_id, &[Locale::Fr])?
                .ok_or_else(|| CoreError::NotFound("no such space".into()))?;
            components::create(conn, space_id, module_name, &name, &settings)
        })
    })
    .await??;
    Ok(see_other(&format!("/admin/components/{cid}?notice=admin_saved")))
}

/// The settings of one phase (or of the space without phases) as form fields.
#[derive(Serialize)]
struct PhaseFields {
    key: String,
    title: String,
    active: bool,
    fields: Vec<Field>,
}

#[allow(clippy::too_many_arguments)]
async fn render(
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
    let loaded = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(c) = components::find(conn, id, &order)? else { return Ok(None) };
            let Some((space, phases)) = spaces::find_any(conn, c.space_id, &order)? else { return Ok(None) };
            let categories = proposals::categories(conn, space.id, &order)?;
            Ok(Some((c, space, phases, categories)))
        })
    })
    .await??;
    let (component, space, phases, categories) = loaded.ok_or(AppError::NotFound)?;
    let module = registry::find(&component.module).ok_or(AppError::NotFound)?;
    let mut phase_fields: Vec<PhaseFields> = phases
        .iter()
        .map(|p| PhaseFields {
            key: p.id.to_string(),
            title: p.title.clone(),
            active: p.active,
            fields: registry::fields(
                &format!("p.{}.", p.id),
                module.phase_settings,
                &component.settings_for_phase(Some(p.id)),
            ),
        })
        .collect();
    let default_title = state.themes.get(tenant.theme.as_str()).message(locale, "admin_component_no_phase");
    phase_fields.push(PhaseFields {
        key: components::DEFAULT_PHASE.to_owned(),
        title: default_title,
        active: !phases.iter().any(|p| p.active),
        fields: registry::fields(
            &format!("p.{}.", components::DEFAULT_PHASE),
            module.phase_settings,
            &component.settings_for_phase(None),
        ),
    });
    let kind_path = if space.kind == "assembly" { "assemblies" } else { "processes" };
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("component", &component);
    page.ctx.insert("space", &space);
    page.ctx.insert("public_url", &format!("/{kind_path}/{}/f/{}", space.slug, component.id));
    page.ctx.insert("fields", &registry::fields("s.", module.settings, &component.settings));
    page.ctx.insert("phase_fields", &phase_fields);
    page.ctx.insert("categories", &categories);
    page.ctx.insert("error", &error);
    page.render(state, tenant, "admin/component.html", status)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, id.into_inner(), None, StatusCode::OK).await
}

async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let get = |k: &str| form.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    super::csrf::verify(&req, &visitor, get("csrf"))?;
    let id = id.into_inner();
    let name = texts(get("name_fr"), get("name_en"));
    let (s, t) = (state.clone(), tenant.0.clone());
    let form2 = form.clone();
    let r = web::block(move || {
        s.db.tenant(&t, |conn| {
            let c = components::find(conn, id, &[Locale::Fr])?
                .ok_or_else(|| CoreError::NotFound("no such component".into()))?;
            let module = registry::find(&c.module).ok_or_else(|| CoreError::NotFound("unknown module".into()))?;
            let (_, phases) = spaces::find_any(conn, c.space_id, &[Locale::Fr])?
                .ok_or_else(|| CoreError::NotFound("no such space".into()))?;
            let settings = (module.check_settings)(&registry::read("s.", module.settings, &form2)?)?;
            let mut per_phase = serde_json::Map::new();
            let keys = phases.iter().map(|p| p.id.to_string()).chain([components::DEFAULT_PHASE.to_owned()]);
            for key in keys {
                let v = registry::read(&format!("p.{key}."), module.phase_settings, &form2)?;
                per_phase.insert(key, (module.check_phase_settings)(&v)?);
            }
            components::update(conn, id, &name, &settings, &serde_json::Value::Object(per_phase))
        })
    })
    .await?;
    match r {
        Ok(()) => Ok(see_other(&format!("/admin/components/{id}?notice=admin_saved"))),
        Err(CoreError::Invalid(m)) => {
            render(&req, &state, &tenant, locale, &visitor, id, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PublicationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    published: String,
}

async fn publication(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<PublicationForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let id = id.into_inner();
    let published = form.published == "1";
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || s.db.tenant(&t, |conn| components::set_published(conn, id, published))).await??;
    Ok(see_other(&format!("/admin/components/{id}?notice=admin_saved")))
}

#[derive(Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name_fr: String,
    #[serde(default)]
    name_en: String,
}

async fn add_category(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<CategoryForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let id = id.into_inner();
    let name = texts(&form.name_fr, &form.name_en);
    let (s, t) = (state.clone(), tenant.0.clone());
    let r = web::block(move || {
        s.db.tenant(&t, |conn| {
            let c = components::find(conn, id, &[Locale::Fr])?
                .ok_or_else(|| CoreError::NotFound("no such component".into()))?;
            proposals::add_category(conn, c.space_id, &name)
        })
    })
    .await?;
    match r {
        Ok(_) => Ok(see_other(&format!("/admin/components/{id}?notice=admin_saved#categories"))),
        Err(CoreError::Invalid(m)) => {
            render(&req, &state, &tenant, locale, &visitor, id, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn remove_category(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, category) = path.into_inner();
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || {
        s.db.tenant(&t, |conn| {
            let c = components::find(conn, id, &[Locale::Fr])?
                .ok_or_else(|| CoreError::NotFound("no such component".into()))?;
            proposals::remove_category(conn, c.space_id, category)
        })
    })
    .await??;
    Ok(see_other(&format!("/admin/components/{id}?notice=admin_saved#categories")))
}
