//! Amendments and versions. A participant proposes a new title and text for
//! someone's proposal; the author accepts (the proposal takes the text, as a new
//! version credited to the amendment's author) or rejects. Every version is kept,
//! and the difference between two versions is shown word by word to everyone.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use serde::Serialize;

use super::write::{add_version, Checked};
use super::Proposal;
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};

#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Amendment {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub proposal_id: i64,
    #[diesel(sql_type = BigInt)]
    pub author_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub author: Option<String>,
    #[diesel(sql_type = Integer)]
    pub base_version: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub decided_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "a.id, a.proposal_id, a.author_id, u.nickname AS author, a.base_version, a.title, a.body, a.state,
    a.created_at, a.decided_at";

pub fn list(conn: &mut PgConnection, proposal: i64) -> CoreResult<Vec<Amendment>> {
    Ok(prepared(format!(
        "SELECT {COLUMNS} FROM proposal_amendments a LEFT JOIN users u ON u.id = a.author_id
         WHERE a.proposal_id = $1 ORDER BY a.id"
    ))
    .bind::<BigInt, _>(proposal)
    .load(conn)?)
}

pub fn find(conn: &mut PgConnection, proposal: i64, id: i64) -> CoreResult<Option<Amendment>> {
    Ok(prepared(format!(
        "SELECT {COLUMNS} FROM proposal_amendments a LEFT JOIN users u ON u.id = a.author_id
         WHERE a.proposal_id = $1 AND a.id = $2"
    ))
    .bind::<BigInt, _>(proposal)
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .optional()?)
}

/// Proposes an amendment. One pending amendment per person and proposal.
pub fn propose(conn: &mut PgConnection, p: &Proposal, user: i64, checked: &Checked) -> CoreResult<i64> {
    if p.state != "published" {
        return Err(CoreError::Conflict(format!("this proposal is {} and takes no amendments", p.state)));
    }
    if p.author_id == Some(user) {
        return Err(CoreError::Forbidden("you wrote this proposal: edit it instead of amending it".into()));
    }
    if checked.title == p.title && checked.body == p.body {
        return Err(CoreError::Invalid("body: the amendment changes nothing".into()));
    }
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let r: Option<Id> = prepared(
        "INSERT INTO proposal_amendments (proposal_id, author_id, base_version, title, body)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (proposal_id, author_id) WHERE state = 'pending' DO NOTHING RETURNING id",
    )
    .bind::<BigInt, _>(p.id)
    .bind::<BigInt, _>(user)
    .bind::<Integer, _>(p.version)
    .bind::<Text, _>(&checked.title)
    .bind::<Text, _>(&checked.body)
    .get_result(conn)
    .optional()?;
    r.map(|r| r.id).ok_or_else(|| {
        CoreError::Conflict("you already have an amendment waiting for the author's answer on this proposal".into())
    })
}

/// The author accepts or rejects a pending amendment. Accepting makes its text the
/// proposal's new version. Returns the amendment's author.
pub fn decide(conn: &mut PgConnection, p: &Proposal, user: i64, amendment: i64, accept: bool) -> CoreResult<i64> {
    if p.author_id != Some(user) {
        return Err(CoreError::Forbidden("only the proposal's author can accept or reject its amendments".into()));
    }
    conn.transaction(|conn| {
        let a = find(conn, p.id, amendment)?.ok_or_else(|| CoreError::NotFound("no such amendment".into()))?;
        if a.state != "pending" {
            return Err(CoreError::Conflict(format!("this amendment is already {}", a.state)));
        }
        prepared("UPDATE proposal_amendments SET state = $2, decided_at = now() WHERE id = $1 AND state = 'pending'")
            .bind::<BigInt, _>(a.id)
            .bind::<Text, _>(if accept { "accepted" } else { "rejected" })
            .execute(conn)?;
        if accept {
            if p.state != "published" {
                return Err(CoreError::Conflict(format!("this proposal is {}", p.state)));
            }
            let body_text = crate::richtext::plain(&a.body);
            #[derive(QueryableByName)]
            struct V {
                #[diesel(sql_type = Integer)]
                version: i32,
            }
            let v: V = prepared(
                "UPDATE proposals SET title = $2, body = $3, body_text = $4, version = version + 1, updated_at = now()
                 WHERE id = $1 RETURNING version",
            )
            .bind::<BigInt, _>(p.id)
            .bind::<Text, _>(&a.title)
            .bind::<Text, _>(&a.body)
            .bind::<Text, _>(&body_text)
            .get_result(conn)?;
            add_version(conn, p.id, v.version, &a.title, &a.body, Some(a.author_id), "amendment", Some(a.id))?;
        }
        Ok(a.author_id)
    })
}

/// The amendment's author withdraws it while it waits.
pub fn withdraw(conn: &mut PgConnection, proposal: i64, user: i64, amendment: i64) -> CoreResult<()> {
    let n = prepared(
        "UPDATE proposal_amendments SET state = 'withdrawn', decided_at = now()
         WHERE id = $1 AND proposal_id = $2 AND author_id = $3 AND state = 'pending'",
    )
    .bind::<BigInt, _>(amendment)
    .bind::<BigInt, _>(proposal)
    .bind::<BigInt, _>(user)
    .execute(conn)?;
    if n == 0 {
        return Err(CoreError::Conflict("only a waiting amendment can be withdrawn, by its author".into()));
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Version {
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub author: Option<String>,
    #[diesel(sql_type = Text)]
    pub cause: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

pub fn versions(conn: &mut PgConnection, proposal: i64) -> CoreResult<Vec<Version>> {
    Ok(prepared(
        "SELECT v.version, v.title, v.body, u.nickname AS author, v.cause, v.created_at
         FROM proposal_versions v LEFT JOIN users u ON u.id = v.author_id
         WHERE v.proposal_id = $1 ORDER BY v.version",
    )
    .bind::<BigInt, _>(proposal)
    .load(conn)?)
}

/// One piece of a word-level difference: `same`, `added` or `removed` text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: &'static str,
    pub text: String,
}

/// The word-by-word difference between two texts (plain text, not HTML: the
/// template escapes every piece).
pub fn diff(old: &str, new: &str) -> Vec<Change> {
    let d = similar::TextDiff::configure().timeout(std::time::Duration::from_millis(200)).diff_words(old, new);
    let mut out: Vec<Change> = Vec::new();
    for c in d.iter_all_changes() {
        let kind = match c.tag() {
            similar::ChangeTag::Equal => "same",
            similar::ChangeTag::Insert => "added",
            similar::ChangeTag::Delete => "removed",
        };
        match out.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(c.value()),
            _ => out.push(Change { kind, text: c.value().to_owned() }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_added_and_removed_words() {
        let d = diff("Planter des arbres rue Victor Hugo", "Planter des tilleuls rue Victor Hugo et place Carnot");
        let removed: String = d.iter().filter(|c| c.kind == "removed").map(|c| c.text.as_str()).collect();
        let added: String = d.iter().filter(|c| c.kind == "added").map(|c| c.text.as_str()).collect();
        assert_eq!(removed.trim(), "arbres");
        assert!(added.contains("tilleuls") && added.contains("Carnot"), "{d:?}");
        let same: String = d.iter().filter(|c| c.kind != "added").map(|c| c.text.as_str()).collect();
        assert_eq!(same, "Planter des arbres rue Victor Hugo");
    }
}
