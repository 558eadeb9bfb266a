//! `civitas serve`: tenant sites and the ops listener, until a signal.
use std::sync::Arc;

use tenant_core::db::listener::{DirectoryWatcher, WatchOptions};

use crate::app::{self, ServeOptions};
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

/// Loads the directory, keeps it fresh, and serves until stopped.
pub fn serve_state(settings: &Settings, state: AppState) -> anyhow::Result<()> {
    if let Err(e) = state.directory.reload(&state.db) {
        tracing::warn!(error = %e, "tenant directory not loaded yet; /readyz says 503 until it is");
    }
    let _watcher = DirectoryWatcher::spawn(state.db.clone(), Arc::clone(&state.directory), WatchOptions::default())?;
    let options = ServeOptions {
        http: settings.http_addr.clone(),
        ops: settings.ops_addr.clone(),
        workers: settings.workers,
        blocking_threads: (settings.pool.size as usize).div_ceil(settings.workers.max(1)).max(2),
    };
    actix_rt::System::new().block_on(async move {
        let running = app::start(state, &options)?;
        for addr in &running.http_addrs {
            println!("civitas: tenant sites on http://{addr}");
        }
        for addr in &running.ops_addrs {
            println!("civitas: ops on http://{addr} (/metrics, /healthz, /readyz)");
        }
        running.wait().await
    })?;
    Ok(())
}
