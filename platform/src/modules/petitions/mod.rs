//! The petitions module (tenant-wide, under `/petitions`): citizens file petitions,
//! the institution reviews their admissibility and publishes them, people sign each
//! at most once, and the institution answers those that reach their threshold.
//!
//! Signing a type's petitions "through FranceConnect, anonymously" sends the person
//! through the tenant's FranceConnect asking for `openid` only
//! (`/auth/{provider}/anonymous`, purpose `petition:<id>`); the callback hands back a
//! keyed hash of the subject in a short-lived sealed cookie, which
//! `GET /petitions/{id}/signature` turns into the signature. Other types sign with an
//! account (`POST /petitions/{id}/sign`), hashed the same way: no signature row ever
//! holds a subject, an account id, a name, an address or a time of day.
pub mod admin;
mod file;
mod list;
mod open_data;
pub mod queue;
mod show;
mod sign;

use actix_web::web;
use tenant_core::catalog::keys::TenantKey;
use tenant_core::names::ModuleName;
use tenant_core::petitions::{self, Petition, PetitionType, State};

use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::Visitor;
use crate::state::AppState;

/// The public routes, under one `/petitions` scope: the app tries it first (see
/// `modules::configure`), and any other path passes it on one prefix comparison.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/petitions").configure(routes));
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list_petitions)
        .service(list::my_petitions)
        .service(file::new_form)
        .service(file::create)
        .service(file::edit_form)
        .service(file::save)
        .service(file::submit)
        .service(file::delete)
        .service(open_data::signatures_csv)
        .service(open_data::signatures_json)
        .service(open_data::timeline_json)
        .service(sign::signature)
        .service(sign::sign_with_account)
        .service(show::show_petition);
}

/// The purpose of an anonymous proof for signing petition `id`.
pub fn purpose(id: i64) -> String {
    format!("petition:{id}")
}

/// The signer hash of an account on petition `id` (types signed with an account):
/// recognises the account on this petition only.
pub fn account_signer(key: &TenantKey, id: i64, user_id: i64) -> String {
    key.hash(&format!("petition:{id}:account"), &user_id.to_string())
}

/// Whether the visitor may see the petition: a published one that is not hidden,
/// everyone; otherwise its author (not a hidden one) and the administrators.
pub fn may_see(p: &Petition, visitor: &Visitor) -> bool {
    let admin = visitor.user.as_ref().is_some_and(|u| u.is_admin);
    let author = visitor.user.as_ref().is_some_and(|u| Some(u.id) == p.author_id);
    admin || (p.state().is_public() && !p.hidden) || (author && !p.hidden)
}

/// The petition and its type, if the visitor may see it; 404 otherwise.
pub async fn load_visible(
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    visitor: &Visitor,
    id: i64,
) -> Result<(Petition, PetitionType), AppError> {
    crate::modules::require(tenant, ModuleName::Petitions)?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let found = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(p) = petitions::find(conn, id)? else { return Ok(None) };
            let ty = petitions::types::find(conn, p.type_id)?;
            Ok(ty.map(|ty| (p, ty)))
        })
    })
    .await??;
    match found {
        Some((p, ty)) if may_see(&p, visitor) => Ok((p, ty)),
        _ => Err(AppError::NotFound),
    }
}

/// The state names a page may show, in the order of the workflow.
pub fn state_keys() -> Vec<&'static str> {
    State::ALL.iter().map(|s| s.as_str()).collect()
}

/// Sweeps every active tenant with petitions at `now`: ends the signature periods
/// that are over, moves petitions whose threshold was missed by concurrent signers,
/// folds past days' count shards. Returns how many tenants were swept.
pub fn sweep_all(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> usize {
    let tenants = match state.db.catalog(tenant_core::catalog::load_all) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "petitions sweep: tenants not listed");
            return 0;
        }
    };
    let mut swept = 0;
    for tenant in
        tenants.iter().filter(|t| t.status == tenant_core::TenantStatus::Active && t.has_module(ModuleName::Petitions))
    {
        match state.db.tenant(tenant, |conn| petitions::sweep(conn, now)) {
            Ok(s) => {
                swept += 1;
                if s.closed + s.period_over + s.threshold_reached > 0 {
                    tracing::info!(tenant = %tenant.slug, closed = s.closed, period_over = s.period_over,
                        threshold_reached = s.threshold_reached, "petitions sweep");
                }
            }
            Err(e) => tracing::warn!(tenant = %tenant.slug, error = %e, "petitions sweep failed"),
        }
    }
    swept
}

/// Runs [`sweep_all`] every `every` on a thread of its own.
pub fn spawn_sweeper(state: AppState, every: std::time::Duration) -> std::io::Result<()> {
    std::thread::Builder::new().name("petitions-sweep".into()).spawn(move || loop {
        std::thread::sleep(every);
        sweep_all(&state, chrono::Utc::now());
    })?;
    Ok(())
}

/// The browser's memory of the petitions it signed: `civitas_signed`, sealed with the
/// platform key for this tenant, holding petition ids and days (at most
/// [`REMEMBERED`], newest first). Only this browser carries it, so the petition page can
/// say "you signed on DATE" to an anonymous signer without the site keeping who signed.
pub const SIGNED_COOKIE: &str = "civitas_signed";
/// Signatures a browser remembers.
pub const REMEMBERED: usize = 50;

fn signed_context(tenant: &tenant_core::Tenant) -> String {
    format!("signed_petitions:{}", tenant.id)
}

/// The petitions this browser signed here, with the day.
pub fn remembered(
    state: &AppState,
    req: &actix_web::HttpRequest,
    tenant: &tenant_core::Tenant,
) -> Vec<(i64, chrono::NaiveDate)> {
    req.cookie(SIGNED_COOKIE)
        .and_then(|c| state.identity.keyring.open(c.value(), &signed_context(tenant)).ok())
        .and_then(|bytes| serde_json::from_slice::<Vec<(i64, chrono::NaiveDate)>>(&bytes).ok())
        .unwrap_or_default()
}

/// The cookie that adds `(id, on)` to what this browser remembers.
pub fn remember(
    state: &AppState,
    req: &actix_web::HttpRequest,
    tenant: &tenant_core::Tenant,
    id: i64,
    on: chrono::NaiveDate,
    https: bool,
) -> Result<actix_web::cookie::Cookie<'static>, AppError> {
    let mut list = remembered(state, req, tenant);
    list.retain(|(p, _)| *p != id);
    list.insert(0, (id, on));
    list.truncate(REMEMBERED);
    let json = serde_json::to_vec(&list).map_err(|e| AppError::Internal(e.into()))?;
    let sealed = state
        .identity
        .keyring
        .seal(&json, &signed_context(tenant))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(actix_web::cookie::Cookie::build(SIGNED_COOKIE, sealed)
        .path("/petitions")
        .http_only(true)
        .secure(https)
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish())
}
