//! `POST /notifications/{id}/read`: marks one of one's own notifications read.
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::notifications;

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::page::{local_next, see_other};
use crate::identity::{csrf, SignedIn};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

#[post("/notifications/{id}/read")]
pub async fn mark_read(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    SignedIn(visitor, user): SignedIn,
    id: web::Path<String>,
    form: web::Form<ReadForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (s, t, me) = (state.clone(), tenant.0.clone(), user.id);
    // Someone else's notification is not found, as if it did not exist.
    web::block(move || s.db.tenant(&t, |conn| notifications::mark_read(conn, me, id))).await??;
    let next = form.next.as_deref().map_or_else(|| "/notifications".to_owned(), |n| local_next(Some(n)));
    Ok(see_other(&next))
}
