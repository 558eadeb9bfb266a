//! News posts (`blog` module).
mod list_posts;
mod show_post;

pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(list_posts::list_posts).service(show_post::show_post);
}
