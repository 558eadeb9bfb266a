//! `civitas serve`: tenant sites, the ops listener and the provisioning API, plus
//! the provisioning job workers, until a signal.
use std::sync::Arc;

use provisioning::api::ProvisioningState;
use provisioning::console::Views;
use provisioning::create_tenant::{embedded_migrations, CreateTenantJob};
use provisioning::delete_tenant::PurgeTenantJob;
use provisioning::export_tenant::ExportTenantJob;
use provisioning::extra_migrations::embedded_and_extra;
use provisioning::invitation::Invitations;
use provisioning::jobs::{Runner, RunnerOptions, StepProgress};
use provisioning::upgrade_tenants::UpgradeTenantsJob;
use tenant_core::db::listener::{DirectoryWatcher, WatchOptions};
use tenant_core::secrets::{Keyring, MasterKey};

use crate::app::{self, Running, ServeOptions};
use crate::modules::notifications::send_digests::SiteLinks;
use crate::runtime::{build_state, Database};
use crate::settings::Settings;
use crate::state::AppState;

pub fn run(settings: &Settings, migrate: bool) -> anyhow::Result<()> {
    let database = Database::open(settings)?;
    if migrate {
        provisioning::migrate_all(&database.db, |p| {
            if !p.applied.is_empty() {
                tracing::info!(tenant = p.slug, applied = %p.applied.join(", "), "tenant migrated");
            }
        })?;
    }
    let state = build_state(settings, database.db.clone())?;
    serve_state(settings, state)
}

/// The platform's keyring: the master key (created on first use) and older keys.
pub fn keyring(settings: &Settings) -> anyhow::Result<Keyring> {
    let path = &settings.master_key_file;
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let key = MasterKey::generate_file(path)?;
        tracing::warn!(path = %path.display(), key_id = key.key_id(), "created a new master key: back it up, secrets cannot be read without it");
    }
    Ok(Keyring::load(path, &settings.previous_master_key_files)?)
}

/// The provisioning side of a process: its state and the job workers.
pub fn provisioning_state(settings: &Settings, state: &AppState) -> anyhow::Result<(ProvisioningState, Runner)> {
    let migrations = match &settings.extra_tenant_migrations {
        None => embedded_migrations(),
        Some(dir) => {
            let (factory, versions) = embedded_and_extra(dir)?;
            tracing::warn!(dir = %dir.display(), versions = %versions.join(", "), "test setting: extra tenant migrations for the create and upgrade jobs");
            factory
        }
    };
    let runner = Runner::new(
        state.db.clone(),
        vec![
            Arc::new(CreateTenantJob {
                blobs: state.blobs.clone(),
                migrations: Arc::clone(&migrations),
                invitations: Some(Invitations {
                    mailer: state.identity.mailer.clone(),
                    keyring: state.identity.keyring.clone(),
                    scheme: settings.site_scheme.clone(),
                    port: settings.site_port,
                }),
            }),
            Arc::new(UpgradeTenantsJob { migrations }),
            Arc::new(PurgeTenantJob { blobs: state.blobs.clone() }),
            Arc::new(ExportTenantJob { blobs: state.blobs.clone() }),
        ],
        RunnerOptions {
            observer: Some(job_observer(state)),
            progress: Some(progress_observer(state)),
            ..RunnerOptions::default()
        },
    );
    let themes: Arc<[String]> = state.themes.names().into_iter().map(str::to_owned).collect();
    let prov = ProvisioningState {
        db: state.db.clone(),
        blobs: state.blobs.clone(),
        themes,
        keyring: state.identity.keyring.clone(),
        views: Arc::new(Views::new().map_err(anyhow::Error::msg)?),
        sign_in_limiter: Arc::default(),
        secure_cookies: false,
        job_waker: runner.waker(),
    };
    Ok((prov, runner))
}

/// Loads the directory, keeps it fresh, runs the job workers, and serves until stopped.
pub fn serve_state(settings: &Settings, state: AppState) -> anyhow::Result<()> {
    if let Err(e) = state.directory.reload(&state.db) {
        tracing::warn!(error = %e, "tenant directory not loaded yet; /readyz says 503 until it is");
    }
    let _watcher = DirectoryWatcher::spawn(
        state.db.clone(),
        Arc::clone(&state.directory),
        Arc::clone(&state.versions),
        WatchOptions::default(),
    )?;
    let (prov, runner) = provisioning_state(settings, &state)?;
    let _workers = runner.spawn_workers(2, "serve")?;
    // The staff overview's accounts, files and last sign-in, measured every 10 minutes.
    provisioning::usage::spawn_refresher(state.db.clone(), state.blobs.clone(), std::time::Duration::from_secs(600))?;
    // Notification digests by mail, for every active tenant.
    if !settings.digest_interval.is_zero() {
        crate::modules::notifications::send_digests::spawn(
            state.clone(),
            SiteLinks::from_settings(settings),
            settings.digest_interval,
        )?;
    }
    // Petitions: signature periods that end, thresholds, count shards, every minute.
    crate::modules::petitions::spawn_sweeper(state.clone(), std::time::Duration::from_secs(60))?;
    let https = match &settings.https_addr {
        Some(addr) => {
            let store = Arc::clone(&state.certificates);
            let loaded = store.reload(&state.db)?;
            tracing::info!(certificates = loaded, "TLS on");
            store.spawn_reloader(state.db.clone(), std::time::Duration::from_secs(2))?;
            Some((addr.clone(), store))
        }
        None => None,
    };
    let options = ServeOptions {
        http: settings.http_addr.clone(),
        ops: settings.ops_addr.clone(),
        provisioning: Some(settings.provisioning_addr.clone()),
        workers: settings.workers,
        blocking_threads: (settings.pool.size as usize).div_ceil(settings.workers.max(1)).max(2),
        https,
    };
    actix_rt::System::new().block_on(async move {
        let running = app::start(state, Some(prov), &options)?;
        announce(&running);
        running.wait().await
    })?;
    Ok(())
}

/// Prints where each listener is, one line each (scripts and tests read these).
pub fn announce(running: &Running) {
    for addr in &running.http_addrs {
        println!("civitas: tenant sites on http://{addr}");
    }
    for addr in &running.https_addrs {
        println!("civitas: tenant sites over TLS on https://{addr}");
    }
    for addr in &running.ops_addrs {
        println!("civitas: ops on http://{addr} (/metrics, /healthz, /readyz)");
    }
    for addr in &running.provisioning_addrs {
        println!("civitas: provisioning on http://{addr} (/api/v1)");
    }
}

fn job_observer(state: &AppState) -> provisioning::jobs::JobObserver {
    let metrics = state.metrics.clone();
    Arc::new(move |kind: &str, outcome: &str, seconds: f64| metrics.observe_job(kind, outcome, seconds))
}

fn progress_observer(state: &AppState) -> provisioning::jobs::ProgressObserver {
    let metrics = state.metrics.clone();
    Arc::new(move |kind: &str, progress: StepProgress| metrics.observe_job_progress(kind, progress))
}
