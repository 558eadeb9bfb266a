//! Rendered anonymous pages kept in memory for a short time, per tenant.
//!
//! The key holds the tenant's id and catalog revision (so a change to the tenant,
//! seen through the directory, misses at once), the locale and the route. A page
//! is fresh for the TTL (a second by default); after that it is still served while
//! one request, and only one, renders it again in the background, so visitors never
//! wait on the database for a page already rendered ("stale-while-revalidate"). A
//! page older than [`STALE_LIMIT`] is not served at all.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use parking_lot::RwLock;
use tenant_core::names::Locale;
use tenant_core::Tenant;
use uuid::Uuid;

/// How long past its TTL a page may still be served while it is re-rendered.
pub const STALE_LIMIT: Duration = Duration::from_secs(30);

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

struct Entry {
    at: Instant,
    body: Bytes,
    refreshing: Arc<AtomicBool>,
}

/// What the cache has for a key.
pub enum Lookup {
    Fresh(Bytes),
    /// Past its TTL; `refresh` is set for the one caller that should re-render it.
    Stale {
        body: Bytes,
        refresh: Option<Arc<AtomicBool>>,
    },
    Miss,
}

pub struct PageCache {
    ttl: Duration,
    max_entries: usize,
    entries: RwLock<HashMap<CacheKey, Entry>>,
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

    pub fn lookup(&self, key: &CacheKey) -> Lookup {
        if !self.enabled() {
            return Lookup::Miss;
        }
        let entries = self.entries.read();
        let Some(entry) = entries.get(key) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Lookup::Miss;
        };
        let age = entry.at.elapsed();
        if age < self.ttl {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Lookup::Fresh(entry.body.clone());
        }
        if age >= self.ttl + STALE_LIMIT {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Lookup::Miss;
        }
        self.hits.fetch_add(1, Ordering::Relaxed);
        let claimed = !entry.refreshing.swap(true, Ordering::AcqRel);
        Lookup::Stale { body: entry.body.clone(), refresh: claimed.then(|| Arc::clone(&entry.refreshing)) }
    }

    pub fn put(&self, key: CacheKey, body: Bytes) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.write();
        if entries.len() >= self.max_entries {
            let limit = self.ttl + STALE_LIMIT;
            entries.retain(|_, e| e.at.elapsed() < limit);
            if entries.len() >= self.max_entries {
                entries.clear();
            }
        }
        entries.insert(key, Entry { at: Instant::now(), body, refreshing: Arc::default() });
    }

    /// Drops every page of one tenant, after its administrators changed content the
    /// pages show (other replicas catch up within the TTL).
    pub fn forget_tenant(&self, tenant: Uuid) {
        self.entries.write().retain(|k, _| k.tenant != tenant);
    }

    /// The page for `key`: from memory when it can be, else rendered now. A stale page
    /// is answered at once and re-rendered in the background by one request.
    pub async fn get_or_render<F, Fut, E>(self: &Arc<Self>, key: CacheKey, render: F) -> Result<Bytes, E>
    where
        F: FnOnce() -> Fut + 'static,
        Fut: Future<Output = Result<Bytes, E>> + 'static,
        E: std::fmt::Display + 'static,
    {
        match self.lookup(&key) {
            Lookup::Fresh(body) => Ok(body),
            Lookup::Stale { body, refresh } => {
                if let Some(flag) = refresh {
                    let cache = Arc::clone(self);
                    actix_web::rt::spawn(async move {
                        match render().await {
                            Ok(fresh) => cache.put(key, fresh),
                            Err(e) => {
                                // Let the next request try again.
                                flag.store(false, Ordering::Release);
                                tracing::warn!(error = %e, "background page refresh failed; serving the stale page");
                            }
                        }
                    });
                }
                Ok(body)
            }
            Lookup::Miss => {
                let body = render().await?;
                self.put(key, body.clone());
                Ok(body)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(route: &str) -> CacheKey {
        CacheKey { tenant: Uuid::nil(), revision: 1, locale: Locale::Fr, route: route.into() }
    }

    #[test]
    fn a_stale_page_is_refreshed_by_one_caller_only() {
        let cache = PageCache::new(Duration::from_millis(1));
        cache.put(key("/"), Bytes::from_static(b"old"));
        std::thread::sleep(Duration::from_millis(5));
        let first = cache.lookup(&key("/"));
        let second = cache.lookup(&key("/"));
        assert!(matches!(first, Lookup::Stale { refresh: Some(_), .. }));
        assert!(matches!(second, Lookup::Stale { refresh: None, .. }), "only one refresher");
        cache.put(key("/"), Bytes::from_static(b"new"));
        assert!(matches!(cache.lookup(&key("/")), Lookup::Fresh(b) if b == "new"));
    }

    #[test]
    fn a_disabled_cache_always_misses() {
        let cache = PageCache::new(Duration::ZERO);
        cache.put(key("/"), Bytes::from_static(b"x"));
        assert!(matches!(cache.lookup(&key("/")), Lookup::Miss));
    }

    #[test]
    fn other_revisions_and_routes_miss() {
        let cache = PageCache::new(Duration::from_secs(60));
        cache.put(key("/"), Bytes::from_static(b"x"));
        assert!(matches!(cache.lookup(&key("/blog")), Lookup::Miss));
        let newer = CacheKey { revision: 2, ..key("/") };
        assert!(matches!(cache.lookup(&newer), Lookup::Miss));
    }
}
