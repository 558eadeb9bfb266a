//! Retention: removing old backups, and the file copies no remaining backup needs.
use std::collections::HashSet;

use diesel::prelude::*;
use tenant_core::blob::{BlobKey, BlobStore, PLATFORM};
use tenant_core::schema::catalog::backups;
use tenant_core::{CoreError, CoreResult, Db};
use uuid::Uuid;

use super::Manifest;

/// How many backups to keep.
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    /// Backups younger than this many days stay.
    pub keep_days: u32,
    /// The latest this many successful backups of each tenant (and of the catalog)
    /// stay, however old: a tenant whose backups stopped keeps its last ones.
    pub keep_last: u32,
}

/// What a prune removed.
#[derive(Debug, Default)]
pub struct Pruned {
    pub backups: usize,
    pub file_copies: usize,
}

/// Removes every backup (of any status) older than `keep_days` that is not among
/// its owner's `keep_last` latest successful ones, then the file copies that only
/// removed backups listed. A backup's blobs go before its catalog row, so a crash
/// leaves a row whose files are gone (refused by a restore, removed by the next
/// prune), never files nothing records.
pub fn prune_backups(db: &Db, blobs: &dyn BlobStore, retention: Retention) -> CoreResult<Pruned> {
    type Row = (Uuid, Option<Uuid>, String, chrono::DateTime<chrono::Utc>);
    let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(retention.keep_days));
    let rows: Vec<Row> = db.catalog(|conn| {
        Ok(backups::table
            .order((backups::tenant_id, backups::started_at.desc()))
            .select((backups::id, backups::tenant_id, backups::status, backups::started_at))
            .load(conn)?)
    })?;
    let mut pruned = Pruned::default();
    let mut owners: Vec<Option<Uuid>> = rows.iter().map(|r| r.1).collect();
    owners.dedup();
    for owner in owners {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.1 == owner).collect();
        let kept_latest: HashSet<Uuid> =
            mine.iter().filter(|r| r.2 == "succeeded").take(retention.keep_last as usize).map(|r| r.0).collect();
        let doomed: Vec<Uuid> =
            mine.iter().filter(|r| r.3 < cutoff && !kept_latest.contains(&r.0)).map(|r| r.0).collect();
        if doomed.is_empty() {
            continue;
        }
        let space = owner.unwrap_or(PLATFORM);
        let listed = blobs.list_tenant(space)?;
        for id in &doomed {
            let marker = format!("-{}/", id.simple());
            for key in listed.iter().filter(|k| k.name().starts_with("backups/") && k.name().contains(&marker)) {
                blobs.delete(key)?;
            }
            db.catalog(|conn| Ok(diesel::delete(backups::table.find(*id)).execute(conn)?))?;
            pruned.backups += 1;
        }
        if owner.is_some() {
            pruned.file_copies += collect_file_copies(db, blobs, space, &listed)?;
        }
    }
    Ok(pruned)
}

/// Deletes `<tenant>/backups/files/<sha>` copies no remaining manifest lists. Skipped
/// while a backup of the tenant is running (its manifest, not yet written, may list
/// copies it just stored).
fn collect_file_copies(db: &Db, blobs: &dyn BlobStore, tenant: Uuid, listed: &[BlobKey]) -> CoreResult<usize> {
    let (running, manifests): (i64, Vec<Option<String>>) = db.catalog(|conn| {
        let recent = chrono::Utc::now() - chrono::Duration::days(1);
        let running = backups::table
            .filter(backups::tenant_id.eq(tenant))
            .filter(backups::status.eq("running").and(backups::started_at.gt(recent)))
            .count()
            .get_result(conn)?;
        let manifests = backups::table
            .filter(backups::tenant_id.eq(tenant).and(backups::status.eq("succeeded")))
            .select(backups::manifest_key)
            .load(conn)?;
        Ok((running, manifests))
    })?;
    if running > 0 {
        return Ok(0);
    }
    let mut wanted = HashSet::new();
    for key in manifests.into_iter().flatten() {
        let bytes = blobs.get(&BlobKey::parse_owned(tenant, &key)?)?;
        // A manifest that cannot be read: keep every copy rather than guess.
        let Some(manifest) = bytes.and_then(|b| serde_json::from_slice::<Manifest>(&b).ok()) else {
            return Ok(0);
        };
        wanted.extend(manifest.files.into_iter().map(|f| f.stored.key));
    }
    let mut removed = 0;
    for key in listed.iter().filter(|k| k.name().starts_with("backups/files/")) {
        if !wanted.contains(&key.to_stored()) {
            blobs.delete(key)?;
            removed += 1;
        }
    }
    Ok(removed)
}

impl Retention {
    pub fn new(keep_days: u32, keep_last: u32) -> CoreResult<Self> {
        if keep_last == 0 {
            return Err(CoreError::Invalid("--keep-last must be at least 1: a tenant always keeps a backup".into()));
        }
        Ok(Self { keep_days, keep_last })
    }
}
