//! Reports and the tenant administrators' moderation queue: `POST /reports` for any
//! reportable resource ([`reportable`]), `/admin/moderation` with hide and unhide.
mod admin_queue;
mod create_report;
mod hide_resource;
pub mod reportable;
mod unhide_resource;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_report::create_report)
        .service(admin_queue::admin_queue)
        .service(hide_resource::hide_resource)
        .service(unhide_resource::unhide_resource);
}

/// The form fields that name a resource in the moderation forms.
#[derive(serde::Deserialize)]
pub struct ResourceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resource_kind: String,
    #[serde(default)]
    resource_id: String,
    /// The queue tab to come back to.
    #[serde(default)]
    filter: String,
}

impl ResourceForm {
    fn back(&self) -> String {
        let filter = tenant_core::moderation::QueueFilter::parse_or_default(&self.filter);
        format!("/admin/moderation?filter={}&notice=admin_saved", filter.as_str())
    }
}
