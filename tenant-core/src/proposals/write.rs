//! Changes to proposals: publish, edit within the window, withdraw; and the
//! administrators' answer, hide, merge and split. Each runs in one transaction.
use chrono::{Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::{search_config, Proposal, Settings};
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::richtext;

/// What a person submits.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub title: String,
    /// As typed (HTML or plain text); sanitised here.
    pub body: String,
    pub category_id: Option<i64>,
    pub address: String,
}

/// A checked draft: trimmed title, sanitised body and its plain text.
pub struct Checked {
    pub title: String,
    pub body: String,
    pub body_text: String,
    pub category_id: Option<i64>,
    pub address: Option<String>,
}

/// Checks a draft against the component's rules; errors name the field.
pub fn check(draft: &Draft, settings: &Settings) -> CoreResult<Checked> {
    let title = draft.title.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = title.chars().count();
    if n < 5 {
        return Err(CoreError::Invalid("title: at least 5 characters".into()));
    }
    if n > 150 {
        return Err(CoreError::Invalid("title: at most 150 characters".into()));
    }
    let letters: Vec<char> = title.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 10 && letters.iter().all(|c| c.is_uppercase()) {
        return Err(CoreError::Invalid("title: please do not write it all in capitals".into()));
    }
    let body = richtext::parse("body", &draft.body, settings.body_max_chars as usize)?;
    let body_text = richtext::plain(&body);
    if body_text.chars().count() < 15 {
        return Err(CoreError::Invalid("body: at least 15 characters".into()));
    }
    let address = draft.address.trim();
    if address.chars().count() > 300 {
        return Err(CoreError::Invalid("address: at most 300 characters".into()));
    }
    Ok(Checked {
        title,
        body,
        body_text,
        category_id: draft.category_id,
        address: (!address.is_empty()).then(|| address.to_owned()),
    })
}

fn check_category(conn: &mut PgConnection, component_id: i64, category: Option<i64>) -> CoreResult<()> {
    let Some(category) = category else { return Ok(()) };
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = prepared(
        "SELECT count(*) AS n FROM space_categories c JOIN components k ON k.space_id = c.space_id
         WHERE c.id = $1 AND k.id = $2",
    )
    .bind::<BigInt, _>(category)
    .bind::<BigInt, _>(component_id)
    .get_result(conn)?;
    if n.n == 0 {
        return Err(CoreError::Invalid("category: not a category of this space".into()));
    }
    Ok(())
}

/// The outcome of a publication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    New(i64),
    /// The same form was already submitted: nothing new was written.
    AlreadyPublished(i64),
}

/// Publishes a proposal (author `None`: an official proposal of the institution).
pub fn publish(
    conn: &mut PgConnection,
    component_id: i64,
    author: Option<i64>,
    checked: &Checked,
    settings: &Settings,
    locale: Locale,
    submission_key: Option<Uuid>,
) -> CoreResult<Published> {
    conn.transaction(|conn| {
        if let Some(key) = submission_key {
            #[derive(QueryableByName)]
            struct Id {
                #[diesel(sql_type = BigInt)]
                id: i64,
            }
            let existing: Option<Id> = prepared("SELECT id FROM proposals WHERE submission_key = $1")
                .bind::<SqlUuid, _>(key)
                .get_result(conn)
                .optional()?;
            if let Some(e) = existing {
                return Ok(Published::AlreadyPublished(e.id));
            }
        }
        check_category(conn, component_id, checked.category_id)?;
        if let (Some(user), n) = (author, settings.proposals_per_person) {
            if n > 0 {
                // Serialise this person's publications so the limit holds under concurrency.
                prepared("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind::<BigInt, _>(user).execute(conn)?;
                #[derive(QueryableByName)]
                struct N {
                    #[diesel(sql_type = BigInt)]
                    n: i64,
                }
                let mine: N = prepared(
                    "SELECT count(*) AS n FROM proposals WHERE component_id = $1 AND author_id = $2 AND state = 'published'",
                )
                .bind::<BigInt, _>(component_id)
                .bind::<BigInt, _>(user)
                .get_result(conn)?;
                if mine.n >= i64::from(n) {
                    return Err(CoreError::Conflict(format!(
                        "you have already published {n} proposal(s) here, the most allowed"
                    )));
                }
            }
        }
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let row: Option<Id> = prepared(
            "INSERT INTO proposals (component_id, author_id, title, body, body_text, category_id, address,
                                    submission_key, search_config)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::regconfig)
             ON CONFLICT (submission_key) DO NOTHING
             RETURNING id",
        )
        .bind::<BigInt, _>(component_id)
        .bind::<Nullable<BigInt>, _>(author)
        .bind::<Text, _>(&checked.title)
        .bind::<Text, _>(&checked.body)
        .bind::<Text, _>(&checked.body_text)
        .bind::<Nullable<BigInt>, _>(checked.category_id)
        .bind::<Nullable<Text>, _>(checked.address.as_deref())
        .bind::<Nullable<SqlUuid>, _>(submission_key)
        .bind::<Text, _>(search_config(locale))
        .get_result(conn)
        .optional()?;
        let Some(row) = row else {
            // A concurrent double submit won the race: report the one that exists.
            #[derive(QueryableByName)]
            struct Id2 {
                #[diesel(sql_type = BigInt)]
                id: i64,
            }
            let e: Id2 = prepared("SELECT id FROM proposals WHERE submission_key = $1")
                .bind::<Nullable<SqlUuid>, _>(submission_key)
                .get_result(conn)?;
            return Ok(Published::AlreadyPublished(e.id));
        };
        add_version(conn, row.id, 1, &checked.title, &checked.body, author, "created", None)?;
        Ok(Published::New(row.id))
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn add_version(
    conn: &mut PgConnection,
    proposal: i64,
    version: i32,
    title: &str,
    body: &str,
    author: Option<i64>,
    cause: &str,
    amendment: Option<i64>,
) -> CoreResult<()> {
    prepared(
        "INSERT INTO proposal_versions (proposal_id, version, title, body, author_id, cause, amendment_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<BigInt, _>(proposal)
    .bind::<Integer, _>(version)
    .bind::<Text, _>(title)
    .bind::<Text, _>(body)
    .bind::<Nullable<BigInt>, _>(author)
    .bind::<Text, _>(cause)
    .bind::<Nullable<BigInt>, _>(amendment)
    .execute(conn)?;
    Ok(())
}

/// Whether the author may still edit: published, theirs, within the window.
pub fn editable_by(p: &Proposal, user: i64, settings: &Settings) -> bool {
    p.author_id == Some(user)
        && p.state == "published"
        && settings.edit_window_minutes > 0
        && Utc::now() < p.published_at + Duration::minutes(i64::from(settings.edit_window_minutes))
}

/// The author edits their proposal (a new version is recorded).
pub fn edit(
    conn: &mut PgConnection,
    p: &Proposal,
    user: i64,
    checked: &Checked,
    settings: &Settings,
) -> CoreResult<()> {
    if !editable_by(p, user, settings) {
        return Err(CoreError::Forbidden(format!(
            "a proposal can be edited by its author only during the {} minutes after publication",
            settings.edit_window_minutes
        )));
    }
    conn.transaction(|conn| {
        check_category(conn, p.component_id, checked.category_id)?;
        #[derive(QueryableByName)]
        struct V {
            #[diesel(sql_type = Integer)]
            version: i32,
        }
        let v: V = prepared(
            "UPDATE proposals SET title = $2, body = $3, body_text = $4, category_id = $5, address = $6,
                    version = version + 1, updated_at = now()
             WHERE id = $1 AND state = 'published' RETURNING version",
        )
        .bind::<BigInt, _>(p.id)
        .bind::<Text, _>(&checked.title)
        .bind::<Text, _>(&checked.body)
        .bind::<Text, _>(&checked.body_text)
        .bind::<Nullable<BigInt>, _>(checked.category_id)
        .bind::<Nullable<Text>, _>(checked.address.as_deref())
        .get_result(conn)?;
        add_version(conn, p.id, v.version, &checked.title, &checked.body, Some(user), "edited", None)
    })
}

/// The author withdraws their proposal: it stays readable, marked withdrawn, and
/// takes no more supports or amendments.
pub fn withdraw(conn: &mut PgConnection, p: &Proposal, user: i64) -> CoreResult<()> {
    if p.author_id != Some(user) {
        return Err(CoreError::Forbidden("only the author can withdraw a proposal".into()));
    }
    let n = prepared(
        "UPDATE proposals SET state = 'withdrawn', withdrawn_at = now(), updated_at = now()
         WHERE id = $1 AND state = 'published'",
    )
    .bind::<BigInt, _>(p.id)
    .execute(conn)?;
    if n == 0 {
        return Err(CoreError::Conflict("this proposal is already withdrawn".into()));
    }
    Ok(())
}

pub const ANSWER_STATES: [&str; 3] = ["evaluating", "accepted", "rejected"];

/// The institution answers (or re-answers) a proposal. Returns the previous state.
pub fn answer(conn: &mut PgConnection, id: i64, state: &str, text: &str) -> CoreResult<Option<String>> {
    if !ANSWER_STATES.contains(&state) {
        return Err(CoreError::Invalid("state: evaluating, accepted or rejected".into()));
    }
    let html = if text.trim().is_empty() {
        if state == "rejected" {
            return Err(CoreError::Invalid("answer: say why the proposal is rejected".into()));
        }
        None
    } else {
        Some(richtext::parse("answer", text, 5000)?)
    };
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Prev {
            #[diesel(sql_type = Nullable<Text>)]
            answer_state: Option<String>,
        }
        let prev: Option<Prev> = prepared("SELECT answer_state FROM proposals WHERE id = $1 FOR UPDATE")
            .bind::<BigInt, _>(id)
            .get_result(conn)
            .optional()?;
        let prev = prev.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
        prepared(
            "UPDATE proposals SET answer_state = $2, answer = $3, answered_at = now(), updated_at = now() WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(state)
        .bind::<Nullable<Text>, _>(html)
        .execute(conn)?;
        Ok(prev.answer_state)
    })
}

/// Hides or shows a proposal (moderation); hidden proposals are seen by admins only.
pub fn set_hidden(conn: &mut PgConnection, id: i64, hidden: bool) -> CoreResult<()> {
    prepared("UPDATE proposals SET hidden_at = CASE WHEN $2 THEN coalesce(hidden_at, now()) END WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<diesel::sql_types::Bool, _>(hidden)
        .execute(conn)?;
    Ok(())
}

/// Merges proposals of one component into a new official proposal that carries
/// their texts one after the other and every supporter of any of them once.
pub fn merge(conn: &mut PgConnection, component_id: i64, ids: &[i64], title: &str, locale: Locale) -> CoreResult<i64> {
    let mut ids: Vec<i64> = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 {
        return Err(CoreError::Invalid("select at least two proposals to merge".into()));
    }
    conn.transaction(|conn| {
        let mut sources = Vec::new();
        for id in &ids {
            let p = super::find(conn, component_id, *id)?
                .ok_or_else(|| CoreError::NotFound(format!("proposal #{id} is not in this component")))?;
            if p.state != "published" {
                return Err(CoreError::Conflict(format!("proposal #{id} is {} and cannot be merged", p.state)));
            }
            sources.push(p);
        }
        let body: String = sources.iter().map(|p| format!("<h3>{}</h3>{}", escape(&p.title), p.body)).collect();
        let checked = Checked {
            title: title_or(title, &sources[0].title)?,
            body_text: richtext::plain(&body),
            body,
            category_id: sources[0].category_id,
            address: None,
        };
        let new = insert_official(conn, component_id, &checked, locale)?;
        relink(conn, &ids, new, "merged")?;
        Ok(new)
    })
}

/// Splits a proposal into several new official ones (one per title), each with
/// the original text and its supporters; the original is marked split.
pub fn split(
    conn: &mut PgConnection,
    component_id: i64,
    id: i64,
    titles: &[String],
    locale: Locale,
) -> CoreResult<Vec<i64>> {
    let titles: Vec<&String> = titles.iter().filter(|t| !t.trim().is_empty()).collect();
    if titles.len() < 2 {
        return Err(CoreError::Invalid("titles: give at least two, one per line".into()));
    }
    conn.transaction(|conn| {
        let p = super::find(conn, component_id, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
        if p.state != "published" {
            return Err(CoreError::Conflict(format!("this proposal is {} and cannot be split", p.state)));
        }
        let mut out = Vec::new();
        for t in titles {
            let checked = Checked {
                title: title_or(t, &p.title)?,
                body: p.body.clone(),
                body_text: p.body_text.clone(),
                category_id: p.category_id,
                address: p.address.clone(),
            };
            let new = insert_official(conn, component_id, &checked, locale)?;
            relink(conn, &[id], new, "split")?;
            out.push(new);
        }
        Ok(out)
    })
}

fn title_or(title: &str, fallback: &str) -> CoreResult<String> {
    let t = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = if t.is_empty() { fallback.to_owned() } else { t };
    if !(5..=150).contains(&t.chars().count()) {
        return Err(CoreError::Invalid("title: 5 to 150 characters".into()));
    }
    Ok(t)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn insert_official(conn: &mut PgConnection, component_id: i64, c: &Checked, locale: Locale) -> CoreResult<i64> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Id = prepared(
        "INSERT INTO proposals (component_id, author_id, title, body, body_text, category_id, address, search_config)
         VALUES ($1, NULL, $2, $3, $4, $5, $6, $7::regconfig) RETURNING id",
    )
    .bind::<BigInt, _>(component_id)
    .bind::<Text, _>(&c.title)
    .bind::<Text, _>(&c.body)
    .bind::<Text, _>(&c.body_text)
    .bind::<Nullable<BigInt>, _>(c.category_id)
    .bind::<Nullable<Text>, _>(c.address.as_deref())
    .bind::<Text, _>(search_config(locale))
    .get_result(conn)?;
    add_version(conn, row.id, 1, &c.title, &c.body, None, "created", None)?;
    Ok(row.id)
}

/// Links `from` proposals to `to`, marks them, and gives `to` their supporters.
fn relink(conn: &mut PgConnection, from: &[i64], to: i64, kind: &str) -> CoreResult<()> {
    for f in from {
        prepared("INSERT INTO proposal_links (from_id, to_id, kind) VALUES ($1, $2, $3)")
            .bind::<BigInt, _>(f)
            .bind::<BigInt, _>(to)
            .bind::<Text, _>(kind)
            .execute(conn)?;
        prepared("UPDATE proposals SET state = $2, updated_at = now() WHERE id = $1")
            .bind::<BigInt, _>(f)
            .bind::<Text, _>(kind)
            .execute(conn)?;
    }
    prepared(
        "INSERT INTO proposal_supports (proposal_id, user_id, component_id)
         SELECT DISTINCT $1::bigint, s.user_id, s.component_id FROM proposal_supports s WHERE s.proposal_id = ANY($2)
         ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(to)
    .bind::<diesel::sql_types::Array<BigInt>, _>(from)
    .execute(conn)?;
    prepared(
        "UPDATE proposals SET supports_count = (SELECT count(*) FROM proposal_supports WHERE proposal_id = $1) WHERE id = $1",
    )
    .bind::<BigInt, _>(to)
    .execute(conn)?;
    Ok(())
}
