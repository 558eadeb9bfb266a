//! Notifications on a tenant's site: the list (`/notifications`, newest first, unread
//! ones marked), marking read, the mail frequency setting (`/account/notifications`),
//! and the digest sender that mails what is due.
pub mod edit_settings;
pub mod list_notifications;
pub mod mark_all_read;
pub mod mark_read;
pub mod open_notification;
pub mod save_settings;
pub mod send_digests;
pub mod sentence;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_notifications::list_notifications)
        .service(mark_all_read::mark_all_read)
        .service(mark_read::mark_read)
        .service(open_notification::open_notification)
        .service(edit_settings::edit_settings)
        .service(save_settings::save_settings);
}
