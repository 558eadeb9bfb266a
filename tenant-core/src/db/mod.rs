//! The only door to the database.
//!
//! Tenant work runs inside a transaction whose first statement scopes `search_path`
//! to that tenant's schema with `set_config(.., true)`: the setting dies with the
//! transaction, so nothing leaks to the next checkout of the pooled connection.
//! Catalog work is a separate, explicit call.
pub mod embedded;
pub mod listener;
mod pool;
pub mod prepared;

use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::{Connection, RunQueryDsl};

use crate::error::{CoreError, CoreResult};
use crate::names::SchemaName;
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

/// How the pool is sized and how long a request may wait for a connection.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub size: u32,
    pub checkout_timeout: Duration,
    /// Recycle a connection after it has served this many distinct tenants.
    pub max_tenants_per_connection: usize,
    pub max_lifetime: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            size: 8,
            checkout_timeout: Duration::from_secs(3),
            max_tenants_per_connection: 200,
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
pub struct Db {
    pool: r2d2::Pool<Manager>,
    url: DatabaseUrl,
    counters: Arc<PoolCounters>,
}

impl Db {
    /// Builds the pool without waiting for the database: a server can start (and say
    /// it is not ready) while PostgreSQL is still coming up.
    pub fn new(url: DatabaseUrl, options: &PoolOptions) -> Self {
        let manager = Manager::new(url.expose().to_owned(), options.max_tenants_per_connection, options.max_lifetime);
        let pool = r2d2::Pool::builder()
            .max_size(options.size)
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(options.checkout_timeout)
            .build_unchecked(manager);
        Self { pool, url, counters: Arc::default() }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
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

    /// Runs `f` in a transaction bound to `tenant`'s schema and nothing else.
    ///
    /// `BEGIN` and the scope go in one message (one round trip fewer on every
    /// request). `SET LOCAL` takes no bind parameter, so the schema goes in as an
    /// identifier: [`SchemaName`] admits only `t_[a-z0-9_]`, and it is quoted too.
    pub fn tenant<T>(&self, tenant: &Tenant, f: impl FnOnce(&mut PgConnection) -> CoreResult<T>) -> CoreResult<T> {
        let mut pooled = self.checkout()?;
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
        let mut pooled = self.checkout()?;
        pooled.note_tenant(tenant.id);
        f(&mut pooled.conn, &tenant.schema.quoted())
    }

    /// Runs `f` in one transaction, with nothing but the catalog on the search path,
    /// for statements that name each of `tenants`' tables with its schema (see
    /// [`Db::tenant_statement`]): several tenants' writes under one commit.
    pub fn tenants_transaction<T>(
        &self,
        tenants: &[&Tenant],
        f: impl FnOnce(&mut PgConnection) -> CoreResult<T>,
    ) -> CoreResult<T> {
        let mut pooled = self.checkout()?;
        for tenant in tenants {
            pooled.note_tenant(tenant.id);
        }
        pooled.conn.transaction(f)
    }

    /// Runs `f` in a transaction on the catalog (the shared schema).
    pub fn catalog<T>(&self, f: impl FnOnce(&mut PgConnection) -> CoreResult<T>) -> CoreResult<T> {
        let mut pooled = self.checkout()?;
        pooled.conn.transaction(|conn| {
            diesel::sql_query("SELECT set_config('search_path', 'catalog', true)").execute(conn)?;
            f(conn)
        })
    }

    /// A cheap round trip, for readiness checks.
    pub fn ping(&self) -> CoreResult<()> {
        let mut pooled = self.checkout()?;
        diesel::sql_query("SELECT 1").execute(&mut pooled.conn)?;
        Ok(())
    }

    pub fn status(&self) -> PoolStatus {
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

    /// A connection outside the pool, for migrations and listening.
    pub fn dedicated(&self) -> CoreResult<PgConnection> {
        PgConnection::establish(self.url.expose()).map_err(|e| CoreError::Unavailable(e.to_string()))
    }
}

/// Scopes the current transaction to a tenant schema; `public` stays out of the path
/// so a missing tenant table can never resolve to a shared one.
pub(crate) fn scope_to(conn: &mut PgConnection, schema: &SchemaName) -> CoreResult<()> {
    diesel::sql_query("SELECT set_config('search_path', $1, true)").bind::<Text, _>(schema.as_str()).execute(conn)?;
    Ok(())
}
