//! `civitas files sweep [--tenant SLUG]... [--older-than-minutes N] [--dry-run]`.
use anyhow::bail;
use provisioning::sweep_files::{self, SweepOptions};
use tenant_core::names::TenantSlug;

use crate::cli::FilesCommand;
use crate::runtime::Database;
use crate::settings::Settings;

pub fn run(settings: &Settings, command: &FilesCommand) -> anyhow::Result<()> {
    let FilesCommand::Sweep { tenants, older_than_minutes, dry_run } = command;
    let only = tenants.iter().map(|s| TenantSlug::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let database = Database::open(settings)?;
    let blobs = crate::runtime::blob_store(settings)?;
    let options = SweepOptions { grace: chrono::Duration::minutes(i64::from(*older_than_minutes)), dry_run: *dry_run };
    let results = sweep_files::sweep_all(&database.db, blobs, &only, options)?;
    if let Some(missing) = only.iter().find(|s| !results.iter().any(|(slug, _)| slug == s.as_str())) {
        bail!("no active or suspended tenant with slug {missing}");
    }
    let verb = if *dry_run { "would remove" } else { "removed" };
    let (mut removed, mut failed) = (0, 0);
    for (slug, result) in results {
        match result {
            Ok(swept) => {
                for name in &swept.orphans {
                    println!("{slug}: {verb} {name}");
                }
                removed += swept.orphans.len();
                println!(
                    "{slug}: {} file(s), {} orphan(s) {verb}, {} unnamed kept (recent or undated)",
                    swept.files,
                    swept.orphans.len(),
                    swept.kept_unnamed
                );
            }
            Err(e) => {
                failed += 1;
                eprintln!("{slug}: not swept: {e}");
            }
        }
    }
    println!("civitas: {removed} orphan file(s) {verb}{}", if *dry_run { " (dry run)" } else { "" });
    if failed > 0 {
        bail!("{failed} tenant(s) could not be swept (see above); the others were");
    }
    Ok(())
}
