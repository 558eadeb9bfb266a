//! `civitas backup [--tenant SLUG]... [--no-catalog]`, `civitas backup list [SLUG]`,
//! `civitas backup prune` and `civitas restore SLUG [--backup ID|latest]`.
use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use provisioning::backups::{self, BackupChoice};
use provisioning::Actor;
use tenant_core::blob::BlobStore;
use tenant_core::names::TenantSlug;
use tenant_core::{catalog, TenantStatus};

use crate::cli::{BackupArgs, BackupCommand, RestoreArgs};
use crate::runtime::Database;
use crate::settings::Settings;

/// The file store backups go to: the one the sites use.
/// The store the settings choose (the local folder, or S3), where backups go.
fn blob_store(settings: &Settings) -> anyhow::Result<Arc<dyn BlobStore>> {
    crate::runtime::blob_store(settings)
}

/// Backs up each tenant in turn, then the catalog; one failure does not stop the
/// others, but makes the command fail at the end.
pub fn run(settings: &Settings, args: BackupArgs) -> anyhow::Result<()> {
    match args.command {
        Some(BackupCommand::List { slug, json }) => return list(settings, slug.as_deref(), json),
        Some(BackupCommand::Prune { keep_days, keep_last }) => {
            let retention = backups::Retention::new(keep_days, keep_last)?;
            let database = Database::open(settings)?;
            let pruned = backups::prune_backups(&database.db, &*blob_store(settings)?, retention)?;
            println!("removed {} backup(s) and {} file copies", pruned.backups, pruned.file_copies);
            return Ok(());
        }
        None => {}
    }
    let wanted = args.tenants.iter().map(|s| TenantSlug::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let database = Database::open(settings)?;
    let blobs = blob_store(settings)?;
    let all = database.db.catalog(catalog::load_all)?;
    let mut chosen = Vec::new();
    if wanted.is_empty() {
        chosen.extend(all.into_iter().filter(|t| matches!(t.status, TenantStatus::Active | TenantStatus::Suspended)));
    } else {
        for slug in &wanted {
            match all.iter().find(|t| &t.slug == slug) {
                Some(t) if t.status != TenantStatus::Provisioning => chosen.push(t.clone()),
                Some(_) => bail!("tenant {slug} is still being provisioned"),
                None => bail!("no tenant {slug}"),
            }
        }
    }
    let mut failed = Vec::new();
    for tenant in &chosen {
        let began = Instant::now();
        match backups::back_up_tenant(&database.db, &*blobs, tenant) {
            Ok(b) => println!(
                "{}: backup {} written, {} tables, {} rows, {} files, {} bytes ({:.1} s)",
                tenant.slug,
                b.id,
                b.tables,
                b.rows,
                b.files,
                b.size_bytes,
                began.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("{}: backup failed: {e}", tenant.slug);
                failed.push(tenant.slug.to_string());
            }
        }
    }
    if !args.no_catalog {
        let began = Instant::now();
        match backups::back_up_catalog(&database.db, &*blobs) {
            Ok(b) => println!(
                "catalog: backup {} written, {} tables, {} rows, {} bytes ({:.1} s)",
                b.id,
                b.tables,
                b.rows,
                b.size_bytes,
                began.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("catalog: backup failed: {e}");
                failed.push("the catalog".into());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("{} backup(s) failed: {}", failed.len(), failed.join(", "))
    }
}

fn list(settings: &Settings, slug: Option<&str>, json: bool) -> anyhow::Result<()> {
    let slug = slug.map(TenantSlug::parse).transpose()?;
    let database = Database::open(settings)?;
    let rows = backups::list_backups(&database.db, slug.as_ref())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!("{:<20} {:<36} {:<10} {:<20} {:>12} MANIFEST", "TENANT", "BACKUP", "STATUS", "STARTED (UTC)", "BYTES");
    for r in &rows {
        let owner = if r.tenant_id.is_none() { "(catalog)" } else { r.slug.as_str() };
        let size = r.size_bytes.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
        println!(
            "{:<20} {:<36} {:<10} {:<20} {:>12} {}",
            owner,
            r.id,
            r.status,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            size,
            r.manifest_key.as_deref().or(r.error.as_deref()).unwrap_or("")
        );
    }
    println!("{} backup(s)", rows.len());
    Ok(())
}

pub fn restore(settings: &Settings, args: &RestoreArgs) -> anyhow::Result<()> {
    let slug = TenantSlug::parse(&args.slug)?;
    let choice = BackupChoice::parse(&args.backup)?;
    let database = Database::open(settings)?;
    let blobs = blob_store(settings)?;
    let began = Instant::now();
    let done = backups::restore_tenant(&database.db, &*blobs, &slug, choice, &Actor::cli())?;
    println!(
        "{slug}: restored from backup {} (data as of {}), {} tables, {} rows, {} files written back{} ({:.1} s)",
        done.backup_id,
        done.snapshot_taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
        done.tables,
        done.rows,
        done.files_restored,
        if done.migrations_applied.is_empty() {
            String::new()
        } else {
            format!(", then migrated ({})", done.migrations_applied.join(", "))
        },
        began.elapsed().as_secs_f64()
    );
    Ok(())
}
