//! Reading numbers straight from the database, to check what the product did.
use diesel::{PgConnection, RunQueryDsl};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Runs `sql`, which must select one `bigint` column named `n`.
pub fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).map(|c| c.n).unwrap_or_else(|e| panic!("{sql}: {e}"))
}
