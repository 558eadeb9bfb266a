//! The proposals component's admin pages under `/admin/components/{id}/proposals`:
//! the list with merge, each proposal with its answer, hide and split, and the
//! CSV/JSON import and export.
mod answer;
mod exchange;
mod list;

use actix_web::web;
use tenant_core::components::{self, Component};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::proposals::{self, Category, Settings};
use tenant_core::spaces;
use tenant_core::CoreResult;

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/components/{id}/proposals").route(web::get().to(list::index)))
        .service(web::resource("/admin/components/{id}/proposals/merge").route(web::post().to(list::merge)))
        .service(
            web::resource("/admin/components/{id}/proposals/export.{format}").route(web::get().to(exchange::export)),
        )
        .service(web::resource("/admin/components/{id}/proposals/import").route(web::post().to(exchange::import)))
        .service(
            web::resource("/admin/components/{id}/proposals/{proposal}")
                .route(web::get().to(answer::show))
                .route(web::post().to(answer::answer)),
        )
        .service(
            web::resource("/admin/components/{id}/proposals/{proposal}/visibility")
                .route(web::post().to(answer::visibility)),
        )
        .service(
            web::resource("/admin/components/{id}/proposals/{proposal}/split").route(web::post().to(answer::split)),
        );
}

/// A proposals component as its admin pages need it.
#[derive(Clone, serde::Serialize)]
pub struct AdminCtx {
    pub component: Component,
    pub space: spaces::Space,
    pub settings: Settings,
    pub categories: Vec<Category>,
    pub public_url: String,
}

fn load(conn: &mut diesel::PgConnection, id: i64, order: &[Locale]) -> CoreResult<Option<AdminCtx>> {
    let Some(component) = components::find(conn, id, order)? else { return Ok(None) };
    if component.module != ModuleName::Proposals.as_str() {
        return Ok(None);
    }
    let Some((space, _)) = spaces::find_any(conn, component.space_id, order)? else { return Ok(None) };
    let categories = proposals::categories(conn, space.id, order)?;
    let kind_path = if space.kind == "assembly" { "assemblies" } else { "processes" };
    let public_url = format!("/{kind_path}/{}/f/{}", space.slug, component.id);
    let settings = Settings::read(&component.settings);
    Ok(Some(AdminCtx { component, space, settings, categories, public_url }))
}

pub async fn load_admin(
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    id: i64,
) -> Result<AdminCtx, AppError> {
    crate::modules::require(tenant, ModuleName::Proposals)?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let order = [locale, tenant.default_locale];
    web::block(move || s.db.tenant(&t, |conn| load(conn, id, &order))).await??.ok_or(AppError::NotFound)
}
