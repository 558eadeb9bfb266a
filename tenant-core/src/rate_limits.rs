//! Rate-limit counters in the catalog, so every replica counts together: fixed
//! windows per key (`sign-in:<tenant>:<ip>`, `reset:<tenant>:<address>`...).
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Double, Integer, Text};

use crate::db::prepared::prepared;
use crate::error::CoreResult;

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    hits: i32,
    #[diesel(sql_type = Double)]
    remaining: f64,
}

fn wait(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds.max(1.0))
}

/// Counts one event under `key` in a window of `window`; `Ok(Err(wait))` once more
/// than `max` events fell in the current window.
pub fn hit(conn: &mut PgConnection, key: &str, max: u32, window: Duration) -> CoreResult<Result<(), Duration>> {
    let seconds = i32::try_from(window.as_secs().max(1)).unwrap_or(i32::MAX);
    let counted: Counted = prepared(
        "INSERT INTO catalog.rate_limits AS r (key, hits, window_start, window_seconds) VALUES ($1, 1, now(), $2) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN r.window_start + make_interval(secs => r.window_seconds) <= now() THEN 1 ELSE r.hits + 1 END, \
           window_start = CASE WHEN r.window_start + make_interval(secs => r.window_seconds) <= now() THEN now() ELSE r.window_start END, \
           window_seconds = EXCLUDED.window_seconds \
         RETURNING hits, extract(epoch FROM r.window_start + make_interval(secs => r.window_seconds) - now())::float8 AS remaining",
    )
    .bind::<Text, _>(key)
    .bind::<Integer, _>(seconds)
    .get_result(conn)?;
    // Now and then, forget windows long over.
    if counted.hits == 1 && rand_one_in(200) {
        prepared(
            "DELETE FROM catalog.rate_limits WHERE window_start + make_interval(secs => window_seconds) < now() - interval '1 hour'",
        )
        .execute(conn)?;
    }
    if counted.hits as u32 > max {
        Ok(Err(wait(counted.remaining)))
    } else {
        Ok(Ok(()))
    }
}

/// Whether `key` still has budget, without counting.
pub fn check(conn: &mut PgConnection, key: &str, max: u32) -> CoreResult<Result<(), Duration>> {
    let found: Option<Counted> = prepared(
        "SELECT hits, extract(epoch FROM window_start + make_interval(secs => window_seconds) - now())::float8 AS remaining \
         FROM catalog.rate_limits WHERE key = $1 AND window_start + make_interval(secs => window_seconds) > now()",
    )
    .bind::<Text, _>(key)
    .get_result(conn)
    .optional()?;
    Ok(match found {
        Some(c) if c.hits as u32 >= max => Err(wait(c.remaining)),
        _ => Ok(()),
    })
}

pub fn clear(conn: &mut PgConnection, key: &str) -> CoreResult<()> {
    prepared("DELETE FROM catalog.rate_limits WHERE key = $1").bind::<Text, _>(key).execute(conn)?;
    Ok(())
}

fn rand_one_in(n: u32) -> bool {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).is_ok() && u32::from_le_bytes(b) % n == 0
}
