//! `GET /comments/{id}/edit` (the form) and `POST /comments/{id}/edit`: the author
//! changes the text of their comment; the comment shows "edited".
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::comments::{self, Comment, Refused};
use tenant_core::CoreError;

use super::comment_form::{self, FormPage};
use super::commentable::{self, CommentPolicy};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::see_other;
use crate::identity::{csrf, SignedIn};
use crate::state::AppState;

#[get("/comments/{id}/edit")]
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (s, t, u, id) = (state.clone(), tenant.0.clone(), user.clone(), id.into_inner());
    let found: Option<(Comment, CommentPolicy)> = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(c) = comments::find(conn, id)? else { return Ok(None) };
            Ok::<_, CoreError>(commentable::policy(conn, &t, c.resource, Some(&u))?.map(|p| (c, p)))
        })
    })
    .await??;
    let Some((comment, policy)) = found else { return Err(AppError::NotFound) };
    if comment.hidden && !user.is_admin {
        return Err(AppError::NotFound);
    }
    let refused = if comment.author_id != user.id {
        Some(Refused::NotYours)
    } else if comment.deleted {
        Some(Refused::Deleted)
    } else if comment.hidden {
        Some(Refused::Hidden)
    } else {
        None
    };
    if let Some(r) = refused {
        return Err(AppError::Forbidden(super::refusal_text(&state, &tenant, locale, r)));
    }
    let body = super::editable_text(&comment.body);
    comment_form::render(
        &state,
        &req,
        &tenant,
        locale,
        &visitor,
        FormPage {
            heading_key: "comments_edit_title",
            action: format!("/comments/{id}/edit"),
            back_url: &format!("{}#comment-{id}", policy.url),
            resource_title: &policy.title,
            body: &body,
            error: None,
            hidden: None,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

enum Outcome {
    NotFound,
    Closed,
    Gate(Gate),
    Refused(Refused, CommentPolicy),
    Saved(CommentPolicy),
}

#[post("/comments/{id}/edit")]
pub async fn edit_comment(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let id = id.into_inner();
    let (s, t, u, body) = (state.clone(), tenant.0.clone(), user.clone(), form.body.clone());
    let outcome = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(c) = comments::find(conn, id)? else { return Ok(Outcome::NotFound) };
            let Some(policy) = commentable::policy(conn, &t, c.resource, Some(&u))? else {
                return Ok(Outcome::NotFound);
            };
            if c.author_id != u.id {
                return Ok(Outcome::Refused(Refused::NotYours, policy));
            }
            if policy.blocked {
                return Ok(Outcome::Closed);
            }
            let gate = verifications::gate(conn, Some(u.id), policy.requirement)?;
            if !gate.allowed() {
                return Ok(Outcome::Gate(gate));
            }
            Ok::<_, CoreError>(match comments::edit(conn, id, u.id, &body)? {
                Ok(_) => Outcome::Saved(policy),
                Err(r) => Outcome::Refused(r, policy),
            })
        })
    })
    .await??;
    match outcome {
        Outcome::NotFound => Err(AppError::NotFound),
        Outcome::Closed => Err(super::closed(&state, &tenant, locale)),
        Outcome::Gate(gate) => Err(super::gate_refusal(&state, &tenant, locale, gate)),
        Outcome::Saved(policy) => Ok(see_other(&format!("{}#comment-{id}", policy.url))),
        Outcome::Refused(r @ (Refused::Empty | Refused::TooLong), policy) => comment_form::render(
            &state,
            &req,
            &tenant,
            locale,
            &visitor,
            FormPage {
                heading_key: "comments_edit_title",
                action: format!("/comments/{id}/edit"),
                back_url: &format!("{}#comment-{id}", policy.url),
                resource_title: &policy.title,
                body: &form.body,
                error: Some(super::refusal_text(&state, &tenant, locale, r)),
                hidden: None,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Outcome::Refused(r, _) => Err(AppError::Forbidden(super::refusal_text(&state, &tenant, locale, r))),
    }
}
