//! `GET /{kind}/{slug}/f/{component}/budgets/{budget}`: a budget's projects and,
//! while voting is open, the person's ballot: a form of checkboxes that works
//! without JavaScript. "Save" keeps a draft and draws the page again with the running
//! total, what remains, and why "confirm" is not possible yet; a small script
//! (`static/js/budget-ballot.js`) updates the same figures as boxes are ticked.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use tenant_core::budgets::ballots::{self, Ballot};
use tenant_core::budgets::images::{self, ProjectImage};
use tenant_core::budgets::projects::{self, Project};
use tenant_core::budgets::{self, Budget, RuleKind, Shortfall};
use tenant_core::names::Locale;

use super::index::rule_sentences;
use super::project_image::ImageView;
use super::{money, permission, shortfall_text, with_ctx, BudgetPath, Ctx};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::{MaybeUser, Visitor};
use crate::state::AppState;

#[derive(Serialize)]
struct ProjectView {
    id: i64,
    title: String,
    description: String,
    amount: String,
    units: i64,
    category: String,
    address: String,
    images: Vec<ImageView>,
    checked: bool,
}

/// The ballot's figures for the selection shown.
#[derive(Serialize)]
struct Summary {
    count: usize,
    total: String,
    /// Knapsack only: what is left of the budget (negative when over).
    remaining: Option<String>,
    over: bool,
    /// Why confirming is not possible (empty when it is).
    reasons: Vec<String>,
}

/// What the page needs to draw the ballot figures in a script, in the visitor's words.
#[derive(Serialize)]
struct Script {
    amount: i64,
    scale: u32,
    currency: String,
    rule: &'static str,
    min: u32,
    max: u32,
    min_spend: i64,
    min_share: u32,
    messages: serde_json::Value,
}

/// A request that was refused: what the person sent, and why.
pub struct Attempt {
    pub selection: Vec<i64>,
    pub error: String,
    pub status: StatusCode,
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/budgets/{budget:\\d+}")]
pub async fn show_budget(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<BudgetPath>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, &path, None).await
}

/// Draws the budget's page, with `attempt` when a ballot request was refused.
pub async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    path: &BudgetPath,
    attempt: Option<Attempt>,
) -> Result<HttpResponse, AppError> {
    let user = visitor.user.as_ref().map(|u| u.id);
    let key = match user {
        Some(_) => {
            let (s, t) = (state.clone(), tenant.0.clone());
            Some(web::block(move || s.identity.tenant_key(&s.db, &t)).await??)
        }
        None => None,
    };
    let (order, id) = ([locale, tenant.default_locale], path.budget);
    let (ctx, (budget, list, pictures, ballot, vote, voted_elsewhere)) =
        with_ctx(state, tenant, locale, visitor, &path.component(), move |conn, c| {
            let Some(budget) = budgets::find(conn, c.component.id, id, &order)? else { return Ok(None) };
            let list = projects::list(conn, id)?;
            let pictures = images::of_budget(conn, id)?;
            let mine = match (user, &key) {
                (Some(u), Some(k)) => ballots::mine(conn, k, c.component.id, u)?,
                _ => Vec::new(),
            };
            let ballot = mine.iter().find(|b| b.budget_id == id).cloned();
            let elsewhere = if c.settings.one_district_only {
                let other = mine.iter().find(|b| b.budget_id != id && b.confirmed()).map(|b| b.budget_id);
                match other {
                    Some(o) => budgets::find(conn, c.component.id, o, &order)?.map(|b| b.title),
                    None => None,
                }
            } else {
                None
            };
            let vote = permission(conn, c, user)?;
            Ok(Some((budget, list, pictures, ballot, vote, elsewhere)))
        })
        .await?;
    let theme = state.themes.get(tenant.theme.as_str());
    let (selection, error, status) = match attempt {
        Some(a) => (a.selection, Some(a.error), a.status),
        None => (ballot.as_ref().map(|b| b.projects.clone()).unwrap_or_default(), None, StatusCode::OK),
    };
    let views: Vec<ProjectView> = list.iter().map(|p| view(&ctx, &budget, p, &pictures, &selection, locale)).collect();
    let summary = summarize(theme, locale, &budget, &list, &selection);
    let mut page = Page::new(state, req, tenant, locale, visitor);
    if !vote.allowed && !vote.closed {
        page.ctx.insert("providers", &crate::identity::providers_for(state, tenant).await?);
    }
    let confirmed = ballot.as_ref().is_some_and(Ballot::confirmed);
    let chosen: Vec<&ProjectView> = views.iter().filter(|p| p.checked).collect();
    page.ctx.insert("place", &ctx);
    page.ctx.insert("budget", &budget);
    page.ctx.insert("url", &ctx.budget_url(budget.id));
    page.ctx.insert("amount", &money::format(budget.amount, budget.money_scale, &budget.currency, locale));
    page.ctx.insert("rules", &rule_sentences(theme, locale, &budget));
    page.ctx.insert("projects", &views);
    page.ctx.insert("chosen", &chosen);
    page.ctx.insert("summary", &summary);
    page.ctx.insert("vote", &vote);
    page.ctx.insert("ballot_state", &ballot.as_ref().map(|b| b.state.clone()).unwrap_or_default());
    page.ctx.insert(
        "confirmed_on",
        &ballot.as_ref().and_then(|b| b.confirmed_on).map(|d| d.format("%d/%m/%Y").to_string()),
    );
    page.ctx.insert("can_cancel", &(confirmed && ctx.settings.allow_recast && ctx.voting_open()));
    page.ctx.insert("voted_elsewhere", &voted_elsewhere);
    page.ctx.insert("voting_open", &ctx.voting_open());
    page.ctx.insert("results_visible", &ctx.results_visible());
    page.ctx.insert("error", &error);
    let script = script(theme, locale, &budget);
    page.ctx.insert("script", &serde_json::to_string(&script).map_err(|e| AppError::Internal(e.into()))?);
    page.render(state, tenant, "budgets/show.html", status)
}

fn view(
    ctx: &Ctx,
    b: &Budget,
    p: &Project,
    pictures: &[ProjectImage],
    selection: &[i64],
    locale: Locale,
) -> ProjectView {
    let budget_url = ctx.budget_url(b.id);
    ProjectView {
        id: p.id,
        title: p.title.clone(),
        description: p.description.clone(),
        amount: money::format(p.amount, b.money_scale, &b.currency, locale),
        units: p.amount,
        category: p.category.clone(),
        address: p.address.clone(),
        images: pictures.iter().filter(|i| i.project_id == p.id).map(|i| ImageView::new(&budget_url, i)).collect(),
        checked: selection.contains(&p.id),
    }
}

fn summarize(theme: &crate::themes::Theme, locale: Locale, b: &Budget, list: &[Project], selection: &[i64]) -> Summary {
    let chosen: Vec<&Project> = list.iter().filter(|p| selection.contains(&p.id)).collect();
    let total: i64 = chosen.iter().map(|p| p.amount).sum();
    let shortfalls: Vec<Shortfall> = b.shortfalls(chosen.len(), total);
    Summary {
        count: chosen.len(),
        total: money::format(total, b.money_scale, &b.currency, locale),
        remaining: (b.rule == RuleKind::Knapsack)
            .then(|| money::format(b.amount - total, b.money_scale, &b.currency, locale)),
        over: b.rule == RuleKind::Knapsack && total > b.amount,
        reasons: shortfalls.into_iter().map(|s| shortfall_text(theme, locale, b, s)).collect(),
    }
}

fn script(theme: &crate::themes::Theme, locale: Locale, b: &Budget) -> Script {
    let keys = [
        "budgets_short_empty",
        "budgets_short_too_few_one",
        "budgets_short_too_few_many",
        "budgets_short_too_many_one",
        "budgets_short_too_many_many",
        "budgets_short_over_budget",
        "budgets_short_min_share",
    ];
    let messages = keys.iter().map(|k| ((*k).to_owned(), serde_json::Value::from(theme.message(locale, k)))).collect();
    Script {
        amount: b.amount,
        scale: b.money_scale,
        currency: b.currency.clone(),
        rule: b.rule.as_str(),
        min: b.min_count(),
        max: b.max_projects,
        min_spend: b.min_spend(),
        min_share: b.min_share_percent,
        messages: serde_json::Value::Object(messages),
    }
}
