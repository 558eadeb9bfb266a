//! `POST /reports`: a signed-in participant reports a resource (once; a second
//! report says it was already counted). Enough reports hide it until an
//! administrator decides.
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::verifications::{self, Gate, Requirement};
use tenant_core::moderation::{self, NewReport, Reason, Reported, DEFAULT_HIDE_THRESHOLD, MAX_DETAILS_CHARS};
use tenant_core::CoreError;

use super::reportable;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::{csrf, SignedIn};
use crate::modules::comments::{gate_refusal, resource_from_form};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resource_kind: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
}

enum Outcome {
    NotFound,
    Blocked,
    Done(Reported, String),
}

#[post("/reports")]
pub async fn create_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<ReportForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let resource = resource_from_form(&form.resource_kind, &form.resource_id)?;
    let theme = state.themes.get(tenant.theme.as_str());
    let reason = Reason::parse(&form.reason)
        .map_err(|_| AppError::BadRequest(theme.message(locale, "moderation_reason_required")))?;
    let details = form.details.trim().to_owned();
    if details.chars().count() > MAX_DETAILS_CHARS {
        let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
        page.ctx.insert("error", &theme.message(locale, "moderation_details_too_long"));
        page.ctx.insert("back_url", "");
        page.ctx.insert("outcome", "refused");
        return page.render(&state, &tenant, "moderation/reported.html", StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (s, t, uid, reporter) = (state.clone(), tenant.0.clone(), user.id, user.clone());
    let outcome = web::block(move || {
        s.db.tenant(&t, |conn| {
            if verifications::gate(conn, Some(uid), Requirement::Nobody)? == Gate::Blocked {
                return Ok(Outcome::Blocked);
            }
            let Some(found) = reportable::lookup(conn, &t, resource, &reporter)? else { return Ok(Outcome::NotFound) };
            let new = NewReport {
                resource,
                reporter_id: uid,
                reason,
                details: &details,
                excerpt: &found.excerpt,
                url: &found.url,
            };
            let done = moderation::report(conn, &new, DEFAULT_HIDE_THRESHOLD)?;
            Ok::<_, CoreError>(Outcome::Done(done, found.url))
        })
    })
    .await??;
    let (done, url) = match outcome {
        Outcome::NotFound => return Err(AppError::NotFound),
        Outcome::Blocked => return Err(gate_refusal(&state, &tenant, locale, Gate::Blocked)),
        Outcome::Done(done, url) => (done, url),
    };
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("outcome", if done == Reported::AlreadyReported { "already" } else { "recorded" });
    page.ctx.insert("back_url", &url);
    page.render(&state, &tenant, "moderation/reported.html", StatusCode::OK)
}
