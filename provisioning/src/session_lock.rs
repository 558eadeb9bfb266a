//! Locks that keep two operations on one tenant apart across processes and
//! machines: PostgreSQL session advisory locks, by name. A lock lives as long as its
//! session, so a crashed operation releases it.
use diesel::pg::PgConnection;
use diesel::sql_types::{Bool, Text};
use diesel::{QueryableByName, RunQueryDsl};
use tenant_core::{CoreResult, Db};

#[derive(QueryableByName)]
struct Got {
    #[diesel(sql_type = Bool)]
    got: bool,
}

/// Takes lock `name` on `conn`'s session if free; false when another session holds it.
pub fn try_lock(conn: &mut PgConnection, name: &str) -> CoreResult<bool> {
    let got: Got =
        diesel::sql_query("SELECT pg_try_advisory_lock(hashtext($1)) AS got").bind::<Text, _>(name).get_result(conn)?;
    Ok(got.got)
}

/// Takes lock `name` on a connection of its own to the main cluster, held until the
/// returned connection is dropped; `None` when another session holds it.
pub fn try_hold(db: &Db, name: &str) -> CoreResult<Option<PgConnection>> {
    let mut guard = db.dedicated()?;
    Ok(try_lock(&mut guard, name)?.then_some(guard))
}
