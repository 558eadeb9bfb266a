//! Petitions (issue 6): a tenant-wide module, like Decidim's initiatives. The
//! tenant's admins define petition types (threshold, signature period, who may file,
//! who may sign); citizens file petitions, which go through a public, dated workflow:
//!
//! ```text
//! draft → submitted → rejected (not admissible, with the reason)
//!                   → open (published, collecting signatures)
//!                        → examination (threshold reached) → answered | closed
//!                        → closed (period over below the threshold, or closed early)
//! ```
//!
//! Every transition is one transaction that changes the row, adds a timeline entry
//! (dated, attributed to a role, never to a named person), notifies the author and
//! the petition's followers, and for an administrator's decision, records who in the
//! admin log (not public). Signatures are in [`signatures`].
pub mod signatures;
pub mod types;

use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

use crate::admin_log;
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::notifications::{self, Event, EventKind};
use crate::resources::{ResourceKind, ResourceRef};
use crate::richtext;

pub use types::{PetitionType, Signing, TypeInput};

/// Petitions per page of a list.
pub const PAGE_SIZE: i64 = 20;
/// Longest body, in characters of text.
pub const BODY_MAX_CHARS: usize = 6_000;

/// Where a petition is in its workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    Submitted,
    Rejected,
    Open,
    Examination,
    Answered,
    Closed,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Draft,
        State::Submitted,
        State::Rejected,
        State::Open,
        State::Examination,
        State::Answered,
        State::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Rejected => "rejected",
            State::Open => "open",
            State::Examination => "examination",
            State::Answered => "answered",
            State::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> CoreResult<State> {
        State::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| CoreError::Invalid(format!("unknown petition state {s:?}")))
    }

    /// Published: shown to everyone (unless hidden by moderation).
    pub fn is_public(self) -> bool {
        matches!(self, State::Open | State::Examination | State::Answered | State::Closed)
    }
}

/// One petition, with its live signature count.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Petition {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub type_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub author_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub author: Option<String>,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub threshold: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub submitted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub published_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub signatures_end_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub threshold_reached_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub answered_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub closed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub answer: Option<String>,
    #[diesel(sql_type = Integer)]
    pub comments_count: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub hidden: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub signatures: i64,
}

impl Petition {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Closed)
    }

    /// Whether signatures are accepted at `now`: published, not closed, and within
    /// the signature period.
    pub fn signing_open(&self, now: DateTime<Utc>) -> bool {
        matches!(self.state(), State::Open | State::Examination)
            && !self.hidden
            && self.published_at.is_some_and(|p| p <= now)
            && self.signatures_end_at.is_some_and(|end| now < end)
    }

    /// Why signatures are not accepted at `now`: `not_published`, `closed`, `hidden` or
    /// `period_over` (the pages' message keys end so); `None` when they are.
    pub fn signing_refusal(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.signing_open(now) {
            return None;
        }
        Some(match self.state() {
            State::Draft | State::Submitted | State::Rejected => "not_published",
            State::Answered | State::Closed => "closed",
            State::Open | State::Examination if self.hidden => "hidden",
            State::Open | State::Examination => "period_over",
        })
    }

    /// Progress towards the threshold, 0 to 100.
    pub fn percent(&self) -> i64 {
        match self.threshold {
            Some(t) if t > 0 => (self.signatures.saturating_mul(100) / i64::from(t)).min(100),
            _ => 0,
        }
    }

    pub fn resource(&self) -> ResourceRef {
        ResourceRef::new(ResourceKind::Petition, self.id)
    }
}

/// Why a petition in `state` (hidden by moderation or not) takes no signature, as the
/// signing requests say it (`None` when it does: open or under examination).
fn refusal(state: State, hidden: bool) -> Option<&'static str> {
    match state {
        State::Draft | State::Submitted | State::Rejected => Some("this petition is not published"),
        State::Answered | State::Closed => Some("this petition is closed: it takes no more signatures"),
        State::Open | State::Examination if hidden => Some("this petition is hidden by the moderators"),
        State::Open | State::Examination => None,
    }
}

/// [`refusal`], or else the period being over (the state allows signing, the clock not).
pub fn refusal_or_period_over(state: State, hidden: bool) -> &'static str {
    refusal(state, hidden).unwrap_or("the signature period of this petition is over")
}

/// The columns of [`Petition`], on `petitions p` joined to `users u`.
pub(crate) const COLUMNS: &str = "p.id, p.type_id, p.author_id, u.nickname AS author, p.title, p.body, p.state,
    p.threshold, p.submitted_at, p.published_at, p.signatures_end_at, p.threshold_reached_at, p.answered_at,
    p.closed_at, p.reason, p.answer, p.comments_count, p.hidden_at IS NOT NULL AS hidden, p.created_at, p.updated_at,
    (SELECT coalesce(sum(c.n), 0) FROM petition_signature_counts c WHERE c.petition_id = p.id)::int8 AS signatures";

/// A petition by id, whatever its state (the caller decides who may see it).
pub fn find(conn: &mut PgConnection, id: i64) -> CoreResult<Option<Petition>> {
    Ok(prepared(format!("SELECT {COLUMNS} FROM petitions p LEFT JOIN users u ON u.id = p.author_id WHERE p.id = $1"))
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .optional()?)
}

/// Which petitions a list shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// `open` (collecting signatures), `examination`, `answered`, `closed`, or
    /// anything else for every published petition.
    pub state: String,
    pub type_id: Option<i64>,
    /// `recent` (default), `signatures` (most signed first) or `ending` (soonest end first).
    pub order: String,
    pub search: String,
    pub page: i64,
    /// Administrators also see hidden petitions.
    pub include_hidden: bool,
}

pub const LIST_STATES: [&str; 5] = ["all", "open", "examination", "answered", "closed"];
pub const ORDERS: [&str; 3] = ["recent", "signatures", "ending"];

/// One page of published petitions and how many match.
pub fn list(conn: &mut PgConnection, filter: &Filter) -> CoreResult<(Vec<Petition>, i64)> {
    let mut cond = match filter.state.as_str() {
        "open" => "p.state IN ('open', 'examination') AND p.signatures_end_at > now()".to_owned(),
        "examination" => "p.state = 'examination'".to_owned(),
        "answered" => "p.state = 'answered'".to_owned(),
        "closed" => "(p.state = 'closed' OR (p.state = 'open' AND p.signatures_end_at <= now()))".to_owned(),
        _ => "p.state IN ('open', 'examination', 'answered', 'closed')".to_owned(),
    };
    if !filter.include_hidden {
        cond.push_str(" AND p.hidden_at IS NULL");
    }
    if filter.type_id.is_some() {
        cond.push_str(" AND p.type_id = $1");
    }
    let search = filter.search.trim();
    if !search.is_empty() {
        cond.push_str(" AND (p.title ILIKE '%' || $2 || '%' OR p.body_text ILIKE '%' || $2 || '%')");
    }
    let order = match filter.order.as_str() {
        "signatures" => "signatures DESC, p.id DESC",
        "ending" => "p.signatures_end_at ASC NULLS LAST, p.id",
        _ => "p.published_at DESC NULLS LAST, p.id DESC",
    };
    let search_pattern = search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let rows: Vec<Petition> = prepared(format!(
        "SELECT {COLUMNS} FROM petitions p LEFT JOIN users u ON u.id = p.author_id
         WHERE {cond} ORDER BY {order} LIMIT $3 OFFSET $4"
    ))
    .bind::<Nullable<BigInt>, _>(filter.type_id)
    .bind::<Text, _>(&search_pattern)
    .bind::<BigInt, _>(PAGE_SIZE)
    .bind::<BigInt, _>(filter.page.max(0) * PAGE_SIZE)
    .load(conn)?;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let total: N = prepared(format!("SELECT count(*) AS n FROM petitions p WHERE {cond}"))
        .bind::<Nullable<BigInt>, _>(filter.type_id)
        .bind::<Text, _>(&search_pattern)
        .get_result(conn)?;
    Ok((rows, total.n))
}

/// A person's own petitions, every state, newest first.
pub fn by_author(conn: &mut PgConnection, author_id: i64) -> CoreResult<Vec<Petition>> {
    Ok(prepared(format!(
        "SELECT {COLUMNS} FROM petitions p LEFT JOIN users u ON u.id = p.author_id
         WHERE p.author_id = $1 ORDER BY p.created_at DESC, p.id DESC LIMIT 200"
    ))
    .bind::<BigInt, _>(author_id)
    .load(conn)?)
}

/// Every petition, in every state, oldest first (the admins' export).
pub fn export(conn: &mut PgConnection) -> CoreResult<Vec<Petition>> {
    Ok(prepared(format!("SELECT {COLUMNS} FROM petitions p LEFT JOIN users u ON u.id = p.author_id ORDER BY p.id"))
        .load(conn)?)
}

/// The administrators' queue: petitions in `state` (submitted ones first by default),
/// oldest first, hidden ones included.
pub fn admin_list(conn: &mut PgConnection, state: State, page: i64) -> CoreResult<(Vec<Petition>, i64)> {
    let rows: Vec<Petition> = prepared(format!(
        "SELECT {COLUMNS} FROM petitions p LEFT JOIN users u ON u.id = p.author_id
         WHERE p.state = $1 ORDER BY coalesce(p.submitted_at, p.created_at), p.id LIMIT $2 OFFSET $3"
    ))
    .bind::<Text, _>(state.as_str())
    .bind::<BigInt, _>(PAGE_SIZE)
    .bind::<BigInt, _>(page.max(0) * PAGE_SIZE)
    .load(conn)?;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let total: N = prepared("SELECT count(*) AS n FROM petitions WHERE state = $1")
        .bind::<Text, _>(state.as_str())
        .get_result(conn)?;
    Ok((rows, total.n))
}

/// How many petitions are in each state (the admin's tabs).
pub fn state_counts(conn: &mut PgConnection) -> CoreResult<Vec<(String, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        state: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = prepared("SELECT state, count(*) AS n FROM petitions GROUP BY state").load(conn)?;
    Ok(State::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), rows.iter().find(|r| r.state == s.as_str()).map_or(0, |r| r.n)))
        .collect())
}

/// What an author writes.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub type_id: i64,
    pub title: String,
    /// As typed (HTML or plain text); sanitised here.
    pub body: String,
}

/// A checked draft.
pub struct Checked {
    pub type_id: i64,
    pub title: String,
    pub body: String,
    pub body_text: String,
}

/// Checks a draft; errors name the field.
pub fn check(draft: &Draft) -> CoreResult<Checked> {
    let title = draft.title.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = title.chars().count();
    if n < 10 {
        return Err(CoreError::Invalid("title: at least 10 characters".into()));
    }
    if n > 150 {
        return Err(CoreError::Invalid("title: at most 150 characters".into()));
    }
    let letters: Vec<char> = title.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 10 && letters.iter().all(|c| c.is_uppercase()) {
        return Err(CoreError::Invalid("title: please do not write it all in capitals".into()));
    }
    let body = richtext::parse("body", &draft.body, BODY_MAX_CHARS)?;
    let body_text = richtext::plain(&body);
    if body_text.chars().count() < 50 {
        return Err(CoreError::Invalid("body: at least 50 characters, to say what is asked and why".into()));
    }
    Ok(Checked { type_id: draft.type_id, title, body, body_text })
}

/// Who made a transition, as the public timeline says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Author,
    Admin,
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }
}

/// One entry of a petition's public timeline.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct TimelineEntry {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

/// The timeline, oldest first.
pub fn timeline(conn: &mut PgConnection, petition_id: i64) -> CoreResult<Vec<TimelineEntry>> {
    Ok(prepared("SELECT kind, role, note, at FROM petition_events WHERE petition_id = $1 ORDER BY at, id")
        .bind::<BigInt, _>(petition_id)
        .load(conn)?)
}

fn event(conn: &mut PgConnection, petition_id: i64, kind: &str, role: Role, note: Option<&str>) -> CoreResult<()> {
    prepared("INSERT INTO petition_events (petition_id, kind, role, note) VALUES ($1, $2, $3, $4)")
        .bind::<BigInt, _>(petition_id)
        .bind::<Text, _>(kind)
        .bind::<Text, _>(role.as_str())
        .bind::<Nullable<Text>, _>(note)
        .execute(conn)?;
    Ok(())
}

/// Tells the author and the followers of `p` that it moved to `kind` (the
/// notification's `state`); `actor` is not told of their own doing.
fn notify(conn: &mut PgConnection, p: &Petition, kind: &str, actor: Option<i64>, extra: &[i64]) -> CoreResult<()> {
    let mut to_users: Vec<i64> = p.author_id.into_iter().collect();
    to_users.extend_from_slice(extra);
    notifications::publish(
        conn,
        &Event {
            kind: EventKind::Petition,
            resource: p.resource(),
            actor,
            to_users,
            to_followers_of: vec![p.resource()],
            data: serde_json::json!({
                "title": p.title,
                "url": format!("/petitions/{}", p.id),
                "state": kind,
            }),
        },
    )?;
    Ok(())
}

/// Reads a petition inside a transaction, locked for a transition.
fn lock(conn: &mut PgConnection, id: i64) -> CoreResult<Petition> {
    prepared(format!(
        "SELECT {COLUMNS} FROM petitions p LEFT JOIN users u ON u.id = p.author_id WHERE p.id = $1 FOR UPDATE OF p"
    ))
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| CoreError::NotFound("petition".into()))
}

fn refuse_state(p: &Petition, action: &str) -> CoreError {
    CoreError::Conflict(format!("this petition is {}: it cannot be {action}", p.state))
}

/// The outcome of filing a draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    New(i64),
    /// The same form was already sent: nothing new was written.
    Already(i64),
}

/// Saves a new draft (state `draft`); the author submits it when ready.
pub fn create(
    conn: &mut PgConnection,
    author_id: i64,
    checked: &Checked,
    submission_key: Option<Uuid>,
) -> CoreResult<Created> {
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        if let Some(key) = submission_key {
            let existing: Option<Id> = prepared("SELECT id FROM petitions WHERE submission_key = $1")
                .bind::<SqlUuid, _>(key)
                .get_result(conn)
                .optional()?;
            if let Some(e) = existing {
                return Ok(Created::Already(e.id));
            }
        }
        let t = types::find(conn, checked.type_id)?.filter(|t| t.active);
        if t.is_none() {
            return Err(CoreError::Invalid("type: not a type of petition open for filing".into()));
        }
        let id: Id = prepared(
            "INSERT INTO petitions (type_id, author_id, title, body, body_text, submission_key)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind::<BigInt, _>(checked.type_id)
        .bind::<BigInt, _>(author_id)
        .bind::<Text, _>(&checked.title)
        .bind::<Text, _>(&checked.body)
        .bind::<Text, _>(&checked.body_text)
        .bind::<Nullable<SqlUuid>, _>(submission_key)
        .get_result(conn)?;
        event(conn, id.id, "created", Role::Author, None)?;
        crate::follows::follow(conn, author_id, ResourceRef::new(ResourceKind::Petition, id.id))?;
        Ok(Created::New(id.id))
    })
}

/// The author edits a draft (only drafts: what was submitted is what admins review).
pub fn edit(conn: &mut PgConnection, id: i64, author_id: i64, checked: &Checked) -> CoreResult<()> {
    conn.transaction(|conn| {
        let p = lock(conn, id)?;
        if p.author_id != Some(author_id) {
            return Err(CoreError::Forbidden("only its author can edit this petition".into()));
        }
        if p.state() != State::Draft {
            return Err(refuse_state(&p, "edited"));
        }
        if types::find(conn, checked.type_id)?.filter(|t| t.active).is_none() {
            return Err(CoreError::Invalid("type: not a type of petition open for filing".into()));
        }
        prepared(
            "UPDATE petitions SET type_id = $2, title = $3, body = $4, body_text = $5, updated_at = now() WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(checked.type_id)
        .bind::<Text, _>(&checked.title)
        .bind::<Text, _>(&checked.body)
        .bind::<Text, _>(&checked.body_text)
        .execute(conn)?;
        Ok(())
    })
}

/// The author deletes a draft that was never submitted.
pub fn delete_draft(conn: &mut PgConnection, id: i64, author_id: i64) -> CoreResult<()> {
    conn.transaction(|conn| {
        let p = lock(conn, id)?;
        if p.author_id != Some(author_id) {
            return Err(CoreError::Forbidden("only its author can delete this petition".into()));
        }
        if p.state() != State::Draft {
            return Err(refuse_state(&p, "deleted"));
        }
        prepared("DELETE FROM follows WHERE resource_kind = 'petition' AND resource_id = $1")
            .bind::<BigInt, _>(id)
            .execute(conn)?;
        // A draft was never signed; the signature tables hold no key to it anyway.
        prepared("DELETE FROM petition_signature_counts WHERE petition_id = $1").bind::<BigInt, _>(id).execute(conn)?;
        prepared("DELETE FROM petition_signatures WHERE petition_id = $1").bind::<BigInt, _>(id).execute(conn)?;
        prepared("DELETE FROM petitions WHERE id = $1").bind::<BigInt, _>(id).execute(conn)?;
        Ok(())
    })
}

/// The author submits a draft for the admissibility review; the tenant's
/// administrators are told.
pub fn submit(conn: &mut PgConnection, id: i64, author_id: i64) -> CoreResult<()> {
    conn.transaction(|conn| {
        let p = lock(conn, id)?;
        if p.author_id != Some(author_id) {
            return Err(CoreError::Forbidden("only its author can submit this petition".into()));
        }
        if p.state() != State::Draft {
            return Err(refuse_state(&p, "submitted"));
        }
        prepared("UPDATE petitions SET state = 'submitted', submitted_at = now(), updated_at = now() WHERE id = $1")
            .bind::<BigInt, _>(id)
            .execute(conn)?;
        event(conn, id, "submitted", Role::Author, None)?;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let admins: Vec<Id> =
            prepared("SELECT id FROM users WHERE role = 'admin' AND deleted_at IS NULL AND blocked_at IS NULL")
                .load(conn)?;
        let admins: Vec<i64> = admins.into_iter().map(|a| a.id).collect();
        notify(conn, &p, "submitted", Some(author_id), &admins)
    })
}

/// An administrator refuses a submitted petition as not admissible, with the reason
/// (shown to the author and on the timeline).
pub fn reject(conn: &mut PgConnection, id: i64, admin_id: i64, reason: &str) -> CoreResult<()> {
    let reason = check_reason(reason)?;
    conn.transaction(|conn| {
        let p = lock(conn, id)?;
        if p.state() != State::Submitted {
            return Err(refuse_state(&p, "rejected"));
        }
        prepared("UPDATE petitions SET state = 'rejected', reason = $2, updated_at = now() WHERE id = $1")
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(&reason)
            .execute(conn)?;
        event(conn, id, "rejected", Role::Admin, Some(&reason))?;
        admin_log::record(conn, admin_id, "petition_rejected", p.resource(), serde_json::json!({ "reason": reason }))?;
        notify(conn, &p, "rejected", Some(admin_id), &[])
    })
}

/// An administrator accepts a submitted petition: it is published and open for
/// signatures from `now` for its type's period, towards its type's threshold.
pub fn publish(conn: &mut PgConnection, id: i64, admin_id: i64, now: DateTime<Utc>) -> CoreResult<()> {
    conn.transaction(|conn| {
        let p = lock(conn, id)?;
        if p.state() != State::Submitted {
            return Err(refuse_state(&p, "published"));
        }
        let t = types::find(conn, p.type_id)?.ok_or_else(|| CoreError::NotFound("petition type".into()))?;
        let end = now + Duration::days(i64::from(t.period_days));
        prepared(
            "UPDATE petitions SET state = 'open', published_at = $2, signatures_end_at = $3, threshold = $4,
                    reason = NULL, updated_at = now()
             WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(end)
        .bind::<Integer, _>(t.threshold)
        .execute(conn)?;
        event(conn, id, "published", Role::Admin, None)?;
        admin_log::record(conn, admin_id, "petition_published", p.resource(), serde_json::json!({}))?;
        notify(conn, &p, "published", Some(admin_id), &[])
    })
}

/// An administrator closes a petition before its time (open or under examination),
/// or after the examination without an answer; the reason is public.
pub fn close(conn: &mut PgConnection, id: i64, admin_id: i64, reason: &str) -> CoreResult<()> {
    let reason = check_reason(reason)?;
    conn.transaction(|conn| {
        let p = lock(conn, id)?;
        if !matches!(p.state(), State::Open | State::Examination) {
            return Err(refuse_state(&p, "closed"));
        }
        prepared(
            "UPDATE petitions SET state = 'closed', closed_at = now(), reason = $2, updated_at = now() WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(&reason)
        .execute(conn)?;
        event(conn, id, "closed", Role::Admin, Some(&reason))?;
        admin_log::record(conn, admin_id, "petition_closed", p.resource(), serde_json::json!({ "reason": reason }))?;
        notify(conn, &p, "closed", Some(admin_id), &[])
    })
}

/// The institution's response to a petition under examination (or a correction of
/// the response already given). Signatures stop: the petition is answered.
pub fn answer(conn: &mut PgConnection, id: i64, admin_id: i64, answer: &str) -> CoreResult<()> {
    let answer = richtext::parse("answer", answer, 20_000)?;
    conn.transaction(|conn| {
        let p = lock(conn, id)?;
        if !matches!(p.state(), State::Examination | State::Answered) {
            return Err(refuse_state(&p, "answered"));
        }
        let first = p.state() == State::Examination;
        prepared(
            "UPDATE petitions SET state = 'answered', answer = $2, answered_at = coalesce(answered_at, now()),
                    updated_at = now()
             WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(&answer)
        .execute(conn)?;
        event(conn, id, "answered", Role::Admin, if first { None } else { Some("response corrected") })?;
        admin_log::record(conn, admin_id, "petition_answered", p.resource(), serde_json::json!({ "first": first }))?;
        notify(conn, &p, "answered", Some(admin_id), &[])
    })
}

fn check_reason(reason: &str) -> CoreResult<String> {
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Err(CoreError::Invalid("reason: say why, in at least 5 characters".into()));
    }
    if reason.chars().count() > 2000 {
        return Err(CoreError::Invalid("reason: at most 2,000 characters".into()));
    }
    Ok(reason.to_owned())
}

/// Moderation keeps "hidden" on the row too, for the lists.
pub fn set_hidden(conn: &mut PgConnection, id: i64, hidden: bool) -> CoreResult<()> {
    prepared("UPDATE petitions SET hidden_at = CASE WHEN $2 THEN coalesce(hidden_at, now()) END WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<diesel::sql_types::Bool, _>(hidden)
        .execute(conn)?;
    Ok(())
}

/// What the periodic sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Open petitions whose period ended below the threshold: now closed.
    pub closed: usize,
    /// Petitions under examination whose signature period ended.
    pub period_over: usize,
    /// Signature count rows folded into one per past day.
    pub folded: usize,
    /// Open petitions found at or past their threshold.
    pub threshold_reached: usize,
}

/// Ends the signature periods that are over at `now` (each with its timeline entry
/// and notification) and folds past days' count shards into shard 0. Each petition
/// is its own transaction; safe to run on several servers at once.
pub fn sweep(conn: &mut PgConnection, now: DateTime<Utc>) -> CoreResult<Swept> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let due: Vec<Id> = prepared(
        "SELECT p.id FROM petitions p WHERE p.state IN ('open', 'examination') AND p.signatures_end_at <= $1
           AND NOT EXISTS (SELECT 1 FROM petition_events e WHERE e.petition_id = p.id AND e.kind = 'period_over')
         ORDER BY p.signatures_end_at LIMIT 500",
    )
    .bind::<Timestamptz, _>(now)
    .load(conn)?;
    let mut swept = Swept::default();
    // Thresholds that concurrent signers both missed (see `signatures::sign`).
    let reached: Vec<Id> = prepared(
        "SELECT p.id FROM petitions p WHERE p.state = 'open' AND p.signatures_end_at > $1
           AND (SELECT coalesce(sum(c.n), 0) FROM petition_signature_counts c WHERE c.petition_id = p.id) >= p.threshold",
    )
    .bind::<Timestamptz, _>(now)
    .load(conn)?;
    for Id { id } in reached {
        conn.transaction(|conn| signatures::reach_threshold(conn, id, now))?;
        swept.threshold_reached += 1;
    }
    for Id { id } in due {
        let outcome = conn.transaction(|conn| -> CoreResult<Option<bool>> {
            let p = lock(conn, id)?;
            let over = matches!(p.state(), State::Open | State::Examination)
                && p.signatures_end_at.is_some_and(|end| end <= now);
            let recorded: Option<Id> =
                prepared("SELECT id FROM petition_events WHERE petition_id = $1 AND kind = 'period_over'")
                    .bind::<BigInt, _>(id)
                    .get_result(conn)
                    .optional()?;
            if !over || recorded.is_some() {
                return Ok(None);
            }
            let close = p.state() == State::Open;
            if close {
                prepared("UPDATE petitions SET state = 'closed', closed_at = $2, updated_at = now() WHERE id = $1")
                    .bind::<BigInt, _>(id)
                    .bind::<Timestamptz, _>(now)
                    .execute(conn)?;
            }
            event(conn, id, "period_over", Role::System, None)?;
            notify(conn, &p, if close { "closed" } else { "period_over" }, None, &[])?;
            Ok(Some(close))
        })?;
        match outcome {
            Some(true) => swept.closed += 1,
            Some(false) => swept.period_over += 1,
            None => {}
        }
    }
    swept.folded = signatures::fold_past_days(conn, now.date_naive())?;
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_needs_a_real_title_and_a_body_that_says_what_is_asked() {
        let draft = |title: &str, body: &str| check(&Draft { type_id: 1, title: title.into(), body: body.into() });
        let body = "Nous demandons que chaque séance publique soit retransmise en direct, avec sous-titres.";
        assert!(draft("Retransmettre les séances", body).is_ok());
        let err = |r: CoreResult<Checked>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(draft("Court", body)).starts_with("title: at least 10"));
        assert!(err(draft(&"x".repeat(151), body)).starts_with("title: at most 150"));
        assert!(err(draft("RETRANSMETTRE LES SÉANCES", body)).contains("capitals"));
        assert!(err(draft("Retransmettre les séances", "Trop bref.")).starts_with("body: at least 50"));
        // Spaces are folded, the body is sanitised.
        let ok = draft("  Retransmettre   les séances ", &format!("<script>x</script><p>{body}</p>")).unwrap();
        assert_eq!(ok.title, "Retransmettre les séances");
        assert!(!ok.body.contains("<script"));
    }

    #[test]
    fn every_state_says_why_it_takes_no_signature() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()).unwrap(), s);
            let why = refusal_or_period_over(s, false);
            match s {
                State::Open | State::Examination => assert!(why.contains("period")),
                _ => assert!(!why.contains("period"), "{s:?}"),
            }
        }
        assert!(refusal_or_period_over(State::Open, true).contains("hidden"));
        assert!(State::parse("signed").is_err());
    }
}
