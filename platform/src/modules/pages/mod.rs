//! Static pages. The index is the `pages` module; a single page is always reachable,
//! since every site links its legal notice and accessibility statement.
mod list_pages;
mod show_page;

pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(list_pages::list_pages).service(show_page::show_page);
}
