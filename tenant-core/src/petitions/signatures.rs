//! Signatures: one per person and petition, and nothing that says who.
//!
//! The caller hands a *signer*: an HMAC under the tenant's key of the person's
//! provider subject (anonymous signing) or account, with the petition in the
//! purpose, so the same person is recognised on the same petition only. The row keeps
//! that hash, the day, and a nickname only when the type shows signers and the person
//! chose to appear. The primary key `(petition_id, signer)` makes a second signature
//! impossible whatever the timing.
//!
//! The count is kept in `petition_signature_counts`, per petition, day and shard, in
//! the signature's own statement: concurrent writers update different rows (the
//! shard comes from the signer's hash, or is drawn per batch for the anonymous
//! batches), so no single row serialises them, and a crash leaves either both the
//! signature and its count or neither.
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, SmallInt, Text, Timestamptz};
use serde::Serialize;

use super::{find, Petition, Role, State};
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};

/// Shards of a petition's daily count.
pub const SHARDS: i16 = 16;

/// The outcome of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Signed {
    /// Recorded now; the petition's count including it.
    New { on: NaiveDate, count: i64 },
    /// This person had already signed, on that day: nothing was added.
    Already { on: NaiveDate },
}

/// Checks the shape of a signer hash (64 lowercase hex digits).
pub fn check_signer(signer: &str) -> CoreResult<()> {
    if signer.len() == 64 && signer.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(CoreError::Invalid("signer: a keyed hash of 64 hexadecimal digits".into()))
    }
}

fn shard_of(signer: &str) -> i16 {
    i16::from_str_radix(&signer[..2], 16).unwrap_or(0) % SHARDS
}

/// Records `signer`'s signature of petition `id` at `now`, if signatures are open.
/// `nickname` is kept only when the petition's type shows signers (the caller passes
/// it only when the person chose to appear). Reaching the threshold moves the
/// petition to its examination, in the same transaction, once.
pub fn sign(
    conn: &mut PgConnection,
    id: i64,
    signer: &str,
    nickname: Option<&str>,
    now: DateTime<Utc>,
) -> CoreResult<Signed> {
    check_signer(signer)?;
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Gate {
            #[diesel(sql_type = Text)]
            state: String,
            #[diesel(sql_type = Nullable<Timestamptz>)]
            published_at: Option<DateTime<Utc>>,
            #[diesel(sql_type = Nullable<Timestamptz>)]
            signatures_end_at: Option<DateTime<Utc>>,
            #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
            threshold: Option<i32>,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            hidden: bool,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            show_signers: bool,
            #[diesel(sql_type = Nullable<Date>)]
            signed_on: Option<NaiveDate>,
        }
        // No lock on the petition: signers must not queue on its row.
        let gate: Gate = prepared(
            "SELECT p.state, p.published_at, p.signatures_end_at, p.threshold, p.hidden_at IS NOT NULL AS hidden,
                    t.show_signers,
                    (SELECT s.signed_on FROM petition_signatures s WHERE s.petition_id = p.id AND s.signer = $2)
                      AS signed_on
             FROM petitions p JOIN petition_types t ON t.id = p.type_id WHERE p.id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(signer)
        .get_result(conn)
        .optional()?
        .ok_or_else(|| CoreError::NotFound("petition".into()))?;
        if let Some(on) = gate.signed_on {
            return Ok(Signed::Already { on });
        }
        let state = State::parse(&gate.state)?;
        let open = matches!(state, State::Open | State::Examination)
            && !gate.hidden
            && gate.published_at.is_some_and(|p| p <= now)
            && gate.signatures_end_at.is_some_and(|end| now < end);
        if !open {
            return Err(CoreError::Forbidden(super::refusal_or_period_over(state, gate.hidden).into()));
        }
        let nickname = nickname.filter(|_| gate.show_signers).map(str::trim).filter(|n| !n.is_empty());
        let today = now.date_naive();
        #[derive(QueryableByName)]
        struct Recorded {
            #[diesel(sql_type = Nullable<Date>)]
            signed_on: Option<NaiveDate>,
            #[diesel(sql_type = BigInt)]
            before: i64,
        }
        // The signature, its count, and the count before it, in one statement (a
        // data-modifying WITH always runs; the SELECT sees the rows as they were
        // before it). A concurrent signature by the same person makes it do nothing.
        let recorded: Recorded = prepared(
            "WITH s AS (
                 INSERT INTO petition_signatures (petition_id, signer, signed_on, nickname)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING signed_on
             ), c AS (
                 INSERT INTO petition_signature_counts (petition_id, day, shard, n)
                 SELECT $1, signed_on, $5, 1 FROM s
                 ON CONFLICT (petition_id, day, shard) DO UPDATE SET n = petition_signature_counts.n + 1
                 RETURNING 1
             )
             SELECT (SELECT signed_on FROM s) AS signed_on,
                    (SELECT coalesce(sum(n), 0) FROM petition_signature_counts WHERE petition_id = $1)::int8
                      AS before",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(signer)
        .bind::<Date, _>(today)
        .bind::<Nullable<Text>, _>(nickname)
        .bind::<SmallInt, _>(shard_of(signer))
        .get_result(conn)?;
        let Some(on) = recorded.signed_on else {
            // Signed by a concurrent request of the same person a moment ago.
            let on: Option<NaiveDate> = signed_on(conn, id, signer)?;
            return Ok(Signed::Already { on: on.unwrap_or(today) });
        };
        let count = recorded.before + 1;
        if state == State::Open && gate.threshold.is_some_and(|t| count >= i64::from(t)) {
            reach_threshold(conn, id, now)?;
        }
        Ok(Signed::New { on, count })
    })
}

/// The petition reached its threshold: under examination from now (signatures go on
/// until the end of the period). Only the first signer past the threshold moves it.
/// Two signers at once each see the count without the other's signature, so the
/// last ones may both miss the threshold: the sweep ([`super::sweep`]) moves such a
/// petition within the minute.
pub(super) fn reach_threshold(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> CoreResult<()> {
    let moved = prepared(
        "UPDATE petitions SET state = 'examination', threshold_reached_at = $2, updated_at = now()
         WHERE id = $1 AND state = 'open'",
    )
    .bind::<BigInt, _>(id)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    if moved == 1 {
        super::event(conn, id, "threshold_reached", Role::System, None)?;
        let p: Petition = find(conn, id)?.ok_or_else(|| CoreError::NotFound("petition".into()))?;
        super::notify(conn, &p, "threshold_reached", None, &[])?;
    }
    Ok(())
}

/// The day `signer` signed petition `id`, if they did.
pub fn signed_on(conn: &mut PgConnection, id: i64, signer: &str) -> CoreResult<Option<NaiveDate>> {
    #[derive(QueryableByName)]
    struct On {
        #[diesel(sql_type = Date)]
        signed_on: NaiveDate,
    }
    let on: Option<On> = prepared("SELECT signed_on FROM petition_signatures WHERE petition_id = $1 AND signer = $2")
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(signer)
        .get_result(conn)
        .optional()?;
    Ok(on.map(|o| o.signed_on))
}

/// One day of a petition's signatures (open data).
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Day {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub signatures: i64,
}

/// Signatures per day (UTC), oldest first; days without any are left out.
pub fn per_day(conn: &mut PgConnection, id: i64) -> CoreResult<Vec<Day>> {
    Ok(prepared(
        "SELECT day, sum(n)::int8 AS signatures FROM petition_signature_counts
         WHERE petition_id = $1 GROUP BY day HAVING sum(n) > 0 ORDER BY day",
    )
    .bind::<BigInt, _>(id)
    .load(conn)?)
}

/// Signers who chose to appear, newest first (types that show signers).
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct PublicSigner {
    #[diesel(sql_type = Text)]
    pub nickname: String,
    #[diesel(sql_type = Date)]
    pub signed_on: NaiveDate,
}

pub fn public_signers(conn: &mut PgConnection, id: i64, limit: i64) -> CoreResult<Vec<PublicSigner>> {
    Ok(prepared(
        "SELECT nickname, signed_on FROM petition_signatures
         WHERE petition_id = $1 AND nickname IS NOT NULL ORDER BY signed_on DESC, nickname LIMIT $2",
    )
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(limit.clamp(1, 1000))
    .load(conn)?)
}

/// Folds past days' count shards into shard 0 (fewer rows to add up for a count);
/// returns how many rows were folded away.
pub fn fold_past_days(conn: &mut PgConnection, today: NaiveDate) -> CoreResult<usize> {
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let folded: N = prepared(
            "WITH gone AS (
                 DELETE FROM petition_signature_counts WHERE day < $1 AND shard <> 0
                 RETURNING petition_id, day, n
             ), sums AS (
                 SELECT petition_id, day, sum(n)::int4 AS n, count(*) AS rows FROM gone GROUP BY 1, 2
             ), merged AS (
                 INSERT INTO petition_signature_counts (petition_id, day, shard, n)
                 SELECT petition_id, day, 0, n FROM sums
                 ON CONFLICT (petition_id, day, shard) DO UPDATE SET n = petition_signature_counts.n + EXCLUDED.n
                 RETURNING 1
             )
             SELECT coalesce((SELECT sum(rows) FROM sums), 0)::int8 AS n",
        )
        .bind::<Date, _>(today)
        .get_result(conn)?;
        Ok(folded.n as usize)
    })
}

/// Stored signatures and the kept count of one petition (they must be equal).
pub fn audit(conn: &mut PgConnection, id: i64) -> CoreResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Pair {
        #[diesel(sql_type = BigInt)]
        rows: i64,
        #[diesel(sql_type = BigInt)]
        kept: i64,
    }
    let pair: Pair = prepared(
        "SELECT (SELECT count(*) FROM petition_signatures WHERE petition_id = $1) AS rows,
                (SELECT coalesce(sum(n), 0) FROM petition_signature_counts WHERE petition_id = $1)::int8 AS kept",
    )
    .bind::<BigInt, _>(id)
    .get_result(conn)?;
    Ok((pair.rows, pair.kept))
}

/// What the signature request needs to know of the petition and the signature, read
/// in the signing statement itself.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Signing {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub author_id: Option<i64>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    pub threshold: Option<i32>,
    /// The type signs through FranceConnect, anonymously.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub anonymous: bool,
    /// Published, not hidden, within its period: signatures accepted.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub open: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub hidden: bool,
    /// Recorded by this statement.
    #[diesel(sql_type = Nullable<Date>)]
    pub new_on: Option<NaiveDate>,
    /// Recorded before.
    #[diesel(sql_type = Nullable<Date>)]
    pub earlier_on: Option<NaiveDate>,
    /// The count before this signature.
    #[diesel(sql_type = BigInt)]
    pub before: i64,
}

/// One anonymous signature asked for: petition `id`, by `signer` (a keyed hash).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ask {
    pub id: i64,
    pub signer: String,
}

/// [`sign`] for petitions signed through FranceConnect anonymously, for a batch of
/// signatures of one tenant at once, as one statement outside any transaction
/// ([`crate::db::Db::tenant_statement`]; `schema` is the tenant's quoted schema): the
/// gates, the signatures, their counts (one row per petition and day for the whole
/// batch, in count shard `shard`), and what each answer needs, in one round trip and
/// one commit. The statement commits all of the batch or none of it, so an answer
/// given after it returns is never lost, and a crash before leaves nothing. Rows are
/// written in (petition, signer) order, so two batches never wait on each other in a
/// circle.
///
/// `asks` must not name the same (petition, signer) twice (the caller sends a repeat
/// in the next batch). Returns, in the order of `asks`, `None` where there is no such
/// petition, otherwise what the answer shows: `new_on` (signed now; `before` is then
/// the count just before this signature, counting the batch's earlier ones),
/// `earlier_on` (signed before), or neither (refused: `open` or `anonymous` says why,
/// or a concurrent request of the same person got there first: see [`signed_on`]).
/// Reaching the threshold is left to the caller ([`reach_threshold_now`]).
pub fn sign_anonymous_batch(
    conn: &mut PgConnection,
    schema: &str,
    asks: &[Ask],
    shard: i16,
    now: DateTime<Utc>,
) -> CoreResult<Vec<Option<Signing>>> {
    for ask in asks {
        check_signer(&ask.signer)?;
    }
    if asks.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH r AS (
             SELECT * FROM unnest($1::int8[], $2::text[]) WITH ORDINALITY AS r(petition_id, signer, i)
         ), p AS (
             SELECT p.id, p.state, p.author_id, p.threshold, t.sign_requires = 'franceconnect_anonymous' AS anonymous,
                    p.hidden_at IS NOT NULL AS hidden,
                    (p.state IN ('open', 'examination') AND p.hidden_at IS NULL AND p.published_at <= $3
                     AND $3 < p.signatures_end_at) AS open
             FROM {schema}.petitions p JOIN {schema}.petition_types t ON t.id = p.type_id WHERE p.id = ANY($1)
         ), s AS (
             INSERT INTO {schema}.petition_signatures (petition_id, signer, signed_on)
             SELECT r.petition_id, r.signer, $4 FROM r JOIN p ON p.id = r.petition_id WHERE p.open AND p.anonymous
             ORDER BY r.petition_id, r.signer
             ON CONFLICT DO NOTHING RETURNING petition_id, signer, signed_on
         ), c AS (
             INSERT INTO {schema}.petition_signature_counts (petition_id, day, shard, n)
             SELECT petition_id, signed_on, $5, count(*) FROM s GROUP BY petition_id, signed_on ORDER BY petition_id
             ON CONFLICT (petition_id, day, shard) DO UPDATE SET n = {schema}.petition_signature_counts.n + EXCLUDED.n
         ), b AS (
             SELECT petition_id, sum(n)::int8 AS before FROM {schema}.petition_signature_counts
             WHERE petition_id = ANY($1) GROUP BY petition_id
         )
         SELECT r.i, p.id, p.state, p.author_id, p.threshold, p.anonymous, p.open, p.hidden,
                s.signed_on AS new_on,
                (SELECT e.signed_on FROM {schema}.petition_signatures e
                 WHERE e.petition_id = r.petition_id AND e.signer = r.signer) AS earlier_on,
                coalesce(b.before, 0)::int8 AS before
         FROM r JOIN p ON p.id = r.petition_id
         LEFT JOIN s ON s.petition_id = r.petition_id AND s.signer = r.signer
         LEFT JOIN b ON b.petition_id = r.petition_id
         ORDER BY r.i"
    );
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        i: i64,
        #[diesel(embed)]
        signing: Signing,
    }
    let ids: Vec<i64> = asks.iter().map(|a| a.id).collect();
    let signers: Vec<&str> = asks.iter().map(|a| a.signer.as_str()).collect();
    let rows: Vec<Row> = prepared(sql)
        .bind::<diesel::sql_types::Array<BigInt>, _>(&ids)
        .bind::<diesel::sql_types::Array<Text>, _>(&signers)
        .bind::<Timestamptz, _>(now)
        .bind::<Date, _>(now.date_naive())
        .bind::<SmallInt, _>(shard.rem_euclid(SHARDS))
        .load(conn)?;
    let mut out: Vec<Option<Signing>> = vec![None; asks.len()];
    // The batch's new signatures of a petition come one after the other.
    let mut added: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for mut row in rows {
        let Some(slot) = usize::try_from(row.i - 1).ok().and_then(|i| out.get_mut(i)) else { continue };
        if row.signing.new_on.is_some() {
            let earlier = added.entry(row.signing.id).or_insert(0);
            row.signing.before += *earlier;
            *earlier += 1;
            // `e` read the table as it was before the statement.
            row.signing.earlier_on = None;
        }
        *slot = Some(row.signing);
    }
    Ok(out)
}

/// After a signature recorded outside a transaction brought an open petition to its
/// threshold: moves it to its examination (once), in a transaction of its own
/// (`conn` scoped to the tenant).
pub fn reach_threshold_now(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> CoreResult<()> {
    reach_threshold(conn, id, now)
}
