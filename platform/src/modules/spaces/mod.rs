//! Participatory spaces: `/processes` and `/assemblies`, each listing the published
//! spaces the visitor may see (private ones to their members and the tenant's
//! administrators), and one space's page with its phases.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::spaces::{self, SpaceKind, Viewer};

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::MaybeUser;
use crate::modules::follows::button as follow_button;
use crate::state::AppState;

mod hero_image;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_processes).service(show_process).service(list_assemblies).service(show_assembly);
    cfg.service(hero_image::process_hero).service(hero_image::assembly_hero);
}

fn viewer(visitor: &crate::identity::Visitor) -> Viewer {
    match &visitor.user {
        Some(u) if u.is_admin => Viewer::Admin,
        Some(u) => Viewer::Participant(u.id),
        None => Viewer::Anonymous,
    }
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    locale: tenant_core::names::Locale,
    visitor: crate::identity::Visitor,
    kind: SpaceKind,
) -> Result<HttpResponse, AppError> {
    let (s, t, who) = (state.clone(), tenant.0.clone(), viewer(&visitor));
    let order = [locale, tenant.default_locale];
    let list = web::block(move || s.db.tenant(&t, |conn| spaces::list_visible(conn, kind, who, &order))).await??;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("spaces", &list);
    page.ctx.insert("kind", kind.as_str());
    page.render(&state, &tenant, "spaces/index.html", StatusCode::OK)
}

#[allow(clippy::too_many_arguments)]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    locale: tenant_core::names::Locale,
    visitor: crate::identity::Visitor,
    kind: SpaceKind,
    slug: String,
) -> Result<HttpResponse, AppError> {
    if slug.len() > 60 {
        return Err(AppError::NotFound);
    }
    let (s, t, who) = (state.clone(), tenant.0.clone(), viewer(&visitor));
    let me = visitor.user.as_ref().map(|u| u.id);
    let order = [locale, tenant.default_locale];
    let all = matches!(who, Viewer::Admin);
    let found = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some((space, phases)) = spaces::find_visible(conn, kind, &slug, who, &order)? else { return Ok(None) };
            let components = tenant_core::components::list_for_space(conn, space.id, all, &order)?;
            let follow = follow_button(conn, me, ResourceRef::new(ResourceKind::Space, space.id))?;
            Ok::<_, tenant_core::CoreError>(Some((space, phases, components, follow)))
        })
    })
    .await??
    .ok_or(AppError::NotFound)?;
    let (space, phases, mut components, follow) = found;
    // Only the modules this tenant has switched on are shown.
    components.retain(|c| tenant.modules.iter().any(|m| m.as_str() == c.module));
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("space", &space);
    page.ctx.insert("active_phase", &phases.iter().find(|p| p.active));
    page.ctx.insert("phases", &phases);
    page.ctx.insert("components", &components);
    page.ctx.insert("kind", kind.as_str());
    page.ctx.insert("kind_path", if kind == SpaceKind::Process { "processes" } else { "assemblies" });
    page.ctx.insert("follow", &follow);
    page.render(&state, &tenant, "spaces/show.html", StatusCode::OK)
}

#[get("/processes")]
pub async fn list_processes(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    list(req, state, tenant, locale, visitor, SpaceKind::Process).await
}

#[get("/processes/{slug}")]
pub async fn show_process(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    show(req, state, tenant, locale, visitor, SpaceKind::Process, slug.into_inner()).await
}

#[get("/assemblies")]
pub async fn list_assemblies(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    list(req, state, tenant, locale, visitor, SpaceKind::Assembly).await
}

#[get("/assemblies/{slug}")]
pub async fn show_assembly(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    show(req, state, tenant, locale, visitor, SpaceKind::Assembly, slug.into_inner()).await
}
