//! `GET /{kind}/{slug}/f/{component}` for a budgets component: its budgets, what a
//! ballot must respect in each, where voting stands, and the visitor's own ballots.
//! The proposals module owns the route (one pattern per place) and hands places that
//! are not proposals components over to [`show_component`].
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use tenant_core::budgets::{self, ballots, Budget, RuleKind};
use tenant_core::names::Locale;

use super::{permission, with_ctx};
use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::page::Page;
use crate::identity::Visitor;
use crate::modules::proposals::ComponentPath;
use crate::state::AppState;
use crate::themes::Theme;

/// A budget as the component's page lists it.
#[derive(Serialize)]
struct Card {
    id: i64,
    title: String,
    description: String,
    url: String,
    amount: String,
    rules: Vec<String>,
    projects: i64,
    /// `draft`, `confirmed`, or empty.
    my_ballot: String,
    confirmed_on: Option<String>,
}

/// The rule of a budget in sentences (`{amount}`, `{n}`... filled in).
pub fn rule_sentences(theme: &Theme, locale: Locale, b: &Budget) -> Vec<String> {
    let money = |units: i64| super::money::format(units, b.money_scale, &b.currency, locale);
    let m = |key: &str| theme.message(locale, key);
    let mut out = Vec::new();
    match b.rule {
        RuleKind::Knapsack => out.push(m("budgets_rule_knapsack").replace("{amount}", &money(b.amount))),
        RuleKind::Approval => out.push(m("budgets_rule_approval").replace("{n}", &b.max_projects.to_string())),
    }
    if b.min_count() > 1 {
        out.push(m("budgets_rule_min_projects").replace("{n}", &b.min_count().to_string()));
    }
    if b.rule == RuleKind::Knapsack && b.max_projects > 0 {
        out.push(m("budgets_rule_max_projects").replace("{n}", &b.max_projects.to_string()));
    }
    if b.min_spend() > 0 {
        out.push(
            m("budgets_rule_min_share")
                .replace("{percent}", &b.min_share_percent.to_string())
                .replace("{amount}", &money(b.min_spend())),
        );
    }
    out
}

pub async fn show_component(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    locale: Locale,
    visitor: Visitor,
    path: ComponentPath,
) -> Result<HttpResponse, AppError> {
    let user = visitor.user.as_ref().map(|u| u.id);
    let key = match user {
        Some(_) => {
            let (s, t) = (state.clone(), tenant.0.clone());
            Some(web::block(move || s.identity.tenant_key(&s.db, &t)).await??)
        }
        None => None,
    };
    let order = [locale, tenant.default_locale];
    let (ctx, (list, counts, mine, vote)) = with_ctx(&state, &tenant, locale, &visitor, &path, move |conn, c| {
        let list = budgets::list(conn, c.component.id, &order)?;
        let counts = budgets::projects::counts(conn, c.component.id)?;
        let mine = match (user, &key) {
            (Some(u), Some(k)) => ballots::mine(conn, k, c.component.id, u)?,
            _ => Vec::new(),
        };
        let vote = permission(conn, c, user)?;
        Ok(Some((list, counts, mine, vote)))
    })
    .await?;
    let theme = state.themes.get(tenant.theme.as_str());
    let cards: Vec<Card> = list
        .iter()
        .map(|b| {
            let ballot = mine.iter().find(|m| m.budget_id == b.id);
            Card {
                id: b.id,
                title: b.title.clone(),
                description: b.description.clone(),
                url: ctx.budget_url(b.id),
                amount: super::money::format(b.amount, b.money_scale, &b.currency, locale),
                rules: rule_sentences(theme, locale, b),
                projects: counts.iter().find(|(id, _)| *id == b.id).map_or(0, |(_, n)| *n),
                my_ballot: ballot.map(|m| m.state.clone()).unwrap_or_default(),
                confirmed_on: ballot.and_then(|m| m.confirmed_on).map(|d| d.format("%d/%m/%Y").to_string()),
            }
        })
        .collect();
    let voted_in = mine.iter().find(|m| m.confirmed()).and_then(|m| list.iter().find(|b| b.id == m.budget_id));
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    if !vote.allowed && !vote.closed {
        page.ctx.insert("providers", &crate::identity::providers_for(&state, &tenant).await?);
    }
    page.ctx.insert("place", &ctx);
    page.ctx.insert("budgets", &cards);
    page.ctx.insert("vote", &vote);
    page.ctx.insert("voting_open", &ctx.voting_open());
    page.ctx.insert("results_visible", &ctx.results_visible());
    page.ctx.insert("voted_in", &voted_in.map(|b| b.title.clone()));
    page.render(&state, &tenant, "budgets/index.html", StatusCode::OK)
}
