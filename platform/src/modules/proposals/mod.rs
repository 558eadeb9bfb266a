//! The proposals module: a component of a participatory space where participants
//! publish proposals, support them, amend them, and the institution answers.
//!
//! Every route starts from the component's place, `/{processes|assemblies}/{slug}/f/{id}`,
//! and `load` checks, in one go, that the tenant has the module, that the visitor may
//! see the space and the component; each action then asks `permission`, which
//! combines the active phase's settings with the verification the action needs.
pub mod admin;
mod amend;
mod attachment;
mod edit;
pub mod events;
mod list;
mod new;
mod show;
mod support;
mod versions;
mod withdraw;

use actix_web::web;
use serde::{Deserialize, Serialize};
use tenant_core::accounts::verifications::{self, Gate, Requirement};
use tenant_core::components::{self, Component};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::proposals::{self, Category, PhaseSettings, Proposal, Settings};
use tenant_core::spaces::{self, Phase, Space, SpaceKind, Viewer};
use tenant_core::CoreResult;

use crate::http::error::AppError;
use crate::identity::Visitor;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list_proposals)
        .service(new::new_form)
        .service(new::publish)
        .service(show::show_proposal)
        .service(edit::edit_form)
        .service(edit::save)
        .service(withdraw::withdraw)
        .service(support::support)
        .service(support::unsupport)
        .service(amend::amend_form)
        .service(amend::propose)
        .service(amend::show_amendment)
        .service(amend::decide)
        .service(versions::list_versions)
        .service(versions::show_version)
        .service(attachment::download);
}

/// `/{kind}/{slug}/f/{component}`.
#[derive(Clone, Debug, Deserialize)]
pub struct ComponentPath {
    pub kind: String,
    pub slug: String,
    pub component: i64,
}

/// `/{kind}/{slug}/f/{component}/{proposal}`.
#[derive(Clone, Debug, Deserialize)]
pub struct ProposalPath {
    pub kind: String,
    pub slug: String,
    pub component: i64,
    pub proposal: i64,
}

impl ProposalPath {
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
    pub categories: Vec<Category>,
    /// The component's URL.
    pub base: String,
    /// The space's URL.
    pub space_url: String,
    #[serde(skip)]
    pub viewer: Viewer,
}

pub fn viewer(visitor: &Visitor) -> Viewer {
    match &visitor.user {
        Some(u) if u.is_admin => Viewer::Admin,
        Some(u) => Viewer::Participant(u.id),
        None => Viewer::Anonymous,
    }
}

impl Ctx {
    pub fn is_admin(&self) -> bool {
        matches!(self.viewer, Viewer::Admin)
    }

    pub fn url(&self, proposal: i64) -> String {
        format!("{}/{proposal}", self.base)
    }
}

/// Loads the place, or `None` when the visitor may not see it.
pub fn load(
    conn: &mut diesel::PgConnection,
    path: &ComponentPath,
    viewer: Viewer,
    order: &[Locale],
) -> CoreResult<Option<Ctx>> {
    let Some(kind) = space_kind(path) else { return Ok(None) };
    // The space, its phases, the component and the categories in one statement.
    let place = spaces::find_place(conn, kind, &path.slug, path.component, viewer, order)?;
    Ok(place.and_then(|place| ctx_from(place, path, viewer, order)))
}

/// [`load`] through the server's place cache (`conn` scoped to `tenant`).
pub fn load_cached(
    conn: &mut diesel::PgConnection,
    state: &AppState,
    tenant: &tenant_core::Tenant,
    path: &ComponentPath,
    viewer: Viewer,
    order: &[Locale],
) -> CoreResult<Option<Ctx>> {
    let Some(kind) = space_kind(path) else { return Ok(None) };
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
    Ok(place.and_then(|place| ctx_from(place, path, viewer, order)))
}

fn space_kind(path: &ComponentPath) -> Option<SpaceKind> {
    let kind = match path.kind.as_str() {
        "processes" => SpaceKind::Process,
        "assemblies" => SpaceKind::Assembly,
        _ => return None,
    };
    (path.slug.len() <= 60).then_some(kind)
}

fn ctx_from(place: spaces::Place, path: &ComponentPath, viewer: Viewer, order: &[Locale]) -> Option<Ctx> {
    let (space, phases) = (place.space, place.phases);
    let component = place.component?;
    if component.space_id != space.id
        || component.module != ModuleName::Proposals.as_str()
        || (!component.published && !matches!(viewer, Viewer::Admin))
    {
        return None;
    }
    let active = phases.iter().find(|p| p.active).map(|p| p.id);
    let settings = Settings::read(&component.settings);
    let phase = PhaseSettings::read(&component.settings_for_phase(active));
    let categories = place
        .categories
        .into_iter()
        .map(|(id, names)| Category { id, name: spaces::pick(&names, order).0, names })
        .collect();
    let space_url = format!("/{}/{}", path.kind, space.slug);
    let base = format!("{space_url}/f/{}", component.id);
    Some(Ctx { space, phases, component, settings, phase, categories, base, space_url, viewer })
}

/// The actions a person takes in the component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Support,
    Amend,
    Comment,
}

/// Whether the visitor may take an action now, and if not, why: the phase does
/// not allow it (`closed`), or the person needs something first (`gate`).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Permission {
    pub allowed: bool,
    pub closed: bool,
    pub gate: Gate,
}

pub fn permission(
    conn: &mut diesel::PgConnection,
    ctx: &Ctx,
    user: Option<i64>,
    action: Action,
) -> CoreResult<Permission> {
    let (open, requirement): (bool, Requirement) = match action {
        Action::Create => (ctx.phase.creation_enabled, ctx.settings.create_requires),
        Action::Support => (ctx.phase.supports_enabled && !ctx.phase.supports_blocked, ctx.settings.support_requires),
        Action::Amend => (ctx.settings.amendments_enabled && ctx.phase.amendments_enabled, ctx.settings.amend_requires),
        Action::Comment => {
            (ctx.settings.comments_enabled && !ctx.phase.comments_blocked, ctx.settings.comment_requires)
        }
    };
    if !open {
        return Ok(Permission { allowed: false, closed: true, gate: Gate::Allowed });
    }
    let gate = verifications::gate(conn, user, requirement)?;
    Ok(Permission { allowed: gate.allowed(), closed: false, gate })
}

/// Refuses an action the visitor may not take, with the reason.
pub fn require(p: Permission, what: &str) -> Result<(), AppError> {
    if p.allowed {
        return Ok(());
    }
    if p.closed {
        return Err(AppError::Forbidden(format!("{what} is not open in the current phase")));
    }
    Err(match p.gate {
        Gate::SignIn => AppError::Forbidden(format!("{what}: sign in first")),
        Gate::Confirm => AppError::Forbidden(format!("{what}: confirm your email address first")),
        Gate::Blocked => AppError::Forbidden("your account is blocked on this site".into()),
        Gate::Verify(k) => AppError::Forbidden(format!("{what} needs a {} verification", k.as_str())),
        Gate::Allowed => AppError::Forbidden(what.to_owned()),
    })
}

/// A proposal of the place that the visitor may see (hidden ones: admins only).
pub fn visible_proposal(conn: &mut diesel::PgConnection, ctx: &Ctx, id: i64) -> CoreResult<Option<Proposal>> {
    Ok(proposals::find(conn, ctx.component.id, id)?.filter(|p| !p.hidden || ctx.is_admin()))
}

/// Loads the place in a blocking task; 404 when the visitor may not see it.
pub async fn load_ctx(
    state: &web::Data<AppState>,
    tenant: &crate::http::extract::CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    path: &ComponentPath,
) -> Result<Ctx, AppError> {
    crate::modules::require(tenant, ModuleName::Proposals)?;
    let (s, t, who, path) = (state.clone(), tenant.0.clone(), viewer(visitor), path.clone());
    let order = [locale, tenant.default_locale];
    web::block(move || s.db.tenant(&t, |conn| load_cached(conn, &s, &t, &path, who, &order)))
        .await??
        .ok_or(AppError::NotFound)
}

/// Loads the place and runs `f` with it in the same blocking task and transaction
/// (a page that reads more than the place pays for one round trip to the pool, not
/// two); 404 when the visitor may not see the place or `f` finds nothing.
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
    crate::modules::require(tenant, ModuleName::Proposals)?;
    let (s, t, who, path) = (state.clone(), tenant.0.clone(), viewer(visitor), path.clone());
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

/// The current user's id, or a redirect to sign in and come back.
pub fn user_id(visitor: &Visitor, back: &str) -> Result<i64, AppError> {
    visitor.user.as_ref().map(|u| u.id).ok_or_else(|| AppError::SignInRequired(back.to_owned()))
}

/// A proposal found by id alone, with its place, if the viewer may see it (for the
/// parts that work across modules: comments, follows, reports, notifications).
pub fn locate(
    conn: &mut diesel::PgConnection,
    id: i64,
    viewer: Viewer,
    order: &[Locale],
) -> CoreResult<Option<(Ctx, Proposal)>> {
    let Some(p) = proposals::find_by_id(conn, id)? else { return Ok(None) };
    let Some(c) = components::find(conn, p.component_id, order)? else { return Ok(None) };
    let Some((space, _)) = spaces::find_any(conn, c.space_id, order)? else { return Ok(None) };
    let kind = if space.kind == "assembly" { "assemblies" } else { "processes" };
    let path = ComponentPath { kind: kind.to_owned(), slug: space.slug, component: c.id };
    let Some(ctx) = load(conn, &path, viewer, order)? else { return Ok(None) };
    if p.hidden && !ctx.is_admin() {
        return Ok(None);
    }
    Ok(Some((ctx, p)))
}
