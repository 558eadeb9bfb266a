//! `POST /notifications/read-all`: marks every one of one's notifications read.
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::notifications;

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::page::see_other;
use crate::identity::{csrf, SignedIn};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ReadAllForm {
    #[serde(default)]
    csrf: String,
}

#[post("/notifications/read-all")]
pub async fn mark_all_read(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<ReadAllForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, me) = (state.clone(), tenant.0.clone(), user.id);
    web::block(move || s.db.tenant(&t, |conn| notifications::mark_all_read(conn, me))).await??;
    Ok(see_other("/notifications"))
}
