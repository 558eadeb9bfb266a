//! Which tenants' places (spaces, phases, components, categories, members) changed,
//! so the copies kept in memory by [`crate::spaces::PlaceCache`] are dropped.
//!
//! Triggers on those tables (tenant migration 000012) `NOTIFY civitas_content` with the
//! tenant's schema when a transaction changing them commits; the directory watcher
//! ([`crate::db::listener`]) hears it on every server and bumps that schema's version
//! here. A server that writes bumps it at once too, not waiting for the notification.
//! When the watcher reconnects (notifications may have been missed), every version
//! moves on.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

pub const CHANNEL: &str = "civitas_content";

#[derive(Default)]
pub struct ContentVersions {
    epoch: AtomicU64,
    schemas: RwLock<HashMap<String, u64>>,
}

/// A version to compare: equal versions mean nothing changed in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version(u64, u64);

impl ContentVersions {
    pub fn get(&self, schema: &str) -> Version {
        // The epoch is read first: a bump_all racing with this read gives a version
        // that is already outdated, never one that looks current for stale data.
        let epoch = self.epoch.load(Ordering::Acquire);
        Version(epoch, self.schemas.read().get(schema).copied().unwrap_or(0))
    }

    pub fn bump(&self, schema: &str) {
        *self.schemas.write().entry(schema.to_owned()).or_insert(0) += 1;
    }

    pub fn bump_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_changes_only_that_schemas_version_and_bump_all_changes_all() {
        let v = ContentVersions::default();
        let (a, b) = (v.get("t_a"), v.get("t_b"));
        v.bump("t_a");
        assert_ne!(v.get("t_a"), a);
        assert_eq!(v.get("t_b"), b);
        let (a, b) = (v.get("t_a"), v.get("t_b"));
        v.bump_all();
        assert_ne!(v.get("t_a"), a);
        assert_ne!(v.get("t_b"), b);
    }
}
