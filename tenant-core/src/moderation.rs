//! Reports and moderation, for every kind of resource.
//!
//! Participants report a resource (once each; a second report by the same person
//! changes nothing). `moderations` holds one row per reported or hidden resource and
//! is the source of truth for "hidden", whatever the kind; for comments the state is
//! also mirrored into `comments.hidden_at` in the same transaction, so threads filter
//! on their own table.
//!
//! Like Decidim, a resource is hidden automatically when it reaches
//! [`DEFAULT_HIDE_THRESHOLD`] reports from distinct people (3, for every tenant for
//! now), unless an administrator already reviewed it and chose to keep it visible;
//! later reports then put it back in the "pending" queue instead.
//!
//! Other modules leave hidden rows out of their listings in SQL:
//!
//! ```sql
//! SELECT p.* FROM proposals p
//! WHERE NOT EXISTS (SELECT 1 FROM moderations m
//!                   WHERE m.resource_kind = 'proposal' AND m.resource_id = p.id
//!                     AND m.hidden_at IS NOT NULL)
//! ```
//!
//! (the partial index `moderations_hidden` serves it), or with [`hidden_ids`] /
//! [`is_hidden`] from Rust.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::resources::{ResourceKind, ResourceRef};
use crate::schema::tenant::{comments, moderations, reports, users};

/// Reports from distinct people that hide a resource until an administrator decides.
pub const DEFAULT_HIDE_THRESHOLD: i32 = 3;
/// Longest free text with a report.
pub const MAX_DETAILS_CHARS: usize = 500;
/// Rows per page of the moderation queue.
pub const QUEUE_PAGE_SIZE: i64 = 30;

/// Why a participant reports something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Spam,
    Offensive,
    DoesNotBelong,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 4] = [Reason::Spam, Reason::Offensive, Reason::DoesNotBelong, Reason::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Spam => "spam",
            Reason::Offensive => "offensive",
            Reason::DoesNotBelong => "does_not_belong",
            Reason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> CoreResult<Reason> {
        Reason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| CoreError::Invalid(format!("reason: spam, offensive, does_not_belong or other (not {s:?})")))
    }
}

/// A report as the reporter sends it, with what the queue shows of the resource.
pub struct NewReport<'a> {
    pub resource: ResourceRef,
    pub reporter_id: i64,
    pub reason: Reason,
    pub details: &'a str,
    /// A short plain-text excerpt of the resource.
    pub excerpt: &'a str,
    /// The resource's page (a local path).
    pub url: &'a str,
}

/// What a report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Reported {
    /// Counted; `hidden` when this report reached the threshold and hid the resource.
    Recorded { hidden: bool },
    /// This person had already reported this resource: nothing changed.
    AlreadyReported,
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Records a report; hides the resource when it reaches `threshold` reports and no
/// administrator has reviewed it yet. Details longer than [`MAX_DETAILS_CHARS`] are
/// refused (`Invalid`), with nothing written.
pub fn report(conn: &mut PgConnection, new: &NewReport<'_>, threshold: i32) -> CoreResult<Reported> {
    let details = new.details.trim();
    if details.chars().count() > MAX_DETAILS_CHARS {
        return Err(CoreError::Invalid(format!("details: at most {MAX_DETAILS_CHARS} characters")));
    }
    let r = new.resource;
    conn.transaction(|conn| {
        let inserted = diesel::insert_into(reports::table)
            .values((
                reports::resource_kind.eq(r.kind.as_str()),
                reports::resource_id.eq(r.id),
                reports::reporter_id.eq(new.reporter_id),
                reports::reason.eq(new.reason.as_str()),
                reports::details.eq(details),
            ))
            .on_conflict((reports::resource_kind, reports::resource_id, reports::reporter_id))
            .do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Ok(Reported::AlreadyReported);
        }
        let (excerpt, url) = (cut(new.excerpt, 1000), cut(new.url, 2000));
        let (count, hidden_at, reviewed_at): (i32, Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
            diesel::insert_into(moderations::table)
                .values((
                    moderations::resource_kind.eq(r.kind.as_str()),
                    moderations::resource_id.eq(r.id),
                    moderations::report_count.eq(1),
                    moderations::last_reported_at.eq(diesel::dsl::now),
                    moderations::excerpt.eq(&excerpt),
                    moderations::url.eq(&url),
                ))
                .on_conflict((moderations::resource_kind, moderations::resource_id))
                .do_update()
                .set((
                    moderations::report_count.eq(moderations::report_count + 1),
                    moderations::last_reported_at.eq(diesel::dsl::now),
                    moderations::excerpt.eq(&excerpt),
                    moderations::url.eq(&url),
                ))
                .returning((moderations::report_count, moderations::hidden_at, moderations::reviewed_at))
                .get_result(conn)?;
        let hide_now = hidden_at.is_none() && reviewed_at.is_none() && count >= threshold;
        if hide_now {
            set_hidden(conn, r, true, None)?;
        }
        Ok(Reported::Recorded { hidden: hide_now })
    })
}

/// Sets or clears `hidden_at` on the moderation row and, for a comment, on the
/// comment itself; `by` is the administrator (None: the report threshold).
fn set_hidden(conn: &mut PgConnection, r: ResourceRef, hidden: bool, by: Option<i64>) -> CoreResult<()> {
    let now = Utc::now();
    if hidden {
        diesel::insert_into(moderations::table)
            .values((
                moderations::resource_kind.eq(r.kind.as_str()),
                moderations::resource_id.eq(r.id),
                moderations::hidden_at.eq(now),
                moderations::hidden_by.eq(by),
            ))
            .on_conflict((moderations::resource_kind, moderations::resource_id))
            .do_update()
            .set((moderations::hidden_at.eq(now), moderations::hidden_by.eq(by)))
            .execute(conn)?;
    } else {
        diesel::update(
            moderations::table
                .filter(moderations::resource_kind.eq(r.kind.as_str()))
                .filter(moderations::resource_id.eq(r.id)),
        )
        .set((
            moderations::hidden_at.eq(None::<DateTime<Utc>>),
            moderations::hidden_by.eq(None::<i64>),
            moderations::reviewed_at.eq(now),
        ))
        .execute(conn)?;
    }
    match r.kind {
        ResourceKind::Comment => {
            diesel::update(comments::table.find(r.id))
                .set(comments::hidden_at.eq(hidden.then_some(now)))
                .execute(conn)?;
            if hidden {
                // Notifications already sent about it must not keep showing its text.
                prepared(
                    "UPDATE notifications SET data = data - 'excerpt' WHERE data->>'url' LIKE '%#comment-' || $1::text",
                )
                .bind::<diesel::sql_types::BigInt, _>(r.id)
                .execute(conn)?;
            }
        }
        // Proposals keep the state on their row too, for the lists' partial index.
        ResourceKind::Proposal => {
            crate::proposals::write::set_hidden(conn, r.id, hidden)?;
            if hidden {
                prepared(
                    "UPDATE notifications SET data = data - 'excerpt' WHERE resource_kind = 'proposal' AND resource_id = $1",
                )
                .bind::<diesel::sql_types::BigInt, _>(r.id)
                .execute(conn)?;
            }
        }
        ResourceKind::Petition => {
            crate::petitions::set_hidden(conn, r.id, hidden)?;
            if hidden {
                prepared(
                    "UPDATE notifications SET data = data - 'excerpt' WHERE resource_kind = 'petition' AND resource_id = $1",
                )
                .bind::<diesel::sql_types::BigInt, _>(r.id)
                .execute(conn)?;
            }
        }
        ResourceKind::Space | ResourceKind::User | ResourceKind::BlogPost => {}
    }
    Ok(())
}

/// Hides a resource for everyone but administrators (idempotent; the time of the
/// first hiding is kept).
pub fn hide(conn: &mut PgConnection, r: ResourceRef, admin_id: i64) -> CoreResult<()> {
    conn.transaction(|conn| {
        if is_hidden(conn, r)? {
            return Ok(());
        }
        set_hidden(conn, r, true, Some(admin_id))
    })
}

/// Shows a hidden resource again, or keeps a reported one visible: either way an
/// administrator reviewed it, so the report threshold no longer hides it by itself.
pub fn unhide(conn: &mut PgConnection, r: ResourceRef) -> CoreResult<()> {
    conn.transaction(|conn| set_hidden(conn, r, false, None))
}

/// Records what the queue shows of a resource hidden without being reported (an
/// administrator hiding it from its page).
pub fn describe(conn: &mut PgConnection, r: ResourceRef, excerpt: &str, url: &str) -> CoreResult<()> {
    let (excerpt, url) = (cut(excerpt, 1000), cut(url, 2000));
    diesel::insert_into(moderations::table)
        .values((
            moderations::resource_kind.eq(r.kind.as_str()),
            moderations::resource_id.eq(r.id),
            moderations::excerpt.eq(&excerpt),
            moderations::url.eq(&url),
        ))
        .on_conflict((moderations::resource_kind, moderations::resource_id))
        .do_update()
        .set((moderations::excerpt.eq(&excerpt), moderations::url.eq(&url)))
        .execute(conn)?;
    Ok(())
}

/// Whether the resource is hidden.
pub fn is_hidden(conn: &mut PgConnection, r: ResourceRef) -> CoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        moderations::table
            .filter(moderations::resource_kind.eq(r.kind.as_str()))
            .filter(moderations::resource_id.eq(r.id))
            .filter(moderations::hidden_at.is_not_null()),
    ))
    .get_result(conn)?)
}

/// Whether the resource was ever reported or hidden (it has a moderation row).
pub fn tracked(conn: &mut PgConnection, r: ResourceRef) -> CoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        moderations::table
            .filter(moderations::resource_kind.eq(r.kind.as_str()))
            .filter(moderations::resource_id.eq(r.id)),
    ))
    .get_result(conn)?)
}

/// The ids of every hidden resource of `kind`.
pub fn hidden_ids(conn: &mut PgConnection, kind: ResourceKind) -> CoreResult<Vec<i64>> {
    Ok(moderations::table
        .filter(moderations::resource_kind.eq(kind.as_str()))
        .filter(moderations::hidden_at.is_not_null())
        .select(moderations::resource_id)
        .order(moderations::resource_id)
        .load(conn)?)
}

/// Which part of the queue to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueFilter {
    /// Reported, visible, and not reviewed since the last report.
    #[default]
    Pending,
    Hidden,
    /// Every reported or hidden resource.
    All,
}

impl QueueFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueFilter::Pending => "pending",
            QueueFilter::Hidden => "hidden",
            QueueFilter::All => "all",
        }
    }

    /// The filter named in a query string; anything else is `pending`.
    pub fn parse_or_default(s: &str) -> QueueFilter {
        [QueueFilter::Pending, QueueFilter::Hidden, QueueFilter::All]
            .into_iter()
            .find(|f| f.as_str() == s)
            .unwrap_or_default()
    }
}

/// How many reports gave one reason.
#[derive(Clone, Debug, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: i64,
}

/// One row of the moderation queue.
#[derive(Clone, Debug, Serialize)]
pub struct QueueItem {
    pub kind: String,
    pub id: i64,
    pub report_count: i32,
    pub hidden: bool,
    pub hidden_at: Option<DateTime<Utc>>,
    /// The administrator who hid it; None with `hidden`: the report threshold did.
    pub hidden_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub last_reported_at: Option<DateTime<Utc>>,
    pub excerpt: String,
    pub url: String,
    pub reasons: Vec<ReasonCount>,
    /// The reporters' own words, newest first (at most 5).
    pub details: Vec<String>,
}

/// One page of the queue.
#[derive(Clone, Debug, Serialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    pub total: i64,
    pub page: i64,
    pub has_next: bool,
}

type ModerationRow = (
    String,
    i64,
    i32,
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    String,
    String,
);

/// One page (from 0) of the moderation queue, most recently reported first, with
/// the reasons given (three queries whatever the page size).
pub fn queue(conn: &mut PgConnection, filter: QueueFilter, page: i64) -> CoreResult<QueuePage> {
    let page = page.clamp(0, 100_000);
    let base = || {
        let q = moderations::table.into_boxed();
        match filter {
            QueueFilter::Pending => {
                q.filter(moderations::hidden_at.is_null()).filter(moderations::report_count.gt(0)).filter(
                    moderations::reviewed_at.is_null().or(moderations::last_reported_at.gt(moderations::reviewed_at)),
                )
            }
            QueueFilter::Hidden => q.filter(moderations::hidden_at.is_not_null()),
            QueueFilter::All => q.filter(moderations::report_count.gt(0).or(moderations::hidden_at.is_not_null())),
        }
    };
    let total: i64 = base().count().get_result(conn)?;
    let rows: Vec<ModerationRow> = base()
        .select((
            moderations::resource_kind,
            moderations::resource_id,
            moderations::report_count,
            moderations::hidden_at,
            moderations::hidden_by,
            moderations::reviewed_at,
            moderations::last_reported_at,
            moderations::excerpt,
            moderations::url,
        ))
        .order((
            moderations::last_reported_at.desc().nulls_last(),
            moderations::hidden_at.desc(),
            moderations::resource_id,
        ))
        .limit(QUEUE_PAGE_SIZE)
        .offset(page * QUEUE_PAGE_SIZE)
        .load(conn)?;
    let admins: Vec<i64> = rows.iter().filter_map(|r| r.4).collect();
    let nicknames: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&admins))
        .select((users::id, users::nickname))
        .load::<(i64, Option<String>)>(conn)?
        .into_iter()
        .filter_map(|(id, n)| n.map(|n| (id, n)))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let found: Vec<(String, i64, String, String)> = reports::table
        .filter(reports::resource_id.eq_any(&ids))
        .select((reports::resource_kind, reports::resource_id, reports::reason, reports::details))
        .order(reports::created_at.desc())
        .load(conn)?;
    let mut items: Vec<QueueItem> = rows
        .into_iter()
        .map(|(kind, id, report_count, hidden_at, hidden_by, reviewed_at, last_reported_at, excerpt, url)| QueueItem {
            kind,
            id,
            report_count,
            hidden: hidden_at.is_some(),
            hidden_at,
            hidden_by: hidden_by.map(|a| nicknames.get(&a).cloned().unwrap_or_else(|| format!("#{a}"))),
            reviewed_at,
            last_reported_at,
            excerpt,
            url,
            reasons: Vec::new(),
            details: Vec::new(),
        })
        .collect();
    for item in &mut items {
        for (kind, id, reason, details) in &found {
            if *kind != item.kind || *id != item.id {
                continue;
            }
            match item.reasons.iter_mut().find(|r| r.reason == *reason) {
                Some(r) => r.count += 1,
                None => item.reasons.push(ReasonCount { reason: reason.clone(), count: 1 }),
            }
            if !details.is_empty() && item.details.len() < 5 {
                item.details.push(details.clone());
            }
        }
        item.reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    }
    Ok(QueuePage { items, total, page, has_next: (page + 1) * QUEUE_PAGE_SIZE < total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_filters_read_their_form_values() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()).ok(), Some(r));
        }
        assert!(Reason::parse("boring").is_err());
        assert_eq!(QueueFilter::parse_or_default("hidden"), QueueFilter::Hidden);
        assert_eq!(QueueFilter::parse_or_default("x"), QueueFilter::Pending);
        assert_eq!(cut("éàü", 2), "éà");
    }
}
