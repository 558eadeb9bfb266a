//! The only door to the database.
//!
//! Tenant work runs inside a transaction whose first statement scopes `search_path`
//! to that tenant's schema with `set_config(.., true)`: the setting dies with the
//! transaction, so nothing leaks to the next checkout of the pooled connection.
//! Catalog work is a separate, explicit call. Each database cluster has its own pool:
//! a tenant's work goes to the cluster the catalog places it on.
pub mod embedded;
pub mod listener;
mod pool;
pub mod prepared;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::{Connection, RunQueryDsl};
use parking_lot::RwLock;

use crate::error::{CoreError, CoreResult};
use crate::names::{ClusterName, SchemaName};
use crate::secrets::Keyring;
use crate::tenant::Tenant;

pub use pool::{Manager, TrackedConnection};

/// A PostgreSQL connection URL; never printed, since it may carry a password.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DatabaseUrl(<redacted>)")
    }
}

/// The default of [`PoolOptions::max_tenants_per_connection`]: a thousand tenants, so a
/// cluster of that many keeps its backends warm (about 0.4 GB of catalog cache each
/// once they have served them all).
pub const DEFAULT_MAX_TENANTS_PER_CONNECTION: usize = 1000;

/// How the pool is sized and how long a request may wait for a connection.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub size: u32,
    pub checkout_timeout: Duration,
    /// Recycle a connection after it has served this many distinct tenants: each
    /// PostgreSQL backend keeps the catalog entries and plans of every schema it has
    /// served (about 0.4 MB per tenant), and a recycled one starts cold. Size it to
    /// the tenants a cluster holds, within the memory their backends may take
    /// (BENCHMARKS.md, "Many tenants").
    pub max_tenants_per_connection: usize,
    pub max_lifetime: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            size: 8,
            checkout_timeout: Duration::from_secs(3),
            max_tenants_per_connection: DEFAULT_MAX_TENANTS_PER_CONNECTION,
            max_lifetime: Duration::from_secs(30 * 60),
        }
    }
}

/// Pool counters for metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolStatus {
    pub size: u32,
    pub idle: u32,
    pub in_use: u32,
    pub waiting: i64,
    pub max_size: u32,
    pub checkout_failures: u64,
}

#[derive(Default)]
struct PoolCounters {
    waiting: AtomicI64,
    failures: AtomicU64,
}

/// The pool of connections to one PostgreSQL cluster.
#[derive(Clone)]
struct ClusterPool {
    pool: r2d2::Pool<Manager>,
    counters: Arc<PoolCounters>,
}

impl ClusterPool {
    /// Builds the pool without waiting for the database: a server can start (and say
    /// it is not ready) while PostgreSQL is still coming up.
    fn new(url: &DatabaseUrl, options: &PoolOptions) -> Self {
        let manager = Manager::new(url.expose().to_owned(), options.max_tenants_per_connection, options.max_lifetime);
        let pool = r2d2::Pool::builder()
            .max_size(options.size)
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(options.checkout_timeout)
            .build_unchecked(manager);
        Self { pool, counters: Arc::default() }
    }

    fn checkout(&self) -> CoreResult<r2d2::PooledConnection<Manager>> {
        self.counters.waiting.fetch_add(1, Ordering::Relaxed);
        let got = self.pool.get();
        self.counters.waiting.fetch_sub(1, Ordering::Relaxed);
        got.map_err(|e| {
            self.counters.failures.fetch_add(1, Ordering::Relaxed);
            CoreError::Unavailable(e.to_string())
        })
    }

    fn status(&self) -> PoolStatus {
        let state = self.pool.state();
        PoolStatus {
            size: state.connections,
            idle: state.idle_connections,
            in_use: state.connections.saturating_sub(state.idle_connections),
            waiting: self.counters.waiting.load(Ordering::Relaxed).max(0),
            max_size: self.pool.max_size(),
            checkout_failures: self.counters.failures.load(Ordering::Relaxed),
        }
    }
}

/// What every clone of a [`Db`] shares: the pools of the other clusters, opened on
/// first use, and the keyring their (sealed) URLs open with.
struct Shared {
    options: PoolOptions,
    others: RwLock<HashMap<ClusterName, ClusterPool>>,
    keyring: OnceLock<Arc<Keyring>>,
}

/// The connection pools: the main cluster's (which holds the catalog) and one per
/// other cluster that holds tenants, each sized from the same [`PoolOptions`].
#[derive(Clone)]
pub struct Db {
    main: ClusterPool,
    url: DatabaseUrl,
    shared: Arc<Shared>,
}

impl Db {
    /// Builds the main pool without waiting for the database.
    pub fn new(url: DatabaseUrl, options: &PoolOptions) -> Self {
        let shared = Shared { options: options.clone(), others: RwLock::default(), keyring: OnceLock::new() };
        Self { main: ClusterPool::new(&url, options), url, shared: Arc::new(shared) }
    }

    /// Gives every clone the keyring that opens other clusters' URLs (once; later
    /// calls are ignored). Without it only the main cluster is reachable.
    pub fn set_keyring(&self, keyring: Arc<Keyring>) {
        let _ = self.shared.keyring.set(keyring);
    }

    /// The main cluster's URL.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A cluster's URL: the main one, or the sealed one the catalog lists.
    pub fn cluster_url(&self, cluster: &ClusterName) -> CoreResult<DatabaseUrl> {
        if cluster.is_main() {
            return Ok(self.url.clone());
        }
        let sealed = self.catalog(|conn| crate::catalog::clusters::sealed_url(conn, cluster))?;
        let keyring = self.shared.keyring.get().ok_or_else(|| {
            CoreError::Unavailable(format!("cluster {cluster}: no master key loaded to open its URL"))
        })?;
        crate::catalog::clusters::open_url(keyring, cluster, &sealed)
    }

    /// The pool of `cluster`, opened on first use. The main cluster takes no lock.
    fn pool(&self, cluster: &ClusterName) -> CoreResult<ClusterPool> {
        if cluster.is_main() {
            return Ok(self.main.clone());
        }
        if let Some(pool) = self.shared.others.read().get(cluster) {
            return Ok(pool.clone());
        }
        let url = self.cluster_url(cluster)?;
        let mut others = self.shared.others.write();
        Ok(others.entry(cluster.clone()).or_insert_with(|| ClusterPool::new(&url, &self.shared.options)).clone())
    }

    /// Closes the pool of a cluster that was removed from the catalog.
    pub fn forget_cluster(&self, cluster: &ClusterName) {
        self.shared.others.write().remove(cluster);
    }

    /// Runs `f` in a transaction bound to `tenant`'s schema and nothing else, on the
    /// tenant's cluster.
    ///
    /// `BEGIN` and the scope go in one message (one round trip fewer on every
    /// request). `SET LOCAL` takes no bind parameter, so the schema goes in as an
    /// identifier: [`SchemaName`] admits only `t_[a-z0-9_]`, and it is quoted too.
    pub fn tenant<T>(&self, tenant: &Tenant, f: impl FnOnce(&mut PgConnection) -> CoreResult<T>) -> CoreResult<T> {
        let mut pooled =
            if tenant.cluster.is_main() { self.main.checkout()? } else { self.pool(&tenant.cluster)?.checkout()? };
        pooled.note_tenant(tenant.id);
        let conn = &mut pooled.conn;
        let begin = format!("BEGIN; SET LOCAL search_path TO {}", tenant.schema.quoted());
        AnsiTransactionManager::begin_transaction_sql(conn, &begin)?;
        match f(conn) {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(conn)?;
                Ok(value)
            }
            Err(error) => match AnsiTransactionManager::rollback_transaction(conn) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
                Err(rollback) => Err(rollback.into()),
            },
        }
    }

    /// Runs `f` outside any transaction, with nothing but the catalog on the search
    /// path: for a single statement that names `tenant`'s tables with its schema (the
    /// hottest writes: one round trip, committed on its own, and a plan PostgreSQL
    /// keeps, since the search path never changes under it). An unqualified tenant
    /// table does not resolve here, so such a statement reaches no tenant by accident.
    /// `f` gets the schema's quoted name to put before each table.
    pub fn tenant_statement<T>(
        &self,
        tenant: &Tenant,
        f: impl FnOnce(&mut PgConnection, &str) -> CoreResult<T>,
    ) -> CoreResult<T> {
        let mut pooled =
            if tenant.cluster.is_main() { self.main.checkout()? } else { self.pool(&tenant.cluster)?.checkout()? };
        pooled.note_tenant(tenant.id);
        f(&mut pooled.conn, &tenant.schema.quoted())
    }

    /// Runs `f` in one transaction, with nothing but the catalog on the search path,
    /// for statements that name each of `tenants`' tables with its schema (see
    /// [`Db::tenant_statement`]): several tenants' writes under one commit. They must
    /// all live on one cluster (group them by [`Tenant::cluster`] first).
    pub fn tenants_transaction<T>(
        &self,
        tenants: &[&Tenant],
        f: impl FnOnce(&mut PgConnection) -> CoreResult<T>,
    ) -> CoreResult<T> {
        let Some(first) = tenants.first() else {
            return self.main.checkout()?.conn.transaction(f);
        };
        if let Some(other) = tenants.iter().find(|t| t.cluster != first.cluster) {
            return Err(CoreError::Invalid(format!(
                "one transaction cannot span clusters {} and {}",
                first.cluster, other.cluster
            )));
        }
        let mut pooled = self.pool(&first.cluster)?.checkout()?;
        for tenant in tenants {
            pooled.note_tenant(tenant.id);
        }
        pooled.conn.transaction(f)
    }

    /// A connection of its own to `cluster`, outside the pool, with the pool's
    /// session settings (only the catalog on the search path), for one long-lived
    /// writer whose statements name each tenant's tables with its schema (the
    /// petitions' signature writer). Such a statement is one text per tenant, kept
    /// prepared by the connection that ran it: on a pooled connection, every
    /// connection would prepare (and keep) it for every tenant; on its own one, once
    /// per tenant.
    pub fn own_connection(&self, cluster: &ClusterName) -> CoreResult<OwnConnection> {
        let url = self.cluster_url(cluster)?;
        let options = &self.shared.options;
        let manager = Manager::new(url.expose().to_owned(), options.max_tenants_per_connection, options.max_lifetime);
        let mut conn = r2d2::ManageConnection::connect(&manager)
            .map_err(|e| CoreError::Unavailable(format!("cluster {cluster}: {e}")))?;
        // Its statements are written for any parameters (an index lookup per row asked
        // for): the generic plan, kept, is right for them. Left to choose, PostgreSQL
        // can settle on planning each run afresh (custom plans, when their estimate for
        // the first runs' small batches beats the generic one's): measured once with two
        // signature writers, PostgreSQL then spent a third more time per signature
        // (BENCHMARKS.md, "Petitions").
        diesel::sql_query("SELECT set_config('plan_cache_mode', 'force_generic_plan', false)")
            .execute(&mut conn.conn)?;
        Ok(OwnConnection { conn, manager, cluster: cluster.clone() })
    }

    /// Runs `f` in a transaction on the catalog (the shared schema).
    pub fn catalog<T>(&self, f: impl FnOnce(&mut PgConnection) -> CoreResult<T>) -> CoreResult<T> {
        let mut pooled = self.main.checkout()?;
        pooled.conn.transaction(|conn| {
            diesel::sql_query("SELECT set_config('search_path', 'catalog', true)").execute(conn)?;
            f(conn)
        })
    }

    /// Runs `f` in a transaction on `cluster`, for provisioning work that names a
    /// tenant schema itself (creating, migrating, dropping it). On the main cluster
    /// the catalog is on the search path; elsewhere nothing is.
    pub fn on_cluster<T>(
        &self,
        cluster: &ClusterName,
        f: impl FnOnce(&mut PgConnection) -> CoreResult<T>,
    ) -> CoreResult<T> {
        let mut pooled = self.pool(cluster)?.checkout()?;
        pooled.conn.transaction(|conn| {
            diesel::sql_query("SELECT set_config('search_path', 'catalog', true)").execute(conn)?;
            f(conn)
        })
    }

    /// A cheap round trip, for readiness checks.
    pub fn ping(&self) -> CoreResult<()> {
        let mut pooled = self.main.checkout()?;
        diesel::sql_query("SELECT 1").execute(&mut pooled.conn)?;
        Ok(())
    }

    /// The main cluster's pool counters.
    pub fn status(&self) -> PoolStatus {
        self.main.status()
    }

    /// Every open pool's counters, the main cluster first.
    pub fn statuses(&self) -> Vec<(ClusterName, PoolStatus)> {
        let mut out = vec![(ClusterName::main(), self.main.status())];
        let others = self.shared.others.read();
        let mut rest: Vec<_> = others.iter().map(|(name, pool)| (name.clone(), pool.status())).collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(rest);
        out
    }

    /// A connection to the main cluster outside the pool, for migrations and listening.
    pub fn dedicated(&self) -> CoreResult<PgConnection> {
        PgConnection::establish(self.url.expose()).map_err(|e| CoreError::Unavailable(e.to_string()))
    }

    /// A connection to `cluster` outside the pool.
    pub fn dedicated_on(&self, cluster: &ClusterName) -> CoreResult<PgConnection> {
        let url = self.cluster_url(cluster)?;
        PgConnection::establish(url.expose()).map_err(|e| CoreError::Unavailable(format!("cluster {cluster}: {e}")))
    }
}

/// A connection outside the pool, from [`Db::own_connection`]: the same tenant
/// statements as [`Db::tenant_statement`] and [`Db::tenants_transaction`], on it.
pub struct OwnConnection {
    conn: TrackedConnection,
    manager: Manager,
    cluster: ClusterName,
}

impl OwnConnection {
    /// The cluster it is connected to.
    pub fn cluster(&self) -> &ClusterName {
        &self.cluster
    }

    /// False once it is broken, too old, or has served more tenants than a pooled
    /// connection may: then drop it and open another.
    pub fn usable(&mut self) -> bool {
        !r2d2::ManageConnection::has_broken(&self.manager, &mut self.conn)
    }

    /// As [`Db::tenant_statement`].
    pub fn tenant_statement<T>(
        &mut self,
        tenant: &Tenant,
        f: impl FnOnce(&mut PgConnection, &str) -> CoreResult<T>,
    ) -> CoreResult<T> {
        self.check(tenant)?;
        self.conn.note_tenant(tenant.id);
        f(&mut self.conn.conn, &tenant.schema.quoted())
    }

    /// As [`Db::tenants_transaction`].
    pub fn tenants_transaction<T>(
        &mut self,
        tenants: &[&Tenant],
        f: impl FnOnce(&mut PgConnection) -> CoreResult<T>,
    ) -> CoreResult<T> {
        for tenant in tenants {
            self.check(tenant)?;
            self.conn.note_tenant(tenant.id);
        }
        self.conn.conn.transaction(f)
    }

    fn check(&self, tenant: &Tenant) -> CoreResult<()> {
        if tenant.cluster != self.cluster {
            return Err(CoreError::Invalid(format!(
                "tenant {} is on cluster {}, this connection on {}",
                tenant.slug, tenant.cluster, self.cluster
            )));
        }
        Ok(())
    }
}

/// Scopes the current transaction to a tenant schema; `public` stays out of the path
/// so a missing tenant table can never resolve to a shared one.
pub(crate) fn scope_to(conn: &mut PgConnection, schema: &SchemaName) -> CoreResult<()> {
    diesel::sql_query("SELECT set_config('search_path', $1, true)").bind::<Text, _>(schema.as_str()).execute(conn)?;
    Ok(())
}
