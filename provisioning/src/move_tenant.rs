//! Moving a tenant's schema to another database cluster (`civitas tenant move`,
//! `POST /api/v1/tenants/{slug}/move`), with the tenant read-only meanwhile:
//!
//! 1. the catalog marks it read-only (`read_only`, `moving_to`): every serving
//!    process reloads its directory on the notification and answers writes with 503
//!    while pages are still served; a pause lets them all hear it;
//! 2. on the source cluster a transaction locks every table of the schema in SHARE
//!    mode (it waits for writes already running, and blocks any from a process that
//!    has not reloaded yet) and exports its snapshot;
//! 3. `pg_dump --snapshot` of that schema is piped into `psql --single-transaction`
//!    on the target (the system's binaries: they copy every table, index, sequence,
//!    trigger and function as the source has them, whatever migrations built them);
//! 4. the row count of every table is compared between the two copies;
//! 5. one catalog transaction switches the tenant to the target cluster (serving
//!    processes reload on its notification); another pause lets them all switch;
//! 6. the source transaction, still holding its locks, drops the old schema and
//!    commits: a write held back by the lock fails rather than landing in a copy no
//!    one reads any more;
//! 7. read-only is cleared.
//!
//! A failure before step 5 drops whatever reached the target and clears read-only:
//! the tenant stays whole on its cluster, writable again. A move that crashed
//! leaves the tenant read-only: with `moving_to` set (it died before the switch)
//! running the move again (to any cluster) starts over; without (after the switch)
//! running it again makes the tenant writable where it now is. An advisory lock keeps two moves of one tenant apart.
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use tenant_core::catalog::{self, clusters};
use tenant_core::names::{ClusterName, SchemaName, TenantSlug};
use tenant_core::schema::catalog::tenants;
use tenant_core::{CoreError, CoreResult, Db, Tenant, TenantStatus};

use crate::audit::{self, Actor};
use crate::pg_tools;

/// How long serving processes get to see each catalog change (their directory
/// watcher polls every 100 ms).
#[derive(Clone, Copy, Debug)]
pub struct MoveOptions {
    pub pause: Duration,
}

impl Default for MoveOptions {
    fn default() -> Self {
        Self { pause: Duration::from_secs(2) }
    }
}

/// What a move did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Moved {
    pub tenant: String,
    pub from: ClusterName,
    pub to: ClusterName,
    pub tables: usize,
    pub rows: i64,
    /// False when the old copy could not be dropped (the tenant is moved anyway).
    pub old_copy_dropped: bool,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The name of the lock a move of `slug` holds (a restore takes it too).
pub(crate) fn lock_name(slug: &TenantSlug) -> String {
    format!("civitas.move:{slug}")
}

/// Moves tenant `slug` to cluster `to`.
pub fn move_tenant(
    db: &Db,
    slug: &TenantSlug,
    to: &ClusterName,
    options: MoveOptions,
    actor: &Actor,
) -> CoreResult<Moved> {
    // Held for the whole move, on its own session: a crashed move releases it. A
    // restore holds it too.
    let Some(_guard) = crate::session_lock::try_hold(db, &lock_name(slug))? else {
        return Err(CoreError::Conflict(format!("tenant {slug} is already being moved or restored")));
    };
    recover_switched(db, slug, actor)?;
    let (tenant, leftover) = start(db, slug, to, actor)?;
    let from = tenant.cluster.clone();
    if let Some(previous) = leftover.filter(|c| *c != from) {
        // A crashed move's copy on its target: no tenant lives there under this slug.
        if let Err(e) = drop_schema_on(db, &previous, &tenant.schema) {
            tracing::warn!(tenant = %slug, cluster = %previous, error = %e, "could not drop a crashed move's copy");
        }
    }
    match copy_and_switch(db, &tenant, to, options, actor) {
        Ok(moved) => {
            finish(db, slug)?;
            tracing::info!(tenant = %slug, from = %moved.from, to = %moved.to, rows = moved.rows, "tenant moved");
            Ok(moved)
        }
        // Every error comes before the switch: the tenant is still whole on `from`.
        Err(error) => {
            if let Err(e) = drop_schema_on(db, to, &tenant.schema) {
                tracing::warn!(tenant = %slug, cluster = %to, error = %e, "could not drop the partial copy");
            }
            let undone = db.catalog(|conn| {
                set_moving(conn, slug, false, None)?;
                audit::record(
                    conn,
                    actor,
                    "tenant.move_failed",
                    Some(slug.as_str()),
                    None,
                    Some(serde_json::json!({ "from": from, "to": to, "error": error.to_string() })),
                )
            });
            if let Err(e) = undone {
                tracing::error!(tenant = %slug, error = %e, "the tenant stays read-only: clear it with `civitas tenant move` again");
            }
            Err(error)
        }
    }
}

/// A move that died after its switch left the tenant read-only on its new cluster
/// (and maybe its old copy, which the `tenant.move` audit entry locates): writable
/// again now, since no move runs (the caller holds the advisory lock).
fn recover_switched(db: &Db, slug: &TenantSlug, actor: &Actor) -> CoreResult<()> {
    db.catalog(|conn| {
        let found: Option<(bool, Option<String>)> = tenants::table
            .filter(tenants::slug.eq(slug.as_str()))
            .select((tenants::read_only, tenants::moving_to))
            .for_update()
            .first(conn)
            .optional()?;
        if let Some((true, None)) = found {
            tracing::warn!(tenant = %slug, "a move stopped after its switch: the tenant is writable again; its old copy may remain on the cluster it came from");
            set_moving(conn, slug, false, None)?;
            audit::record(conn, actor, "tenant.move_recovered", Some(slug.as_str()), None, None)?;
        }
        Ok(())
    })
}

/// Checks the move and marks the tenant read-only; returns it and the target of a
/// crashed earlier move, if any.
fn start(db: &Db, slug: &TenantSlug, to: &ClusterName, actor: &Actor) -> CoreResult<(Tenant, Option<ClusterName>)> {
    db.catalog(|conn| {
        let tenant = catalog::load_one(conn, slug)?;
        if !matches!(tenant.status, TenantStatus::Active | TenantStatus::Suspended) {
            return Err(CoreError::Conflict(format!(
                "tenant {slug} is {}: only an active or suspended tenant can be moved",
                tenant.status.as_str()
            )));
        }
        if tenant.cluster == *to {
            return Err(CoreError::Invalid(format!("tenant {slug} is already on cluster {to}")));
        }
        clusters::place(conn, Some(to))?;
        let leftover: Option<String> = tenants::table
            .filter(tenants::slug.eq(slug.as_str()))
            .select(tenants::moving_to)
            .for_update()
            .first(conn)?;
        let leftover = leftover.map(|c| ClusterName::parse(&c)).transpose()?;
        set_moving(conn, slug, true, Some(to))?;
        audit::record(
            conn,
            actor,
            "tenant.move_started",
            Some(slug.as_str()),
            Some(serde_json::json!({ "cluster": tenant.cluster })),
            Some(serde_json::json!({ "cluster": to })),
        )?;
        Ok((tenant, leftover))
    })
}

fn set_moving(conn: &mut PgConnection, slug: &TenantSlug, read_only: bool, to: Option<&ClusterName>) -> CoreResult<()> {
    diesel::update(tenants::table.filter(tenants::slug.eq(slug.as_str())))
        .set((
            tenants::read_only.eq(read_only),
            tenants::moving_to.eq(to.map(ClusterName::as_str)),
            tenants::revision.eq(tenants::revision + 1),
            tenants::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

fn finish(db: &Db, slug: &TenantSlug) -> CoreResult<()> {
    db.catalog(|conn| set_moving(conn, slug, false, None))
}

fn copy_and_switch(
    db: &Db,
    tenant: &Tenant,
    to: &ClusterName,
    options: MoveOptions,
    actor: &Actor,
) -> CoreResult<Moved> {
    let from = tenant.cluster.clone();
    let schema = &tenant.schema;
    std::thread::sleep(options.pause);
    // The target first: unreachable, it fails the move before anything is locked.
    let mut target = db.dedicated_on(to)?;
    drop_schema(&mut target, schema)?;

    let mut source = db.dedicated_on(&from)?;
    source.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL lock_timeout = '60s'")?;
    let tables = table_names(&mut source, schema)?;
    if !tables.is_empty() {
        let list: Vec<String> = tables.iter().map(|t| format!("{}.{}", schema.quoted(), quote(t))).collect();
        source.batch_execute(&format!("LOCK TABLE {} IN SHARE MODE", list.join(", ")))?;
    }
    let snapshot: Name = diesel::sql_query("SELECT pg_export_snapshot() AS name").get_result(&mut source)?;
    let before = counts(&mut source, schema, &tables)?;

    copy_schema(db, &from, to, schema, &snapshot.name)?;
    let after = counts(&mut target, schema, &tables)?;
    if before != after {
        let differ: Vec<String> = tables
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|(_, (b, a))| b != a)
            .map(|(t, (b, a))| format!("{t}: {b} rows, {a} copied"))
            .collect();
        return Err(CoreError::Invalid(format!("the copy differs from the source ({})", differ.join("; "))));
    }
    let rows = before.iter().sum();
    let slug = &tenant.slug;
    db.catalog(|conn| {
        diesel::update(tenants::table.filter(tenants::slug.eq(slug.as_str())))
            .set((
                tenants::cluster.eq(to.as_str()),
                tenants::moving_to.eq(None::<String>),
                tenants::revision.eq(tenants::revision + 1),
                tenants::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "tenant.move",
            Some(slug.as_str()),
            Some(serde_json::json!({ "cluster": from })),
            Some(serde_json::json!({ "cluster": to, "tables": tables.len(), "rows": rows })),
        )
    })?;

    // Switched: from here on the tenant lives on `to` whatever happens.
    std::thread::sleep(options.pause);
    let dropped = drop_schema(&mut source, schema).and_then(|()| Ok(source.batch_execute("COMMIT")?));
    if let Err(e) = &dropped {
        tracing::warn!(tenant = %slug, cluster = %from, error = %e, "tenant moved, but its old copy could not be dropped");
    }
    Ok(Moved {
        tenant: slug.to_string(),
        from,
        to: to.clone(),
        tables: tables.len(),
        rows,
        old_copy_dropped: dropped.is_ok(),
    })
}

/// `pg_dump` of the schema as of `snapshot` on `from`, into `psql` on `to` in one
/// transaction: on error nothing of it stays on the target.
fn copy_schema(db: &Db, from: &ClusterName, to: &ClusterName, schema: &SchemaName, snapshot: &str) -> CoreResult<()> {
    let mut dump = pg_tools::command("pg_dump", &db.cluster_url(from)?)?
        .args(["--format=plain", "--no-owner", "--no-privileges", "--schema", schema.as_str()])
        .arg(format!("--snapshot={snapshot}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CoreError::io("running pg_dump", e))?;
    let Some(dump_out) = dump.stdout.take() else {
        return Err(CoreError::Unavailable("pg_dump gave no output".into()));
    };
    let restore = pg_tools::command("psql", &db.cluster_url(to)?)?
        .args(["--single-transaction", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-f", "-"])
        .stdin(Stdio::from(dump_out))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let restore = match restore {
        Ok(child) => child,
        Err(e) => {
            let _ = dump.kill();
            let _ = dump.wait();
            return Err(CoreError::io("running psql", e));
        }
    };
    let restored = restore.wait_with_output().map_err(|e| CoreError::io("running psql", e))?;
    let mut dump_err = String::new();
    if let Some(mut err) = dump.stderr.take() {
        let _ = err.read_to_string(&mut dump_err);
    }
    let dumped = dump.wait().map_err(|e| CoreError::io("running pg_dump", e))?;
    // psql first: when it stops on an error, pg_dump fails too, on a closed pipe.
    if !restored.status.success() {
        return Err(CoreError::Unavailable(format!(
            "copying to cluster {to} failed: {}",
            String::from_utf8_lossy(&restored.stderr).trim()
        )));
    }
    if !dumped.success() {
        return Err(CoreError::Unavailable(format!("pg_dump failed: {}", dump_err.trim())));
    }
    Ok(())
}

fn table_names(conn: &mut PgConnection, schema: &SchemaName) -> CoreResult<Vec<String>> {
    let rows: Vec<Name> =
        diesel::sql_query("SELECT tablename::text AS name FROM pg_tables WHERE schemaname = $1 ORDER BY tablename")
            .bind::<Text, _>(schema.as_str())
            .load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

fn counts(conn: &mut PgConnection, schema: &SchemaName, tables: &[String]) -> CoreResult<Vec<i64>> {
    tables
        .iter()
        .map(|t| {
            let c: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM {}.{}", schema.quoted(), quote(t)))
                .get_result(conn)?;
            Ok(c.n)
        })
        .collect()
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn drop_schema(conn: &mut PgConnection, schema: &SchemaName) -> CoreResult<()> {
    conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", schema.quoted()))?;
    Ok(())
}

fn drop_schema_on(db: &Db, cluster: &ClusterName, schema: &SchemaName) -> CoreResult<()> {
    drop_schema(&mut db.dedicated_on(cluster)?, schema)
}
