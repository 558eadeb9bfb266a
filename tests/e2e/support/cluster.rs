//! A PostgreSQL server for the tests, and a fresh database per test.
//!
//! `CIVITAS_TEST_DATABASE_URL` (a superuser URL ending in a database name) points at
//! an existing server; otherwise the tests start the embedded cluster in
//! `target/tmp/test-pg` once and reuse it (`deploy/dev/test.sh` stops it afterwards).
//! A second server, for tenants spread over several clusters, comes the same way from
//! `CIVITAS_TEST_DATABASE_URL_2` or `target/tmp/test-pg2` ([`second_cluster`]).
use std::sync::OnceLock;

use diesel::{Connection, PgConnection, RunQueryDsl};
use tenant_core::db::embedded::EmbeddedPostgres;
use tenant_core::{migrations, DatabaseUrl, Db, PoolOptions};

pub struct Cluster {
    base: String,
}

impl Cluster {
    /// The URL of database `name` on this server.
    pub fn url_for(&self, name: &str) -> String {
        match self.base.split_once('?') {
            Some((head, query)) => format!("{}/{name}?{query}", head.rsplit_once('/').map(|(h, _)| h).unwrap_or(head)),
            None => format!("{}/{name}", self.base.rsplit_once('/').map(|(h, _)| h).unwrap_or(&self.base)),
        }
    }

    fn admin(&self) -> PgConnection {
        PgConnection::establish(&self.url_for("postgres")).expect("connect to the test cluster")
    }
}

pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        if let Ok(url) = std::env::var("CIVITAS_TEST_DATABASE_URL") {
            return Cluster { base: url };
        }
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-pg");
        let pg = EmbeddedPostgres::start(&dir).expect("start the embedded test cluster");
        let base = pg.url();
        // Kept running for the other tests of this run; the test script stops it.
        std::mem::forget(pg);
        Cluster { base }
    })
}

/// The second test server: another embedded cluster (its own data folder and socket),
/// started on first use and stopped by the test script like the first.
pub fn second_cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        if let Ok(url) = std::env::var("CIVITAS_TEST_DATABASE_URL_2") {
            return Cluster { base: url };
        }
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-pg2");
        let pg = EmbeddedPostgres::start(&dir).expect("start the second embedded test cluster");
        let base = pg.url();
        std::mem::forget(pg);
        Cluster { base }
    })
}

/// An empty database of its own on the second server (a cluster tenants can be
/// placed on: no catalog there); dropped with the value.
pub struct SecondDb {
    pub name: String,
    pub url: String,
}

impl SecondDb {
    pub fn new() -> Self {
        let cluster = second_cluster();
        let name = format!("civitas_test2_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut cluster.admin()).expect("create test db");
        let url = cluster.url_for(&name);
        Self { name, url }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the second test db")
    }

    /// Runs `sql` as superuser on the second server's `postgres` database.
    pub fn admin(&self, sql: &str) {
        diesel::sql_query(sql).execute(&mut second_cluster().admin()).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

impl Drop for SecondDb {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&mut second_cluster().admin());
    }
}

/// A database of its own, with the catalog migrated; dropped with the value.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> Self {
        let cluster = cluster();
        let name = format!("civitas_test_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut cluster.admin()).expect("create test db");
        let url = cluster.url_for(&name);
        let conn = PgConnection::establish(&url).expect("connect to test db");
        migrations::run_catalog(conn).expect("catalog migrations");
        Self { name, url }
    }

    pub fn db(&self, pool_size: u32) -> Db {
        Db::new(DatabaseUrl::new(self.url.clone()), &PoolOptions { size: pool_size, ..PoolOptions::default() })
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to test db")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&mut cluster().admin());
    }
}
