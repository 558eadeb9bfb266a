//! `civitas provision serve`: the provisioning API and job workers, without tenant sites.
use crate::app;
use crate::commands::serve::{announce, provisioning_state};
use crate::runtime::{build_state, Database};
use crate::settings::Settings;

pub fn serve(settings: &Settings) -> anyhow::Result<()> {
    let database = Database::open(settings)?;
    let state = build_state(settings, database.db.clone())?;
    let (prov, runner) = provisioning_state(settings, &state)?;
    let _workers = runner.spawn_workers(2, "provision")?;
    // The staff overview's accounts, files and last sign-in, measured every 10 minutes.
    provisioning::usage::spawn_refresher(state.db.clone(), state.blobs.clone(), std::time::Duration::from_secs(600))?;
    let addr = settings.provisioning_addr.clone();
    actix_rt::System::new().block_on(async move {
        let running = app::start_provisioning_only(prov, &addr)?;
        announce(&running);
        running.wait().await
    })?;
    Ok(())
}
