//! The r2d2 connection manager behind [`super::Db`].
//!
//! It wraps each `PgConnection` with the set of tenants it has served, and reports a
//! connection as broken once that set passes a bound: PostgreSQL's per-backend catalog
//! cache grows with every schema a backend touches (about 392 MB after 1,000 tenants
//! of 30 tables, see FACTS.md), so such a backend is closed and replaced.
use std::collections::HashSet;
use std::time::Instant;

use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, RunQueryDsl};
use uuid::Uuid;

/// A pooled connection and what it has served.
pub struct TrackedConnection {
    pub(crate) conn: PgConnection,
    tenants: HashSet<Uuid>,
    opened: Instant,
}

impl TrackedConnection {
    pub(crate) fn note_tenant(&mut self, id: Uuid) {
        self.tenants.insert(id);
    }
}

/// Opens connections with the session settings Civitas relies on.
pub struct Manager {
    url: String,
    max_tenants: usize,
    max_lifetime: std::time::Duration,
}

impl Manager {
    pub fn new(url: String, max_tenants: usize, max_lifetime: std::time::Duration) -> Self {
        Self { url, max_tenants, max_lifetime }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = TrackedConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let mut conn = PgConnection::establish(&self.url).map_err(diesel::r2d2::Error::ConnectionError)?;
        // No tenant schema is visible until a transaction scopes one; `public` never is.
        // No parallel workers: a request's statement is small, and workers would take
        // the cores other requests are waiting for (the proposals list's random order
        // also reads the branches of a UNION ALL in turn, which a parallel append
        // would interleave).
        diesel::sql_query(
            "SELECT set_config('search_path', 'catalog', false), \
             set_config('application_name', 'civitas', false), \
             set_config('statement_timeout', '30s', false), \
             set_config('max_parallel_workers_per_gather', '0', false)",
        )
        .execute(&mut conn)
        .map_err(diesel::r2d2::Error::QueryError)?;
        Ok(TrackedConnection { conn, tenants: HashSet::new(), opened: Instant::now() })
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        std::thread::panicking()
            || conn.conn.is_broken()
            || conn.tenants.len() > self.max_tenants
            || conn.opened.elapsed() > self.max_lifetime
    }
}
