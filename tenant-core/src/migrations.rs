//! The two embedded migration sets: the catalog (once) and the tenant set (once per
//! tenant schema, each schema keeping its own `__diesel_schema_migrations`).
use diesel::migration::MigrationSource;
use diesel::pg::{Pg, PgConnection};
use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::db::scope_to;
use crate::error::{CoreError, CoreResult};
use crate::names::SchemaName;

pub const CATALOG: EmbeddedMigrations = embed_migrations!("../migrations/catalog");
pub const TENANT: EmbeddedMigrations = embed_migrations!("../migrations/tenant");

/// Serialises migration runs across processes.
const MIGRATION_LOCK: i64 = 0x6369_7669_7461_7301;

/// Applies pending catalog migrations; returns the versions applied.
///
/// Takes a dedicated connection (the session-level `search_path` set here dies with it).
pub fn run_catalog(mut conn: PgConnection) -> CoreResult<Vec<String>> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(&mut conn)?;
    diesel::sql_query("CREATE SCHEMA IF NOT EXISTS catalog").execute(&mut conn)?;
    diesel::sql_query("SET search_path TO catalog").execute(&mut conn)?;
    let applied = conn
        .run_pending_migrations(CATALOG)
        .map_err(|e| CoreError::Migration(format!("catalog: {e}")))?
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(&mut conn)?;
    Ok(applied)
}

/// Applies pending tenant migrations from `source` inside `schema`, within the caller's
/// transaction: on failure the caller's rollback undoes every step.
pub fn run_tenant_in<S: MigrationSource<Pg>>(
    conn: &mut PgConnection,
    schema: &SchemaName,
    source: S,
) -> CoreResult<Vec<String>> {
    scope_to(conn, schema)?;
    let applied = conn
        .run_pending_migrations(source)
        .map_err(|e| CoreError::Migration(format!("{schema}: {e}")))?
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    diesel::sql_query("SELECT set_config('search_path', 'catalog', true)").execute(conn)?;
    Ok(applied)
}

/// Creates a tenant schema and migrates it, inside the caller's transaction.
pub fn create_tenant_schema<S: MigrationSource<Pg>>(
    conn: &mut PgConnection,
    schema: &SchemaName,
    source: S,
) -> CoreResult<Vec<String>> {
    diesel::sql_query(format!("CREATE SCHEMA {}", schema.quoted())).execute(conn)?;
    run_tenant_in(conn, schema, source)
}

/// Runs `f` with the transaction scoped to `schema`, then back to the catalog. For
/// provisioning, which writes a tenant's first rows before the tenant is served.
pub fn with_schema<T, E: From<CoreError>>(
    conn: &mut PgConnection,
    schema: &SchemaName,
    f: impl FnOnce(&mut PgConnection) -> Result<T, E>,
) -> Result<T, E> {
    scope_to(conn, schema)?;
    let out = f(conn)?;
    diesel::sql_query("SELECT set_config('search_path', 'catalog', true)").execute(conn).map_err(CoreError::from)?;
    Ok(out)
}
