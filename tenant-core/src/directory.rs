//! The in-memory tenant directory: host name → tenant, swapped whole on reload so
//! readers never take a lock.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::db::Db;
use crate::error::CoreResult;
use crate::names::HostName;
use crate::tenant::{Tenant, TenantStatus};

/// What a host name leads to.
#[derive(Clone, Debug)]
pub struct HostMatch {
    pub tenant: Arc<Tenant>,
    /// False for a secondary host, which redirects to the primary one.
    pub is_primary: bool,
}

/// One consistent snapshot of every tenant.
#[derive(Default)]
pub struct Snapshot {
    by_host: HashMap<String, HostMatch>,
    tenants: Vec<Arc<Tenant>>,
}

impl Snapshot {
    pub fn new(tenants: Vec<Tenant>) -> Self {
        let mut by_host = HashMap::new();
        let mut all = Vec::with_capacity(tenants.len());
        for tenant in tenants {
            let tenant = Arc::new(tenant);
            for host in &tenant.hosts {
                let is_primary = *host == tenant.primary_host;
                by_host.insert(host.as_str().to_owned(), HostMatch { tenant: Arc::clone(&tenant), is_primary });
            }
            all.push(tenant);
        }
        Self { by_host, tenants: all }
    }

    pub fn lookup(&self, host: &HostName) -> Option<&HostMatch> {
        self.by_host.get(host.as_str())
    }

    pub fn tenants(&self) -> &[Arc<Tenant>] {
        &self.tenants
    }

    /// Tenant counts by status, for metrics.
    pub fn count_by_status(&self) -> [(TenantStatus, usize); 4] {
        TenantStatus::ALL.map(|s| (s, self.tenants.iter().filter(|t| t.status == s).count()))
    }
}

/// The shared, reloadable directory.
pub struct Directory {
    current: ArcSwap<Snapshot>,
    loaded: AtomicBool,
    reloads: AtomicU64,
    last_reload_unix: AtomicU64,
}

impl Default for Directory {
    fn default() -> Self {
        Self {
            current: ArcSwap::from_pointee(Snapshot::default()),
            loaded: AtomicBool::new(false),
            reloads: AtomicU64::new(0),
            last_reload_unix: AtomicU64::new(0),
        }
    }
}

impl Directory {
    pub fn snapshot(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    pub fn lookup(&self, host: &HostName) -> Option<HostMatch> {
        self.current.load().lookup(host).cloned()
    }

    /// Reads every tenant from the catalog and swaps the snapshot in.
    pub fn reload(&self, db: &Db) -> CoreResult<usize> {
        let tenants = db.catalog(crate::catalog::load_all)?;
        let n = tenants.len();
        self.current.store(Arc::new(Snapshot::new(tenants)));
        self.loaded.store(true, Ordering::Release);
        self.reloads.fetch_add(1, Ordering::Relaxed);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        self.last_reload_unix.store(now, Ordering::Relaxed);
        Ok(n)
    }

    /// True once a load has succeeded.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    pub fn reload_count(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    pub fn last_reload_unix(&self) -> u64 {
        self.last_reload_unix.load(Ordering::Relaxed)
    }
}
