//! `POST /comments/{id}/delete`: the author deletes their comment; it shows as
//! deleted and its replies stay.
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::comments::{self, Refused};
use tenant_core::CoreError;

use super::commentable::{self, CommentPolicy};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::see_other;
use crate::identity::{csrf, SignedIn};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

#[post("/comments/{id}/delete")]
pub async fn delete_comment(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    id: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let id = id.into_inner();
    let (s, t, u) = (state.clone(), tenant.0.clone(), user.clone());
    let outcome: Option<(Result<(), Refused>, CommentPolicy)> = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(c) = comments::find(conn, id)? else { return Ok(None) };
            let Some(policy) = commentable::policy(conn, &t, c.resource, Some(&u))? else { return Ok(None) };
            let done = comments::delete(conn, id, u.id)?.map(|_| ());
            Ok::<_, CoreError>(Some((done, policy)))
        })
    })
    .await??;
    match outcome {
        None => Err(AppError::NotFound),
        // Deleting twice (a double submit) lands where the first did.
        Some((Ok(()) | Err(Refused::Deleted), policy)) => Ok(see_other(&format!("{}#comment-{id}", policy.url))),
        Some((Err(r), _)) => Err(AppError::Forbidden(super::refusal_text(&state, &tenant, locale, r))),
    }
}
