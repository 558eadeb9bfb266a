//! The budgets component's admin pages under `/admin/components/{id}/budgets`: the
//! budgets (amount, currency, ballot rule, results rule), their projects, the
//! PaBuLib import and exports, the tallies (votes per project, turnout) and, through
//! the public results page, a preview of the results.
mod budgets;
mod exchange;
mod projects;

use std::collections::BTreeMap;

use actix_web::web;
use serde::Serialize;
use tenant_core::budgets::{money, BudgetInput, MesUtility, ResultsRule, RuleKind};
use tenant_core::components::{self, Component};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::spaces::{self, Texts};
use tenant_core::{CoreError, CoreResult};

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let at = |p: &str| format!("/admin/components/{{id}}/budgets{p}");
    cfg.service(web::resource(at("")).route(web::get().to(budgets::index)).route(web::post().to(budgets::create)))
        .service(web::resource(at("/import")).route(web::post().to(exchange::import)))
        .service(
            web::resource(at("/{budget}")).route(web::get().to(budgets::show)).route(web::post().to(budgets::save)),
        )
        .service(web::resource(at("/{budget}/delete")).route(web::post().to(budgets::delete)))
        .service(web::resource(at("/{budget}/export.pb")).route(web::get().to(exchange::export_pb)))
        .service(web::resource(at("/{budget}/ballots.csv")).route(web::get().to(exchange::ballots_csv)))
        .service(web::resource(at("/{budget}/projects")).route(web::post().to(projects::create)))
        .service(
            web::resource(at("/{budget}/projects/{project}"))
                .route(web::get().to(projects::show))
                .route(web::post().to(projects::save)),
        )
        .service(web::resource(at("/{budget}/projects/{project}/delete")).route(web::post().to(projects::delete)));
}

/// A budgets component as its admin pages need it.
#[derive(Clone, Serialize)]
pub struct AdminCtx {
    pub component: Component,
    pub space: spaces::Space,
    pub public_url: String,
}

impl AdminCtx {
    pub fn admin_url(&self) -> String {
        format!("/admin/components/{}/budgets", self.component.id)
    }
}

fn load(conn: &mut diesel::PgConnection, id: i64, order: &[Locale]) -> CoreResult<Option<AdminCtx>> {
    let Some(component) = components::find(conn, id, order)? else { return Ok(None) };
    if component.module != ModuleName::Budgets.as_str() {
        return Ok(None);
    }
    let Some((space, _)) = spaces::find_any(conn, component.space_id, order)? else { return Ok(None) };
    let kind_path = if space.kind == "assembly" { "assemblies" } else { "processes" };
    let public_url = format!("/{kind_path}/{}/f/{}", space.slug, component.id);
    Ok(Some(AdminCtx { component, space, public_url }))
}

pub async fn load_admin(
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    id: i64,
) -> Result<AdminCtx, AppError> {
    crate::modules::require(tenant, ModuleName::Budgets)?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let order = [locale, tenant.default_locale];
    web::block(move || s.db.tenant(&t, |conn| load(conn, id, &order))).await??.ok_or(AppError::NotFound)
}

/// A submitted form, by field name (the last value wins).
pub type Fields = BTreeMap<String, String>;

pub fn fields(form: Vec<(String, String)>) -> Fields {
    form.into_iter().collect()
}

fn get<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(|v| v.trim()).unwrap_or("")
}

fn texts(fr: &str, en: &str) -> Texts {
    let mut t = Texts::new();
    for (l, v) in [(Locale::Fr, fr), (Locale::En, en)] {
        if !v.trim().is_empty() {
            t.insert(l, v.trim().to_owned());
        }
    }
    t
}

fn whole(f: &Fields, k: &str) -> CoreResult<u32> {
    let raw = get(f, k);
    if raw.is_empty() {
        return Ok(0);
    }
    raw.parse().map_err(|_| CoreError::Invalid(format!("{k}: a whole number, 0 or more")))
}

/// Reads the budget form at `scale` decimals (2 for a new budget; a budget keeps its own).
pub fn budget_input(f: &Fields, scale: u32) -> CoreResult<BudgetInput> {
    let increment = get(f, "add1_increment");
    Ok(BudgetInput {
        title: texts(get(f, "title_fr"), get(f, "title_en")),
        description: texts(get(f, "description_fr"), get(f, "description_en")),
        amount: money::parse_amount("amount", get(f, "amount"), scale)?,
        currency: get(f, "currency").to_ascii_uppercase(),
        money_scale: scale,
        rule: RuleKind::parse(get(f, "rule"))?,
        min_projects: whole(f, "min_projects")?,
        max_projects: whole(f, "max_projects")?,
        min_share_percent: whole(f, "min_share_percent")?,
        results_rule: ResultsRule::parse(get(f, "results_rule"))?,
        mes_utility: MesUtility::parse(get(f, "mes_utility"))?,
        add1_increment: if increment.is_empty() { 0 } else { money::parse_amount("add1_increment", increment, scale)? },
    })
}

/// The budget form's values for a budget (or the defaults of a new one).
pub fn budget_values(b: Option<&tenant_core::budgets::Budget>) -> Fields {
    let mut f = Fields::new();
    let text = |v: &serde_json::Value, l: &str| v.get(l).and_then(|t| t.as_str()).unwrap_or("").to_owned();
    match b {
        Some(b) => {
            f.insert("title_fr".into(), text(&b.titles, "fr"));
            f.insert("title_en".into(), text(&b.titles, "en"));
            f.insert("description_fr".into(), text(&b.descriptions, "fr"));
            f.insert("description_en".into(), text(&b.descriptions, "en"));
            f.insert("amount".into(), money::to_input(b.amount, b.money_scale));
            f.insert("currency".into(), b.currency.clone());
            f.insert("rule".into(), b.rule.as_str().into());
            f.insert("min_projects".into(), b.min_projects.to_string());
            f.insert("max_projects".into(), b.max_projects.to_string());
            f.insert("min_share_percent".into(), b.min_share_percent.to_string());
            f.insert("results_rule".into(), b.results_rule.as_str().into());
            f.insert("mes_utility".into(), b.mes_utility.as_str().into());
            f.insert("add1_increment".into(), money::to_input(b.add1_increment, b.money_scale));
        }
        None => {
            for (k, v) in [
                ("currency", "EUR"),
                ("rule", "knapsack"),
                ("min_projects", "1"),
                ("max_projects", "0"),
                ("min_share_percent", "0"),
                ("results_rule", "equal_shares"),
                ("mes_utility", "cost"),
                ("add1_increment", "0"),
            ] {
                f.insert(k.into(), v.into());
            }
        }
    }
    f
}
