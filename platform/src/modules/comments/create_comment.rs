//! `POST /comments`: a comment on a resource, or a reply to a comment.
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::comments::{self, Alignment, Created, NewComment, Refused};
use tenant_core::CoreError;

use super::comment_form::{self, FormPage, Hidden};
use super::commentable::{self, CommentPolicy};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::{limit, see_other};
use crate::identity::{csrf, SignedIn};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resource_kind: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    alignment: String,
}

enum Outcome {
    NotFound,
    Closed,
    Gate(Gate),
    Refused(Refused, CommentPolicy),
    Created(Created, CommentPolicy),
}

#[post("/comments")]
pub async fn create_comment(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<CommentForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let form = form.into_inner();
    let resource = super::resource_from_form(&form.resource_kind, &form.resource_id)?;
    let parent_id = match form.parent_id.trim() {
        "" => None,
        p => Some(p.parse::<i64>().map_err(|_| AppError::NotFound)?),
    };
    let alignment = Alignment::parse(&form.alignment)?;
    limit(&state, &tenant, locale, &format!("comment:{}:{}", tenant.slug.as_str(), user.id), super::CREATE_PER_USER)
        .await?;
    let (s, t, u, body) = (state.clone(), tenant.0.clone(), user.clone(), form.body.clone());
    let outcome = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(policy) = commentable::policy(conn, &t, resource, Some(&u))? else {
                return Ok(Outcome::NotFound);
            };
            if policy.blocked {
                return Ok(Outcome::Closed);
            }
            let gate = verifications::gate(conn, Some(u.id), policy.requirement)?;
            if !gate.allowed() {
                return Ok(Outcome::Gate(gate));
            }
            let new = NewComment { resource, parent_id, author_id: u.id, body: &body, alignment };
            Ok::<_, CoreError>(match comments::create(conn, &new)? {
                Ok(created) => {
                    super::notify::comment_created(conn, &created, &policy, &body)?;
                    Outcome::Created(created, policy)
                }
                Err(refused) => Outcome::Refused(refused, policy),
            })
        })
    })
    .await??;
    match outcome {
        Outcome::NotFound => Err(AppError::NotFound),
        Outcome::Closed => Err(super::closed(&state, &tenant, locale)),
        Outcome::Gate(gate) => Err(super::gate_refusal(&state, &tenant, locale, gate)),
        Outcome::Created(created, policy) => Ok(see_other(&format!("{}#comment-{}", policy.url, created.id))),
        Outcome::Refused(refused, policy) => comment_form::render(
            &state,
            &req,
            &tenant,
            locale,
            &visitor,
            FormPage {
                heading_key: "comments_fix_title",
                action: "/comments".into(),
                back_url: &policy.url,
                resource_title: &policy.title,
                body: &form.body,
                error: Some(super::refusal_text(&state, &tenant, locale, refused)),
                hidden: Some(Hidden {
                    resource_kind: form.resource_kind.clone(),
                    resource_id: form.resource_id.clone(),
                    parent_id: form.parent_id.clone(),
                    alignment: alignment.map(|a| a.as_str().to_owned()).unwrap_or_default(),
                }),
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}
