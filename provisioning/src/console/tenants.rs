//! The tenants overview, one tenant's page, and suspend / resume.
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use tenant_core::names::TenantSlug;
use tenant_core::schema::catalog::jobs as jobs_table;
use tenant_core::schema::catalog::tenants as tenants_table;
use tenant_core::{catalog, CoreError, Tenant, TenantStatus};

use super::see_other;
use super::session::{ConsoleSession, SignInRequired};
use crate::api::ProvisioningState;
use crate::jobs;
use crate::set_tenant_status::set_tenant_status;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants", web::get().to(list))
        .route("/tenants/{slug}", web::get().to(show))
        .route("/tenants/{slug}/suspend", web::post().to(suspend))
        .route("/tenants/{slug}/resume", web::post().to(resume));
}

#[derive(Deserialize)]
struct Filter {
    q: Option<String>,
    status: Option<String>,
}

#[derive(Serialize)]
struct Row {
    tenant: Tenant,
    pending_jobs: i64,
    usage: Option<crate::usage::Measured>,
    storage: Option<String>,
    /// The cluster a read-only tenant is being moved to, if the move has not switched yet.
    moving_to: Option<String>,
}

/// Read-only tenants and the cluster each is being moved to (none once switched).
fn moves(conn: &mut PgConnection) -> tenant_core::CoreResult<HashMap<String, Option<String>>> {
    Ok(tenants_table::table
        .filter(tenants_table::read_only)
        .select((tenants_table::slug, tenants_table::moving_to))
        .load::<(String, Option<String>)>(conn)?
        .into_iter()
        .collect())
}

async fn list(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, SignInRequired> {
    let q = filter.q.clone().unwrap_or_default();
    let status = filter.status.as_deref().and_then(|s| TenantStatus::parse(s).ok());
    let db = state.db.clone();
    let (all, pending, measures, moving) = web::block(move || {
        db.catalog(|conn| {
            let pending: Vec<(Option<String>, i64)> = jobs_table::table
                .filter(jobs_table::status.eq_any(["queued", "running"]))
                .group_by(jobs_table::tenant_slug)
                .select((jobs_table::tenant_slug, diesel::dsl::count_star()))
                .load(conn)?;
            Ok((catalog::load_all(conn)?, pending, crate::usage::last_measures(conn)?, moves(conn)?))
        })
    })
    .await
    .map_err(|_| SignInRequired::Unavailable)?
    .map_err(|_| SignInRequired::Unavailable)?;
    let pending: HashMap<String, i64> = pending.into_iter().filter_map(|(s, n)| Some((s?, n))).collect();
    let needle = q.to_lowercase();
    let rows: Vec<Row> = all
        .into_iter()
        .filter(|t| status.is_none_or(|s| t.status == s))
        .filter(|t| {
            needle.is_empty()
                || t.slug.as_str().contains(&needle)
                || t.name.to_lowercase().contains(&needle)
                || t.hosts.iter().any(|h| h.as_str().contains(&needle))
        })
        .map(|t| {
            let usage = measures.get(&t.id).cloned();
            Row {
                pending_jobs: pending.get(t.slug.as_str()).copied().unwrap_or(0),
                moving_to: moving.get(t.slug.as_str()).cloned().flatten(),
                storage: usage.as_ref().map(|u| size(u.storage_bytes.max(0) as u64, console.locale)),
                usage,
                tenant: t,
            }
        })
        .collect();
    let mut ctx = console.context("tenants");
    ctx.insert("tenants", &rows);
    ctx.insert("q", &q);
    ctx.insert("status", &status.map(|s| s.as_str()).unwrap_or(""));
    ctx.insert("statuses", &TenantStatus::ALL.map(|s| s.as_str()));
    Ok(state.views.page(StatusCode::OK, "tenants.html", console.locale, ctx))
}

async fn show(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
) -> Result<HttpResponse, SignInRequired> {
    let Ok(slug) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let (db, blobs, keyring) = (state.db.clone(), state.blobs.clone(), state.keyring.clone());
    let found = web::block(move || {
        let exports = crate::export_tenant::list_exports(&db, &slug)?;
        let providers = crate::identity_providers::list(&db, &slug)?;
        let mail = crate::mail_settings::get(&db, &keyring, &slug)?;
        let (tenant, recent, moving) = db.catalog(|conn| {
            Ok((
                catalog::load_one(conn, &slug)?,
                jobs::list_recent(conn, Some(slug.as_str()), 20)?,
                moves(conn)?.remove(slug.as_str()).flatten(),
            ))
        })?;
        let usage = crate::usage::of(&db, &*blobs, &tenant)?;
        let backups = crate::backups::list_page(&db, Some(&slug), 10, 0)?;
        Ok::<_, CoreError>((tenant, recent, exports, providers, mail, usage, moving, backups))
    })
    .await
    .map_err(|_| SignInRequired::Unavailable)?;
    let (tenant, recent, exports, providers, mail, usage, moving, backups) = match found {
        Ok(v) => v,
        Err(CoreError::NotFound(_)) => return Ok(state.views.not_found(console.locale)),
        Err(_) => return Err(SignInRequired::Unavailable),
    };
    let mut ctx = console.context("tenants");
    ctx.insert("tenant", &tenant);
    ctx.insert("jobs", &recent);
    ctx.insert("exports", &exports);
    ctx.insert("providers", &providers);
    ctx.insert("mail", &mail);
    ctx.insert("usage", &usage);
    ctx.insert("moving_to", &moving);
    let backups: Vec<BackupLine> = backups
        .into_iter()
        .map(|b| BackupLine {
            size: b.size_bytes.map(|n| size(n.max(0) as u64, console.locale)),
            id: b.id,
            status: b.status,
            started_at: b.started_at,
            finished_at: b.finished_at,
            error: b.error,
        })
        .collect();
    ctx.insert("backups", &backups);
    ctx.insert("storage", &size(usage.storage_bytes, console.locale));
    ctx.insert("max_storage", &usage.max_storage_bytes.map(|b| size(b.max(0) as u64, console.locale)));
    Ok(state.views.page(StatusCode::OK, "tenant.html", console.locale, ctx))
}

/// One of the tenant's last backups, as its page shows it.
#[derive(Serialize)]
struct BackupLine {
    id: uuid::Uuid,
    status: String,
    started_at: chrono::DateTime<chrono::Utc>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    size: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn change(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: String,
    form: CsrfForm,
    status: TenantStatus,
) -> Result<HttpResponse, SignInRequired> {
    console.check_csrf(&form.csrf)?;
    let Ok(slug) = TenantSlug::parse(&slug) else { return Ok(state.views.not_found(console.locale)) };
    let (db, actor, target) = (state.db.clone(), console.staff.actor(), slug.clone());
    let done = web::block(move || set_tenant_status(&db, &target, status, &actor))
        .await
        .map_err(|_| SignInRequired::Unavailable)?;
    match done {
        Ok(_) => Ok(see_other(&format!("/tenants/{slug}"))),
        Err(CoreError::NotFound(_)) => Ok(state.views.not_found(console.locale)),
        Err(_) => Err(SignInRequired::Unavailable),
    }
}

async fn suspend(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, SignInRequired> {
    change(state, console, slug.into_inner(), form.into_inner(), TenantStatus::Suspended).await
}

async fn resume(
    state: web::Data<ProvisioningState>,
    console: ConsoleSession,
    slug: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, SignInRequired> {
    change(state, console, slug.into_inner(), form.into_inner(), TenantStatus::Active).await
}

/// A size for people: bytes, KiB, MiB or GiB, with the locale's unit names.
fn size(bytes: u64, locale: tenant_core::names::Locale) -> String {
    let fr = locale == tenant_core::names::Locale::Fr;
    let units: [&str; 4] = if fr { ["o", "Kio", "Mio", "Gio"] } else { ["B", "KiB", "MiB", "GiB"] };
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < 3 {
        value /= 1024.0;
        unit += 1;
    }
    let text = if unit == 0 { format!("{bytes}") } else { format!("{value:.1}") };
    let text = if fr { text.replace('.', ",") } else { text };
    format!("{text} {}", units[unit])
}

#[cfg(test)]
mod tests {
    use tenant_core::names::Locale;

    #[test]
    fn sizes_read_well() {
        assert_eq!(super::size(0, Locale::En), "0 B");
        assert_eq!(super::size(1536, Locale::En), "1.5 KiB");
        assert_eq!(super::size(3 * 1024 * 1024, Locale::Fr), "3,0 Mio");
        assert_eq!(super::size(5 * 1024 * 1024 * 1024, Locale::En), "5.0 GiB");
    }
}
