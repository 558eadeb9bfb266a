//! `/api/v1/tenants`.
mod backups;
mod certificates;
mod change_status;
mod create;
mod delete;
mod exports;
mod identity_providers;
mod list;
mod mail;
mod move_tenant;
mod show;
mod update;

pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(list::list_tenants)
        .service(create::create_tenant)
        .service(show::show_tenant)
        .service(update::update)
        .service(delete::delete)
        .service(exports::start_export)
        .service(exports::list)
        .service(exports::download)
        .service(identity_providers::list)
        .service(identity_providers::put_provider)
        .service(identity_providers::delete_provider)
        .service(mail::get_mail)
        .service(mail::put_mail)
        .service(mail::delete_mail)
        .service(certificates::put_certificate)
        .service(certificates::delete_certificate)
        .service(change_status::suspend_tenant)
        .service(change_status::resume_tenant)
        .service(move_tenant::move_to_cluster)
        .service(backups::back_up)
        .service(backups::restore);
}

/// The tenant slug of a route; anything that is not a valid slug names no tenant.
fn tenant_slug(raw: &str) -> Result<tenant_core::names::TenantSlug, crate::api::error::ApiError> {
    tenant_core::names::TenantSlug::parse(raw).map_err(|_| crate::api::error::ApiError::not_found("no such tenant"))
}
