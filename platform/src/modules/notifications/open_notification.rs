//! `GET /notifications/{id}/open`: the link of a notification in the list and in
//! the mails; marks it read, then goes where it points (a path on this site).
use actix_web::{get, web, HttpResponse};
use tenant_core::notifications;

use super::sentence::local_path;
use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::page::see_other;
use crate::identity::SignedIn;
use crate::state::AppState;

#[get("/notifications/{id}/open")]
pub async fn open_notification(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    SignedIn(_, user): SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (s, t, me) = (state.clone(), tenant.0.clone(), user.id);
    // Marking read is the only effect, on one's own notification: harmless as a GET.
    let data = web::block(move || s.db.tenant(&t, |conn| notifications::open(conn, me, id)))
        .await??
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&local_path(&data)))
}
