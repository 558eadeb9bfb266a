//! `POST …/budgets/{budget}/ballot` (`action=save` keeps a draft, `action=confirm`
//! confirms) and `POST …/budgets/{budget}/ballot/cancel` (discards a draft, or
//! cancels a confirmed ballot where the component allows voting again).
//!
//! Every check is made by `tenant_core::budgets::ballots` in the transaction that
//! writes; a refusal draws the budget's page again with what was sent and why, and
//! stores nothing.
use actix_web::{post, web, HttpRequest, HttpResponse};
use tenant_core::budgets::ballots::{self, BallotError, Intent};
use tenant_core::budgets::{self};
use tenant_core::names::Locale;

use super::show::{render, Attempt};
use super::{refusal_text, with_ctx, BudgetPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::limits::Rule;
use crate::identity::page::{limit, see_other};
use crate::identity::{MaybeUser, Visitor};
use crate::modules::proposals::user_id;
use crate::state::AppState;

/// Ballot changes one account may make per minute.
const BALLOT_CHANGES_PER_USER: Rule = Rule::per_minutes(60, 1);

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// The signed-in voter, the form's token checked, within the rate limit.
async fn voter(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    path: &BudgetPath,
    csrf: &str,
) -> Result<i64, AppError> {
    let back = format!("/{}/{}/f/{}/budgets/{}", path.kind, path.slug, path.component, path.budget);
    let user = user_id(visitor, &back)?;
    crate::identity::csrf::verify(req, visitor, csrf)?;
    // The place must be one this person may see (a private space's members only).
    with_ctx(state, tenant, locale, visitor, &path.component(), |_, _| Ok(Some(()))).await?;
    limit(state, tenant, locale, &format!("budgets:ballot:{}:{user}", tenant.slug), BALLOT_CHANGES_PER_USER).await?;
    Ok(user)
}

/// Answers a refused request: the budget's page again, with the selection sent.
#[allow(clippy::too_many_arguments)]
async fn refused(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    path: &BudgetPath,
    selection: Vec<i64>,
    error: BallotError,
) -> Result<HttpResponse, AppError> {
    let (s, t, c, b) = (state.clone(), tenant.0.clone(), path.component, path.budget);
    let order = [locale, tenant.default_locale];
    let budget = web::block(move || s.db.tenant(&t, |conn| budgets::find(conn, c, b, &order))).await??;
    let Some(budget) = budget else { return Err(AppError::NotFound) };
    let theme = state.themes.get(tenant.theme.as_str());
    let (status, text) = refusal_text(theme, locale, &budget, &error);
    if text.is_empty() {
        return Err(match error {
            BallotError::Core(e) => e.into(),
            _ => AppError::NotFound,
        });
    }
    render(req, state, tenant, locale, visitor, path, Some(Attempt { selection, error: text, status })).await
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/budgets/{budget:\\d+}/ballot")]
pub async fn save_ballot(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<BudgetPath>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (path, form) = (path.into_inner(), form.into_inner());
    let user = voter(&req, &state, &tenant, locale, &visitor, &path, field(&form, "csrf")).await?;
    let intent = match field(&form, "action") {
        "confirm" => Intent::Confirm,
        "save" | "" => Intent::Save,
        _ => return Err(AppError::BadRequest("action: save or confirm".into())),
    };
    let mut selection = Vec::new();
    for (k, v) in &form {
        if k == "project" {
            let id: i64 = v.trim().parse().map_err(|_| AppError::BadRequest("project: a project number".into()))?;
            selection.push(id);
        }
    }
    let (s, t, p, chosen) = (state.clone(), tenant.0.clone(), path.clone(), selection.clone());
    let today = chrono::Utc::now().date_naive();
    let outcome = web::block(move || {
        let key = s.identity.tenant_key(&s.db, &t)?;
        s.db.tenant(&t, |conn| Ok(ballots::submit(conn, &key, user, p.component, p.budget, &chosen, intent, today)))
    })
    .await??;
    match outcome {
        Ok(stored) => {
            let notice = match (intent, stored) {
                (Intent::Confirm, _) => "ballot_confirmed",
                (Intent::Save, Some(_)) => "ballot_saved",
                (Intent::Save, None) => "ballot_discarded",
            };
            let url = format!("/{}/{}/f/{}/budgets/{}", path.kind, path.slug, path.component, path.budget);
            Ok(see_other(&format!("{url}?notice={notice}#ballot")))
        }
        Err(e) => refused(&req, &state, &tenant, locale, &visitor, &path, selection, e).await,
    }
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/budgets/{budget:\\d+}/ballot/cancel")]
pub async fn cancel_ballot(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<BudgetPath>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (path, form) = (path.into_inner(), form.into_inner());
    let user = voter(&req, &state, &tenant, locale, &visitor, &path, field(&form, "csrf")).await?;
    let (s, t, p) = (state.clone(), tenant.0.clone(), path.clone());
    let outcome = web::block(move || {
        let key = s.identity.tenant_key(&s.db, &t)?;
        s.db.tenant(&t, |conn| Ok(ballots::cancel(conn, &key, user, p.component, p.budget)))
    })
    .await??;
    match outcome {
        Ok(()) => {
            let url = format!("/{}/{}/f/{}/budgets/{}", path.kind, path.slug, path.component, path.budget);
            Ok(see_other(&format!("{url}?notice=ballot_cancelled#ballot")))
        }
        Err(e) => refused(&req, &state, &tenant, locale, &visitor, &path, Vec::new(), e).await,
    }
}
