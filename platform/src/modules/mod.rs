//! Participation modules and the site-wide routes. Each module registers its routes
//! with `configure`; a module switched off for a tenant answers 404 on that tenant only.
pub mod blog;
pub mod budgets;
pub mod comments;
pub mod follows;
pub mod home;
pub mod moderation;
pub mod notifications;
pub mod pages;
pub mod petitions;
pub mod proposals;
pub mod registry;
pub mod site;
pub mod spaces;

use actix_web::web;
use tenant_core::names::ModuleName;
use tenant_core::Tenant;

use crate::http::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Scoped modules first: a request for one skips the other routes' patterns (each
    // a regular expression to try), and other requests pass the scope on its prefix.
    petitions::configure(cfg);
    site::configure(cfg);
    crate::identity::configure(cfg);
    home::configure(cfg);
    pages::configure(cfg);
    blog::configure(cfg);
    spaces::configure(cfg);
    proposals::configure(cfg);
    budgets::configure(cfg);
    petitions::admin::configure(cfg);
    follows::configure(cfg);
    notifications::configure(cfg);
    comments::configure(cfg);
    moderation::configure(cfg);
}

/// Refuses a request to a module the tenant has not switched on.
pub fn require(tenant: &Tenant, module: ModuleName) -> Result<(), AppError> {
    if tenant.has_module(module) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
