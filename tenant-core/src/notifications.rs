//! Notifications: what happened that a person should know (an answer to their
//! proposal, a reply, a mention, a phase change in a space they follow...), one row
//! per recipient, read in the app and sent by mail as digests at the frequency each
//! person chose.
//!
//! Modules call [`publish`] inside the transaction that makes the change, so the
//! notification exists exactly when the change does.
use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz};
use serde::Serialize;

use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::resources::{ResourceKind, ResourceRef};
use crate::schema::tenant::{notifications, users};

/// What happened. The set is the `notifications.event` CHECK constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An administrator answered a proposal.
    Answer,
    /// Someone replied to one's comment.
    Reply,
    /// Someone commented on a followed resource.
    Comment,
    /// A followed resource changed state (accepted, rejected, withdrawn...).
    StateChange,
    /// Someone mentioned one with `@nickname`.
    Mention,
    /// Someone proposed an amendment to a followed proposal.
    Amendment,
    /// A followed space moved to another phase.
    PhaseChange,
    /// A new proposal in a followed space.
    NewProposal,
    /// Someone followed one.
    Follow,
    /// A petition one filed or follows moved on (`state`: submitted, published,
    /// rejected, threshold_reached, period_over, answered, closed).
    Petition,
}

impl EventKind {
    pub const ALL: [EventKind; 10] = [
        EventKind::Answer,
        EventKind::Reply,
        EventKind::Comment,
        EventKind::StateChange,
        EventKind::Mention,
        EventKind::Amendment,
        EventKind::PhaseChange,
        EventKind::NewProposal,
        EventKind::Follow,
        EventKind::Petition,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Answer => "answer",
            EventKind::Reply => "reply",
            EventKind::Comment => "comment",
            EventKind::StateChange => "state_change",
            EventKind::Mention => "mention",
            EventKind::Amendment => "amendment",
            EventKind::PhaseChange => "phase_change",
            EventKind::NewProposal => "new_proposal",
            EventKind::Follow => "follow",
            EventKind::Petition => "petition",
        }
    }

    pub fn parse(s: &str) -> CoreResult<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| CoreError::Invalid(format!("unknown notification event {s:?}")))
    }
}

/// One event to tell people about.
///
/// `data` is what the sentence and the link need: by convention `title`, `url` (a
/// path on the tenant's site), `excerpt`, and for some events `phase` or `state`;
/// each text is a string or an object of texts by locale (`{"fr": "…", "en": "…"}`).
#[derive(Clone, Debug)]
pub struct Event {
    pub kind: EventKind,
    /// What the event is about.
    pub resource: ResourceRef,
    /// Who did it; never notified of their own doing.
    pub actor: Option<i64>,
    /// People told whether they follow anything or not (the author of a proposal
    /// being answered, a person mentioned...).
    pub to_users: Vec<i64>,
    /// The followers of each of these are told too (the proposal and its space...).
    pub to_followers_of: Vec<ResourceRef>,
    pub data: serde_json::Value,
}

/// Largest `data` accepted, serialised.
pub const MAX_DATA_BYTES: usize = 8_000;

/// Writes one notification per distinct recipient of `event` in one statement (the
/// caller's transaction): the listed people and the followers of the listed
/// resources, never the actor, never deleted or blocked accounts. Returns how many.
pub fn publish(conn: &mut PgConnection, event: &Event) -> CoreResult<usize> {
    if !event.data.is_object() {
        return Err(CoreError::Invalid("notification data: a JSON object".into()));
    }
    if event.data.to_string().len() > MAX_DATA_BYTES {
        return Err(CoreError::Invalid(format!("notification data: at most {MAX_DATA_BYTES} bytes")));
    }
    if event.to_users.is_empty() && event.to_followers_of.is_empty() {
        return Ok(0);
    }
    let kinds: Vec<&str> = event.to_followers_of.iter().map(|r| r.kind.as_str()).collect();
    let ids: Vec<i64> = event.to_followers_of.iter().map(|r| r.id).collect();
    let n = prepared(
        "INSERT INTO notifications (user_id, event, actor_id, resource_kind, resource_id, data) \
         SELECT u.id, $1, $2, $3, $4, $5 FROM users u \
         WHERE u.deleted_at IS NULL AND u.blocked_at IS NULL \
           AND ($2 IS NULL OR u.id <> $2) \
           AND (u.id = ANY($6) OR EXISTS ( \
                SELECT 1 FROM follows f \
                JOIN unnest($7::text[], $8::bigint[]) AS r(kind, id) \
                  ON f.resource_kind = r.kind AND f.resource_id = r.id \
                WHERE f.user_id = u.id))",
    )
    .bind::<Text, _>(event.kind.as_str())
    .bind::<Nullable<BigInt>, _>(event.actor)
    .bind::<Text, _>(event.resource.kind.as_str())
    .bind::<BigInt, _>(event.resource.id)
    .bind::<Jsonb, _>(&event.data)
    .bind::<Array<BigInt>, _>(&event.to_users)
    .bind::<Array<Text>, _>(&kinds)
    .bind::<Array<BigInt>, _>(&ids)
    .execute(conn)?;
    Ok(n)
}

/// One notification as its recipient sees it.
#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    pub id: i64,
    pub event: EventKind,
    pub actor_id: Option<i64>,
    /// The actor's nickname; `None` when there is no actor or their account is gone.
    pub actor_nickname: Option<String>,
    pub resource: ResourceRef,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

type Row =
    (i64, String, Option<i64>, Option<String>, String, i64, serde_json::Value, DateTime<Utc>, Option<DateTime<Utc>>);

fn from_row(r: Row) -> Option<Notification> {
    let (id, event, actor_id, actor_nickname, kind, resource_id, data, created_at, read_at) = r;
    Some(Notification {
        id,
        event: EventKind::parse(&event).ok()?,
        actor_id,
        actor_nickname,
        resource: ResourceRef::new(ResourceKind::parse(&kind).ok()?, resource_id),
        data,
        created_at,
        read_at,
    })
}

/// Notifications with their actor's nickname, filtered by `filter`.
macro_rules! with_actor {
    () => {
        notifications::table
            .left_join(
                users::table.on(users::id.nullable().eq(notifications::actor_id).and(users::deleted_at.is_null())),
            )
            .select((
                notifications::id,
                notifications::event,
                notifications::actor_id,
                users::nickname.nullable(),
                notifications::resource_kind,
                notifications::resource_id,
                notifications::data,
                notifications::created_at,
                notifications::read_at,
            ))
    };
}

/// How many of a person's notifications are unread (one indexed count).
pub fn unread_count(conn: &mut PgConnection, user_id: i64) -> CoreResult<i64> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Notifications on a page of the list.
pub const PAGE_SIZE: i64 = 20;

/// A person's notifications, newest first: page `page` (from 1) and the total.
pub fn list(conn: &mut PgConnection, user_id: i64, page: i64) -> CoreResult<(Vec<Notification>, i64)> {
    let page = page.max(1);
    let total: i64 = notifications::table.filter(notifications::user_id.eq(user_id)).count().get_result(conn)?;
    let rows: Vec<Row> = with_actor!()
        .filter(notifications::user_id.eq(user_id))
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(PAGE_SIZE)
        .offset((page - 1).saturating_mul(PAGE_SIZE))
        .load(conn)?;
    Ok((rows.into_iter().filter_map(from_row).collect(), total))
}

/// Marks one of the person's own notifications read; someone else's is `NotFound`.
pub fn mark_read(conn: &mut PgConnection, user_id: i64, id: i64) -> CoreResult<()> {
    let n = diesel::update(notifications::table.find(id).filter(notifications::user_id.eq(user_id)))
        .set(notifications::read_at.eq(diesel::dsl::now))
        .execute(conn)?;
    // Already read is fine (a double submit); only another person's is refused.
    if n == 0 {
        return Err(CoreError::NotFound("no such notification".into()));
    }
    Ok(())
}

/// Marks every unread notification of the person read; returns how many.
pub fn mark_all_read(conn: &mut PgConnection, user_id: i64) -> CoreResult<usize> {
    Ok(diesel::update(
        notifications::table.filter(notifications::user_id.eq(user_id)).filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(diesel::dsl::now))
    .execute(conn)?)
}

/// How often a person gets their unread notifications by mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Immediate,
    Daily,
    Weekly,
    None,
}

impl Frequency {
    pub const ALL: [Frequency; 4] = [Frequency::Immediate, Frequency::Daily, Frequency::Weekly, Frequency::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Immediate => "immediate",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::None => "none",
        }
    }

    pub fn parse(s: &str) -> CoreResult<Frequency> {
        Frequency::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| CoreError::Invalid("frequency: immediate, daily, weekly or none".into()))
    }
}

pub fn frequency(conn: &mut PgConnection, user_id: i64) -> CoreResult<Frequency> {
    let f: String = users::table.find(user_id).select(users::notifications_digest).first(conn)?;
    Frequency::parse(&f)
}

pub fn set_frequency(conn: &mut PgConnection, user_id: i64, frequency: Frequency) -> CoreResult<()> {
    diesel::update(users::table.find(user_id).filter(users::deleted_at.is_null()))
        .set(users::notifications_digest.eq(frequency.as_str()))
        .execute(conn)?;
    Ok(())
}

/// One mail to send: a person and their unread notifications not mailed yet.
#[derive(Clone, Debug)]
pub struct Digest {
    pub user_id: i64,
    pub email: String,
    pub nickname: String,
    pub locale: Locale,
    pub frequency: Frequency,
    /// Oldest first, at most [`MAX_PER_DIGEST`].
    pub notifications: Vec<Notification>,
    /// How many more were left out of this mail (they wait for the next one).
    pub more: i64,
}

/// Notifications listed in one mail.
pub const MAX_PER_DIGEST: usize = 30;

/// People whose digest is due per pass and tenant.
pub const DIGESTS_PER_PASS: i64 = 500;

#[derive(QueryableByName)]
struct DueRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    nickname: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Text)]
    notifications_digest: String,
}

/// The digests due at `now`: people with a confirmed address, neither deleted nor
/// blocked, with unread notifications not mailed yet, whose frequency says it is
/// time (immediate: always; daily: none sent in the last 24 hours; weekly: 7 days).
///
/// Their rows stay locked (`FOR UPDATE SKIP LOCKED`) until the caller's transaction
/// ends: another replica running the same pass skips them, so a notification is
/// mailed once. Send, then [`mark_emailed`] in the same transaction.
pub fn due_digests(conn: &mut PgConnection, now: DateTime<Utc>) -> CoreResult<Vec<Digest>> {
    let due: Vec<DueRow> = prepared(
        "SELECT u.id, u.email, u.nickname, u.locale, u.notifications_digest FROM users u \
         WHERE u.deleted_at IS NULL AND u.blocked_at IS NULL \
           AND u.email IS NOT NULL AND u.email_confirmed_at IS NOT NULL AND u.nickname IS NOT NULL \
           AND (u.notifications_digest = 'immediate' \
             OR (u.notifications_digest = 'daily' AND (u.last_digest_at IS NULL OR u.last_digest_at <= $1)) \
             OR (u.notifications_digest = 'weekly' AND (u.last_digest_at IS NULL OR u.last_digest_at <= $2))) \
           AND EXISTS (SELECT 1 FROM notifications n \
                       WHERE n.user_id = u.id AND n.emailed_at IS NULL AND n.read_at IS NULL) \
         ORDER BY u.id LIMIT $3 \
         FOR UPDATE OF u SKIP LOCKED",
    )
    .bind::<Timestamptz, _>(now - Duration::hours(24))
    .bind::<Timestamptz, _>(now - Duration::days(7))
    .bind::<BigInt, _>(DIGESTS_PER_PASS)
    .load(conn)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = due.iter().map(|d| d.id).collect();
    let rows: Vec<(i64, Row)> = notifications::table
        .left_join(users::table.on(users::id.nullable().eq(notifications::actor_id).and(users::deleted_at.is_null())))
        .filter(notifications::user_id.eq_any(&ids))
        .filter(notifications::emailed_at.is_null())
        .filter(notifications::read_at.is_null())
        .order((notifications::user_id, notifications::created_at, notifications::id))
        .select((
            notifications::user_id,
            (
                notifications::id,
                notifications::event,
                notifications::actor_id,
                users::nickname.nullable(),
                notifications::resource_kind,
                notifications::resource_id,
                notifications::data,
                notifications::created_at,
                notifications::read_at,
            ),
        ))
        .load(conn)?;
    let mut digests: Vec<Digest> = due
        .into_iter()
        .map(|d| Digest {
            user_id: d.id,
            email: d.email,
            nickname: d.nickname,
            locale: Locale::parse(&d.locale).unwrap_or(Locale::Fr),
            frequency: Frequency::parse(&d.notifications_digest).unwrap_or(Frequency::Daily),
            notifications: Vec::new(),
            more: 0,
        })
        .collect();
    for (user_id, row) in rows {
        let Some(d) = digests.iter_mut().find(|d| d.user_id == user_id) else { continue };
        let Some(n) = from_row(row) else { continue };
        if d.notifications.len() < MAX_PER_DIGEST {
            d.notifications.push(n);
        } else {
            d.more += 1;
        }
    }
    digests.retain(|d| !d.notifications.is_empty());
    Ok(digests)
}

/// Records that `digest` was sent at `now`: the notifications it listed are mailed
/// (those it left out wait for the next one), and the person's next daily or weekly
/// digest counts from now.
pub fn mark_emailed(conn: &mut PgConnection, digest: &Digest, now: DateTime<Utc>) -> CoreResult<usize> {
    let ids: Vec<i64> = digest.notifications.iter().map(|n| n.id).collect();
    let n = diesel::update(
        notifications::table.filter(notifications::user_id.eq(digest.user_id)).filter(notifications::id.eq_any(&ids)),
    )
    .set(notifications::emailed_at.eq(now))
    .execute(conn)?;
    diesel::update(users::table.find(digest.user_id)).set(users::last_digest_at.eq(now)).execute(conn)?;
    Ok(n)
}

/// Forgets every notification to or by an account (when it is erased).
pub fn forget_user(conn: &mut PgConnection, user_id: i64) -> CoreResult<()> {
    diesel::delete(notifications::table.filter(notifications::user_id.eq(user_id))).execute(conn)?;
    diesel::update(notifications::table.filter(notifications::actor_id.eq(user_id)))
        .set(notifications::actor_id.eq(None::<i64>))
        .execute(conn)?;
    Ok(())
}

/// How many pages a list of `total` notifications has.
pub fn page_count(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

/// Marks one of the person's notifications read and returns its data (for its
/// link); `None` when it is not theirs or does not exist.
pub fn open(conn: &mut PgConnection, user_id: i64, id: i64) -> CoreResult<Option<serde_json::Value>> {
    #[derive(QueryableByName)]
    struct Data {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        data: serde_json::Value,
    }
    let row: Option<Data> = prepared(
        "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2 RETURNING data",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .bind::<diesel::sql_types::BigInt, _>(user_id)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| r.data))
}
