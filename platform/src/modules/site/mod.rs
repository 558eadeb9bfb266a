//! Site-wide routes of a tenant host: theme assets, branding and the language switch.
mod serve_asset;
mod serve_branding;
mod switch_locale;

pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(serve_asset::serve_asset)
        .service(serve_branding::branding_css)
        .service(serve_branding::logo)
        .service(switch_locale::switch_locale);
}
