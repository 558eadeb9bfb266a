//! Rendered anonymous pages kept in memory for a short time, per tenant.
//!
//! The key holds the tenant's id and catalog revision (so a change to the tenant,
//! seen through the directory, misses at once), the locale and the route. Content
//! written in the tenant schema shows within the TTL (a second by default); writes
//! made through this process drop the tenant's entries at once.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use parking_lot::RwLock;
use tenant_core::names::Locale;
use tenant_core::Tenant;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    tenant: Uuid,
    revision: i64,
    locale: Locale,
    route: String,
}

impl CacheKey {
    pub fn new(tenant: &Tenant, locale: Locale, route: impl Into<String>) -> Self {
        Self { tenant: tenant.id, revision: tenant.revision, locale, route: route.into() }
    }
}

pub struct PageCache {
    ttl: Duration,
    max_entries: usize,
    entries: RwLock<HashMap<CacheKey, (Instant, Bytes)>>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl PageCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            max_entries: 20_000,
            entries: RwLock::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    pub fn get(&self, key: &CacheKey) -> Option<Bytes> {
        if !self.enabled() {
            return None;
        }
        let found = self.entries.read().get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, b)| b.clone());
        match found {
            Some(b) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(b)
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    pub fn put(&self, key: CacheKey, body: Bytes) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.write();
        if entries.len() >= self.max_entries {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= self.max_entries {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), body));
    }

    /// Drops every page of one tenant (after a write through this process).
    pub fn invalidate_tenant(&self, tenant: Uuid) {
        self.entries.write().retain(|k, _| k.tenant != tenant);
    }
}
