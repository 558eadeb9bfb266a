//! Row counts and content checksums per table: written into a backup's manifest from
//! the dump's snapshot, and checked again inside a restore's transaction before it
//! commits.
use diesel::connection::SimpleConnection;
use diesel::{PgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use tenant_core::CoreResult;

use crate::pg_tools::qualified;

/// Settings under which a row's text form is the same in every session (dates in
/// UTC and ISO, floats in shortest exact form), so checksums compare across
/// sessions and servers. `SET LOCAL`: they end with the transaction.
pub const STABLE_TEXT: &str = "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, MDY'; \
     SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex';";

/// One table as a backup saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSum {
    pub name: String,
    pub rows: i64,
    /// SHA-256 over the sorted MD5s of the rows' text forms: independent of the
    /// rows' physical order, changed by any change to any row.
    pub sha256: String,
}

/// The count and checksum of one table, as a SELECT (`rows`, `sha256`).
fn sum_query(schema: &str, table: &str) -> CoreResult<String> {
    Ok(format!(
        "SELECT count(*) AS rows, encode(sha256(convert_to(coalesce(string_agg(md5(civitas_row_::text), '' \
         ORDER BY md5(civitas_row_::text)), ''), 'UTF8')), 'hex') AS sha256 FROM {} AS civitas_row_",
        qualified(schema, table)?
    ))
}

/// Every ordinary table of `schema`, by name, with its row count and checksum, as the
/// caller's transaction sees them.
pub fn table_sums(conn: &mut PgConnection, schema: &str) -> CoreResult<Vec<TableSum>> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Sum {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        sha256: String,
    }
    conn.batch_execute(STABLE_TEXT)?;
    let names: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname",
    )
    .bind::<diesel::sql_types::Text, _>(schema)
    .load(conn)?;
    let mut sums = Vec::with_capacity(names.len());
    for Name { name } in names {
        let sum: Sum = diesel::sql_query(sum_query(schema, &name)?).get_result(conn)?;
        sums.push(TableSum { name, rows: sum.rows, sha256: sum.sha256 });
    }
    Ok(sums)
}

/// A `DO` block that raises (and so rolls the restore back) unless `schema` holds
/// exactly `tables`, each with its row count and checksum.
pub(crate) fn verification_sql(schema: &str, tables: &[TableSum]) -> CoreResult<String> {
    qualified(schema, "checked")?; // the schema's name goes into SQL text below
    let mut sql = format!(
        "{STABLE_TEXT}\nDO $civitas_verify$\nDECLARE found record;\nBEGIN\n  \
         IF (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = '{schema}' AND c.relkind = 'r') <> {count} THEN\n    \
         RAISE EXCEPTION 'the restored schema does not have the backup''s {count} tables';\n  END IF;\n",
        count = tables.len()
    );
    for t in tables {
        if !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(tenant_core::CoreError::Invalid(format!("table {}: malformed checksum", t.name)));
        }
        sql.push_str(&format!(
            "  {query} INTO found;\n  IF found.rows <> {rows} OR found.sha256 <> '{sha}' THEN\n    \
             RAISE EXCEPTION 'restored table {name} has % rows (checksum %), the backup had {rows} rows (checksum {sha})', \
             found.rows, found.sha256;\n  END IF;\n",
            query = sum_query(schema, &t.name)?,
            rows = t.rows,
            sha = t.sha256,
            name = t.name,
        ));
    }
    sql.push_str("END\n$civitas_verify$;\n");
    Ok(sql)
}
