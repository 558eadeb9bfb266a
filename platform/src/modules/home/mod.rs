//! The tenant's home page.
mod show_home;

pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(show_home::show_home);
}
