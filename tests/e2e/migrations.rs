//! Every migration's down.sql undoes its up.sql, for both migration sets.
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use tenant_core::migrations::{CATALOG, TENANT};

use crate::support::TestDb;

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

/// Tables, columns, indexes, constraints, triggers and functions of one schema.
fn structure(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    let sql = format!(
        "SELECT 'col ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
           FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name <> '__diesel_schema_migrations'
         UNION ALL SELECT 'idx ' || indexdef FROM pg_indexes WHERE schemaname = '{schema}' AND tablename <> '__diesel_schema_migrations'
         UNION ALL SELECT 'con ' || conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c
           JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = '{schema}' AND conrelid <> '{schema}.__diesel_schema_migrations'::regclass
         UNION ALL SELECT 'trg ' || tgname FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = '{schema}' AND NOT tgisinternal
         UNION ALL SELECT 'fn ' || proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '{schema}'
         UNION ALL SELECT 'seq ' || sequencename FROM pg_sequences WHERE schemaname = '{schema}'
         ORDER BY 1"
    );
    diesel::sql_query(sql).load::<Line>(conn).expect("structure").into_iter().map(|l| l.line).collect()
}

fn prove_reversible(source: fn() -> EmbeddedMigrations, schema: &str) {
    let tdb = TestDb::new();
    let mut conn = PgConnection::establish(&tdb.url).unwrap();
    diesel::sql_query(format!("CREATE SCHEMA {schema}")).execute(&mut conn).unwrap();
    diesel::sql_query(format!("SET search_path TO {schema}")).execute(&mut conn).unwrap();
    setup_harness(&mut conn);
    let empty = structure(&mut conn, schema);
    let applied = conn.run_pending_migrations(source()).unwrap().len();
    assert!(applied > 0);
    let full = structure(&mut conn, schema);
    assert_ne!(full, empty, "up.sql created nothing");
    // Down one at a time, checking each step undoes exactly its own up.
    let mut snapshots = vec![empty.clone()];
    conn.revert_all_migrations(source()).unwrap();
    assert_eq!(structure(&mut conn, schema), empty, "down.sql left something behind");
    for _ in 0..MigrationSource::<Pg>::migrations(&source()).unwrap().len() {
        conn.run_next_migration(source()).unwrap();
        snapshots.push(structure(&mut conn, schema));
    }
    assert_eq!(snapshots.last(), Some(&full), "up again gives the same schema");
    for expected in snapshots.iter().rev().skip(1) {
        conn.revert_last_migration(source()).unwrap();
        assert_eq!(&structure(&mut conn, schema), expected);
    }
}

/// diesel creates its bookkeeping table on first use; make it exist before the
/// "empty" snapshot.
fn setup_harness(conn: &mut PgConnection) {
    let _ = conn.applied_migrations();
}

#[test]
fn catalog_migrations_are_reversible() {
    prove_reversible(|| CATALOG, "catalog_check");
}

#[test]
fn tenant_migrations_are_reversible() {
    prove_reversible(|| TENANT, "t_check");
}
