//! The budgets module: a component of a participatory space with one or several
//! budgets (one per district, say), their projects, secret ballots and results.
//!
//! Every route starts from the component's place, `/{processes|assemblies}/{slug}/f/{id}`
//! (the component's page itself is reached through the proposals module's handler
//! for that path, which hands other modules' places over: see [`index`]). A budget
//! is at `…/f/{id}/budgets/{budget}`: its projects and, while voting is open, the
//! ballot form; `…/results` shows the results once published. Every rule of a ballot
//! is checked again in `tenant_core::budgets::ballots`, in the transaction that
//! writes it; the pages only say in advance what will be refused.
pub mod admin;
mod ballot;
mod explain;
pub mod index;
pub mod money;
mod project_image;
pub mod results;
mod show;

use actix_web::web;
use serde::{Deserialize, Serialize};
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::budgets::ballots::BallotError;
use tenant_core::budgets::{PhaseSettings, Settings, Shortfall};
use tenant_core::components::Component;
use tenant_core::names::{Locale, ModuleName};
use tenant_core::spaces::{self, Phase, Space, SpaceKind, Viewer};
use tenant_core::CoreResult;

use crate::http::error::AppError;
use crate::identity::Visitor;
use crate::modules::proposals::ComponentPath;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show::show_budget)
        .service(ballot::save_ballot)
        .service(ballot::cancel_ballot)
        .service(results::show_results)
        .service(project_image::serve);
}

/// `/{kind}/{slug}/f/{component}/budgets/{budget}`.
#[derive(Clone, Debug, Deserialize)]
pub struct BudgetPath {
    pub kind: String,
    pub slug: String,
    pub component: i64,
    pub budget: i64,
}

impl BudgetPath {
    pub fn component(&self) -> ComponentPath {
        ComponentPath { kind: self.kind.clone(), slug: self.slug.clone(), component: self.component }
    }
}

/// Everything about the place a request works in.
#[derive(Clone, Debug, Serialize)]
pub struct Ctx {
    pub space: Space,
    pub phases: Vec<Phase>,
    pub component: Component,
    pub settings: Settings,
    pub phase: PhaseSettings,
    /// The component's URL.
    pub base: String,
    /// The space's URL.
    pub space_url: String,
    #[serde(skip)]
    pub viewer: Viewer,
}

impl Ctx {
    pub fn is_admin(&self) -> bool {
        matches!(self.viewer, Viewer::Admin)
    }

    /// Voting is open: the component is published and the phase allows it.
    pub fn voting_open(&self) -> bool {
        self.component.published && self.space.published && self.phase.voting_enabled
    }

    /// Whether the visitor may read the results (administrators preview them).
    pub fn results_visible(&self) -> bool {
        self.phase.results_published || self.is_admin()
    }

    pub fn budget_url(&self, budget: i64) -> String {
        format!("{}/budgets/{budget}", self.base)
    }
}

fn ctx_from(place: spaces::Place, path: &ComponentPath, viewer: Viewer) -> Option<Ctx> {
    let (space, phases) = (place.space, place.phases);
    let component = place.component?;
    if component.space_id != space.id
        || component.module != ModuleName::Budgets.as_str()
        || (!component.published && !matches!(viewer, Viewer::Admin))
    {
        return None;
    }
    let active = phases.iter().find(|p| p.active).map(|p| p.id);
    let settings = Settings::read(&component.settings);
    let phase = PhaseSettings::read(&component.settings_for_phase(active));
    let space_url = format!("/{}/{}", path.kind, space.slug);
    let base = format!("{space_url}/f/{}", component.id);
    Some(Ctx { space, phases, component, settings, phase, base, space_url, viewer })
}

/// Loads the place (through the server's place cache), or `None` when the visitor
/// may not see it or it is not a budgets component.
pub fn load_cached(
    conn: &mut diesel::PgConnection,
    state: &AppState,
    tenant: &tenant_core::Tenant,
    path: &ComponentPath,
    viewer: Viewer,
    order: &[Locale],
) -> CoreResult<Option<Ctx>> {
    let kind = match path.kind.as_str() {
        "processes" => SpaceKind::Process,
        "assemblies" => SpaceKind::Assembly,
        _ => return Ok(None),
    };
    if path.slug.len() > 60 {
        return Ok(None);
    }
    let place = state.places.find_place(
        &state.versions,
        &tenant.schema,
        conn,
        kind,
        &path.slug,
        path.component,
        viewer,
        order,
    )?;
    Ok(place.and_then(|place| ctx_from(place, path, viewer)))
}

/// Loads the place and runs `f` with it in the same blocking task and transaction;
/// 404 when the visitor may not see the place or `f` finds nothing.
pub async fn with_ctx<T, F>(
    state: &web::Data<AppState>,
    tenant: &crate::http::extract::CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    path: &ComponentPath,
    f: F,
) -> Result<(Ctx, T), AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut diesel::PgConnection, &Ctx) -> CoreResult<Option<T>> + Send + 'static,
{
    crate::modules::require(tenant, ModuleName::Budgets)?;
    let (s, t, who, path) = (state.clone(), tenant.0.clone(), crate::modules::proposals::viewer(visitor), path.clone());
    let order = [locale, tenant.default_locale];
    web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(ctx) = load_cached(conn, &s, &t, &path, who, &order)? else { return Ok(None) };
            Ok(f(conn, &ctx)?.map(|found| (ctx, found)))
        })
    })
    .await??
    .ok_or(AppError::NotFound)
}

/// What the visitor may do about voting: the phase closed, or a gate first.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Permission {
    pub allowed: bool,
    pub closed: bool,
    pub gate: Gate,
}

/// Whether `user` may vote in the place now (the write checks it again).
pub fn permission(conn: &mut diesel::PgConnection, ctx: &Ctx, user: Option<i64>) -> CoreResult<Permission> {
    if !ctx.voting_open() {
        return Ok(Permission { allowed: false, closed: true, gate: Gate::Allowed });
    }
    let gate = verifications::gate(conn, user, ctx.settings.vote_requires)?;
    Ok(Permission { allowed: gate.allowed(), closed: false, gate })
}

/// One reason a ballot cannot be confirmed, in words.
pub fn shortfall_text(
    theme: &crate::themes::Theme,
    locale: Locale,
    b: &tenant_core::budgets::Budget,
    s: Shortfall,
) -> String {
    let money = |units: i64| money::format(units, b.money_scale, &b.currency, locale);
    let m = |key: &str| theme.message(locale, key);
    let plural = |key: &str, n: u32| m(&format!("{key}_{}", if n == 1 { "one" } else { "many" }));
    match s {
        Shortfall::Empty => m("budgets_short_empty"),
        Shortfall::TooFew { missing, min } => plural("budgets_short_too_few", missing)
            .replace("{missing}", &missing.to_string())
            .replace("{min}", &min.to_string()),
        Shortfall::TooMany { excess, max } => plural("budgets_short_too_many", excess)
            .replace("{excess}", &excess.to_string())
            .replace("{max}", &max.to_string()),
        Shortfall::OverBudget { excess } => m("budgets_short_over_budget").replace("{amount}", &money(excess)),
        Shortfall::BelowMinimumShare { missing, minimum, percent } => m("budgets_short_min_share")
            .replace("{amount}", &money(missing))
            .replace("{minimum}", &money(minimum))
            .replace("{percent}", &percent.to_string()),
    }
}

/// A refused ballot request, in words, with the status to answer.
pub fn refusal_text(
    theme: &crate::themes::Theme,
    locale: Locale,
    b: &tenant_core::budgets::Budget,
    e: &BallotError,
) -> (actix_web::http::StatusCode, String) {
    use actix_web::http::StatusCode;
    let m = |key: &str| theme.message(locale, key);
    match e {
        BallotError::Closed => (StatusCode::FORBIDDEN, m("budgets_error_closed")),
        BallotError::Gate(Gate::Blocked) => (StatusCode::FORBIDDEN, m("gate_blocked")),
        BallotError::Gate(_) => (StatusCode::FORBIDDEN, m("budgets_error_gate")),
        BallotError::AlreadyConfirmed => (StatusCode::CONFLICT, m("budgets_error_already_confirmed")),
        BallotError::OtherDistrict { title: Some(title) } => (
            StatusCode::CONFLICT,
            m("budgets_error_other_district").replace("{budget}", &spaces::pick(title, &[locale]).0),
        ),
        BallotError::OtherDistrict { title: None } => (StatusCode::CONFLICT, m("budgets_error_other_district_unnamed")),
        BallotError::UnknownProjects(_) | BallotError::TooManyProjects => {
            (StatusCode::UNPROCESSABLE_ENTITY, m("budgets_error_unknown_project"))
        }
        BallotError::Rules(list) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{} {}",
                m("budgets_error_rules"),
                list.iter().map(|s| shortfall_text(theme, locale, b, *s)).collect::<Vec<_>>().join(" ")
            ),
        ),
        BallotError::RecastNotAllowed => (StatusCode::FORBIDDEN, m("budgets_error_recast")),
        BallotError::NoBallot => (StatusCode::CONFLICT, m("budgets_error_no_ballot")),
        BallotError::NotFound | BallotError::Core(_) => (StatusCode::NOT_FOUND, String::new()),
    }
}
