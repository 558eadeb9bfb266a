//! `POST /comments/{id}/vote` (`value` up or down): agree or disagree with a
//! comment; the same vote again takes it back, the other one switches it.
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::comments::{self, Refused, Vote};
use tenant_core::CoreError;

use super::commentable::{self, CommentPolicy};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::see_other;
use crate::identity::{csrf, SignedIn};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    value: String,
}

enum Outcome {
    NotFound,
    Closed,
    Gate(Gate),
    Refused(Refused),
    Voted(CommentPolicy),
}

#[post("/comments/{id}/vote")]
pub async fn vote_comment(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    id: web::Path<i64>,
    form: web::Form<VoteForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let vote = Vote::parse(&form.value)?;
    let id = id.into_inner();
    let (s, t, u) = (state.clone(), tenant.0.clone(), user.clone());
    let outcome = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(c) = comments::find(conn, id)? else { return Ok(Outcome::NotFound) };
            if c.hidden && !u.is_admin {
                return Ok(Outcome::NotFound);
            }
            let Some(policy) = commentable::policy(conn, &t, c.resource, Some(&u))? else {
                return Ok(Outcome::NotFound);
            };
            if policy.blocked {
                return Ok(Outcome::Closed);
            }
            let gate = verifications::gate(conn, Some(u.id), policy.requirement)?;
            if !gate.allowed() {
                return Ok(Outcome::Gate(gate));
            }
            Ok::<_, CoreError>(match comments::vote(conn, id, u.id, vote)? {
                Ok(_) => Outcome::Voted(policy),
                Err(r) => Outcome::Refused(r),
            })
        })
    })
    .await??;
    match outcome {
        Outcome::NotFound => Err(AppError::NotFound),
        Outcome::Closed => Err(super::closed(&state, &tenant, locale)),
        Outcome::Gate(gate) => Err(super::gate_refusal(&state, &tenant, locale, gate)),
        Outcome::Refused(r) => Err(AppError::BadRequest(super::refusal_text(&state, &tenant, locale, r))),
        Outcome::Voted(policy) => Ok(see_other(&format!("{}#comment-{id}", policy.url))),
    }
}
