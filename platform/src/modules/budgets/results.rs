//! `GET …/budgets/{budget}/results`: the funded projects under the budget's rule,
//! with the reason each project was or was not funded, and the three rules side by
//! side (projects funded, budget used, voters represented). Public once the phase
//! publishes results; administrators see it before, as a preview.
//!
//! Results are computed from the confirmed ballots on each request; a result is kept
//! in memory under a digest of everything it depends on, so a new ballot or a changed
//! cost gives a new computation and nothing cached is ever stale.
use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use budget_rules::rules::CoverageGuarantee;
use parking_lot::Mutex;
use serde::Serialize;
use tenant_core::budgets::results::{self, Inputs, Results};
use tenant_core::budgets::{MesUtility, ResultsRule};
use uuid::Uuid;

use super::{explain, money, with_ctx, BudgetPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::MaybeUser;
use crate::state::AppState;

/// A tenant and one of its budgets.
type BudgetKey = (Uuid, i64);

/// Computed results, per tenant and budget, with the digest of their inputs.
#[derive(Default)]
pub struct ResultsCache {
    entries: Mutex<HashMap<BudgetKey, (u64, Arc<Results>)>>,
}

impl ResultsCache {
    const MAX_ENTRIES: usize = 512;

    /// The results of `inputs`, computed unless the same inputs were seen last time.
    pub fn get_or_compute(&self, tenant: Uuid, inputs: &Inputs) -> Result<Arc<Results>, AppError> {
        let key = (tenant, inputs.budget.id);
        let digest = inputs.fingerprint();
        if let Some((d, r)) = self.entries.lock().get(&key) {
            if *d == digest {
                return Ok(r.clone());
            }
        }
        let computed = Arc::new(
            results::compute(inputs).map_err(|e| AppError::Conflict(format!("the results cannot be computed: {e}")))?,
        );
        let mut entries = self.entries.lock();
        if entries.len() >= Self::MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (digest, computed.clone()));
        Ok(computed)
    }
}

#[derive(Serialize)]
struct Row {
    title: String,
    url: String,
    votes: String,
    cost: String,
    funded: bool,
    why: String,
    /// Funded under greedy, coverage, equal shares.
    by_rule: [bool; 3],
}

#[derive(Serialize)]
struct RuleColumn {
    rule: &'static str,
    chosen: bool,
    funded: usize,
    used: String,
    used_percent: String,
    represented: String,
    represented_percent: String,
    error: Option<String>,
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/budgets/{budget:\\d+}/results")]
pub async fn show_results(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<BudgetPath>,
) -> Result<HttpResponse, AppError> {
    let (order, id) = ([locale, tenant.default_locale], path.budget);
    let (ctx, inputs) = with_ctx(&state, &tenant, locale, &visitor, &path.component(), move |conn, c| {
        if !c.results_visible() {
            return Ok(None);
        }
        results::load(conn, c.component.id, id, &order)
    })
    .await?;
    let computed = if inputs.ballots.is_empty() {
        None
    } else {
        let (s, tenant_id, inputs) = (state.clone(), tenant.id, inputs.clone());
        Some(web::block(move || s.budget_results.get_or_compute(tenant_id, &inputs)).await??)
    };
    let theme = state.themes.get(tenant.theme.as_str());
    let budget = &inputs.budget;
    let base = ctx.budget_url(budget.id);
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("place", &ctx);
    page.ctx.insert("budget", budget);
    page.ctx.insert("url", &base);
    page.ctx.insert("amount", &money::format(budget.amount, budget.money_scale, &budget.currency, locale));
    page.ctx.insert("preview", &!ctx.phase.results_published);
    page.ctx.insert("rule", budget.results_rule.as_str());
    if let Some(r) = &computed {
        let titles: Vec<String> = inputs.projects.iter().map(|p| p.title.clone()).collect();
        let why = explain::sentences(theme, locale, budget, &titles, r);
        let winners = |rule| r.summary(rule).map(|s| s.winners.clone()).unwrap_or_default();
        let by_rule = [winners(ResultsRule::Greedy), winners(ResultsRule::Coverage), winners(ResultsRule::EqualShares)];
        let chosen = winners(budget.results_rule);
        let mut rows: Vec<(usize, Row)> = inputs
            .projects
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    i,
                    Row {
                        title: p.title.clone(),
                        url: format!("{base}#project-{}", p.id),
                        votes: money::count(r.votes[i] as u64, locale),
                        cost: money::format(p.amount, budget.money_scale, &budget.currency, locale),
                        funded: chosen.contains(&i),
                        why: why.get(i).cloned().unwrap_or_default(),
                        by_rule: [by_rule[0].contains(&i), by_rule[1].contains(&i), by_rule[2].contains(&i)],
                    },
                )
            })
            .collect();
        // Funded projects in the order the rule chose them, then the others by votes.
        rows.sort_by_key(|(i, row)| {
            (!row.funded, chosen.iter().position(|w| w == i).unwrap_or(usize::MAX), std::cmp::Reverse(r.votes[*i]), *i)
        });
        let rows: Vec<Row> = rows.into_iter().map(|(_, row)| row).collect();
        let columns: Vec<RuleColumn> = r
            .summaries
            .iter()
            .map(|s| RuleColumn {
                rule: s.rule.as_str(),
                chosen: s.rule == budget.results_rule,
                funded: s.winners.len(),
                used: money::format(
                    i64::try_from(s.total_cost).unwrap_or(i64::MAX),
                    budget.money_scale,
                    &budget.currency,
                    locale,
                ),
                used_percent: money::percent(s.total_cost as f64, budget.amount as f64, locale),
                represented: money::count(s.represented as u64, locale),
                represented_percent: money::percent(s.represented as f64, r.voters as f64, locale),
                error: s.error.clone(),
            })
            .collect();
        let chosen_summary = r.summary(budget.results_rule);
        page.ctx.insert("rows", &rows);
        page.ctx.insert("columns", &columns);
        page.ctx.insert("voters", &money::count(r.voters as u64, locale));
        page.ctx.insert("funded_count", &chosen.len());
        page.ctx.insert(
            "funded_total",
            &money::format(
                chosen_summary.map_or(0, |s| i64::try_from(s.total_cost).unwrap_or(0)),
                budget.money_scale,
                &budget.currency,
                locale,
            ),
        );
        page.ctx.insert("rule_error", &chosen_summary.and_then(|s| s.error.clone()));
        page.ctx.insert("coverage_exact", &r.coverage.exact);
        let guarantee = match r.coverage.guarantee {
            CoverageGuarantee::Optimal => String::new(),
            CoverageGuarantee::AtLeast(g) => money::percent(g, 1.0, locale),
        };
        page.ctx.insert("coverage_guarantee", &guarantee);
        page.ctx.insert(
            "increment",
            &money::format(i64::try_from(r.increment).unwrap_or(0), budget.money_scale, &budget.currency, locale),
        );
        page.ctx.insert("utility", if budget.mes_utility == MesUtility::Cost { "cost" } else { "approval" });
    }
    page.ctx.insert("computed", &computed.is_some());
    page.render(&state, &tenant, "budgets/results.html", StatusCode::OK)
}
