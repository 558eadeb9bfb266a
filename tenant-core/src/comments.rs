//! Comments on any resource (`ResourceRef`): threaded replies, agree/disagree votes,
//! an optional for/against/neutral alignment, edit and (soft) delete by the author.
//!
//! - Depth: a comment on the resource has depth 0; replies go down to depth 3 (four
//!   levels). A reply to a depth-3 comment is refused ([`Refused::TooDeep`]) rather
//!   than silently attached higher up, so nobody's answer lands where they did not
//!   put it; the pages offer no reply form at that depth.
//! - Votes: one per person; voting the same way again takes the vote back, the other
//!   way switches it. The counters on the comment row change in the same transaction,
//!   under a lock on that row.
//! - Deleting clears the body and keeps the row ("deleted"), so replies stay in place.
//! - Hidden comments (`hidden_at`, mirrored from `moderation`) and every reply below
//!   them are left out of threads, except for the tenant's administrators, who see
//!   them marked.
//!
//! Whether a person may comment on a resource (module on, phase settings, the
//! verification asked) is decided by the caller before calling [`create`].
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use serde::Serialize;

use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::resources::{ResourceKind, ResourceRef};
use crate::richtext;
use crate::schema::tenant::{comment_votes, comments, users};

/// Longest comment, in characters of text (tags not counted).
pub const MAX_BODY_CHARS: usize = 2_000;
/// Deepest reply: depth 0 (on the resource) to 3.
pub const MAX_DEPTH: i16 = 3;

/// The stance a comment takes on the resource, when its author states one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Alignment {
    For,
    Against,
    Neutral,
}

impl Alignment {
    /// `for`, `against`, `neutral`; empty or `none` is no stance.
    pub fn parse(s: &str) -> CoreResult<Option<Alignment>> {
        match s.trim() {
            "" | "none" => Ok(None),
            "for" => Ok(Some(Alignment::For)),
            "against" => Ok(Some(Alignment::Against)),
            "neutral" => Ok(Some(Alignment::Neutral)),
            other => Err(CoreError::Invalid(format!("alignment: for, against, neutral or none (not {other:?})"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Alignment::For => "for",
            Alignment::Against => "against",
            Alignment::Neutral => "neutral",
        }
    }

    fn to_db(self) -> i16 {
        match self {
            Alignment::For => 1,
            Alignment::Against => -1,
            Alignment::Neutral => 0,
        }
    }

    fn from_db(v: Option<i16>) -> Option<Alignment> {
        match v? {
            1 => Some(Alignment::For),
            -1 => Some(Alignment::Against),
            _ => Some(Alignment::Neutral),
        }
    }
}

/// How the comments on a resource are sorted. Replies always read oldest first,
/// as a conversation; the order applies to the comments on the resource itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    Older,
    Recent,
    /// Agrees minus disagrees, highest first.
    BestRated,
    /// Most replies (all levels) first.
    MostDiscussed,
}

impl Order {
    pub const ALL: [Order; 4] = [Order::Older, Order::Recent, Order::BestRated, Order::MostDiscussed];

    pub fn as_str(self) -> &'static str {
        match self {
            Order::Older => "older",
            Order::Recent => "recent",
            Order::BestRated => "best_rated",
            Order::MostDiscussed => "most_discussed",
        }
    }

    /// The order named in a query string; anything else is the default.
    pub fn parse_or_default(s: &str) -> Order {
        Order::ALL.into_iter().find(|o| o.as_str() == s).unwrap_or_default()
    }
}

/// Agree (`Up`) or disagree (`Down`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    Up,
    Down,
}

impl Vote {
    pub fn parse(s: &str) -> CoreResult<Vote> {
        match s {
            "up" => Ok(Vote::Up),
            "down" => Ok(Vote::Down),
            other => Err(CoreError::Invalid(format!("vote: up or down (not {other:?})"))),
        }
    }

    fn value(self) -> i16 {
        match self {
            Vote::Up => 1,
            Vote::Down => -1,
        }
    }
}

/// Why an action on a comment was refused; the HTTP edge says it in the visitor's
/// language (message `comments_refused_<name>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Refused {
    #[error("a comment needs some text")]
    Empty,
    #[error("a comment has at most {MAX_BODY_CHARS} characters")]
    TooLong,
    #[error("the comment answered belongs to another page")]
    ParentElsewhere,
    #[error("this comment was deleted and cannot be answered")]
    ParentDeleted,
    #[error("this comment was hidden by the moderators and cannot be answered")]
    ParentHidden,
    #[error("replies go at most 3 levels deep: answer the comment above instead")]
    TooDeep,
    #[error("only its author may change a comment")]
    NotYours,
    #[error("this comment was deleted")]
    Deleted,
    #[error("this comment was hidden by the moderators")]
    Hidden,
}

impl Refused {
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Empty => "empty",
            Refused::TooLong => "too_long",
            Refused::ParentElsewhere => "parent_elsewhere",
            Refused::ParentDeleted => "parent_deleted",
            Refused::ParentHidden => "parent_hidden",
            Refused::TooDeep => "too_deep",
            Refused::NotYours => "not_yours",
            Refused::Deleted => "deleted",
            Refused::Hidden => "hidden",
        }
    }
}

/// What a person writes.
pub struct NewComment<'a> {
    pub resource: ResourceRef,
    pub parent_id: Option<i64>,
    pub author_id: i64,
    pub body: &'a str,
    pub alignment: Option<Alignment>,
}

/// A comment just written, with what notifications need: the resource and the
/// author of the comment answered.
#[derive(Clone, Debug, Serialize)]
pub struct Created {
    pub id: i64,
    pub resource: ResourceRef,
    pub author_id: i64,
    pub parent_id: Option<i64>,
    pub parent_author_id: Option<i64>,
    pub depth: i16,
    /// The same text was just posted by the same person at the same place (a double
    /// submit): this is that comment, nothing new was written (do not notify again).
    pub duplicate: bool,
}

/// A repeat of the same comment within this many seconds is a double submit.
const DOUBLE_SUBMIT_SECONDS: i64 = 120;

/// One comment, as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Comment {
    pub id: i64,
    pub resource: ResourceRef,
    pub parent_id: Option<i64>,
    pub depth: i16,
    pub author_id: i64,
    /// Sanitised HTML; empty once deleted.
    pub body: String,
    pub alignment: Option<Alignment>,
    pub up_votes: i32,
    pub down_votes: i32,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub hidden: bool,
}

type CommentRow = (
    i64,
    String,
    i64,
    Option<i64>,
    i16,
    i64,
    String,
    Option<i16>,
    i32,
    i32,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn row_to_comment(r: CommentRow) -> CoreResult<Comment> {
    let (
        id,
        kind,
        resource_id,
        parent_id,
        depth,
        author_id,
        body,
        alignment,
        up,
        down,
        created,
        edited,
        deleted,
        hidden,
    ) = r;
    Ok(Comment {
        id,
        resource: ResourceRef::new(ResourceKind::parse(&kind)?, resource_id),
        parent_id,
        depth,
        author_id,
        body,
        alignment: Alignment::from_db(alignment),
        up_votes: up,
        down_votes: down,
        created_at: created,
        edited_at: edited,
        deleted: deleted.is_some(),
        hidden: hidden.is_some(),
    })
}

macro_rules! comment_columns {
    () => {
        (
            comments::id,
            comments::resource_kind,
            comments::resource_id,
            comments::parent_id,
            comments::depth,
            comments::author_id,
            comments::body,
            comments::alignment,
            comments::up_votes,
            comments::down_votes,
            comments::created_at,
            comments::edited_at,
            comments::deleted_at,
            comments::hidden_at,
        )
    };
}

/// One comment by id, whatever its state.
pub fn find(conn: &mut PgConnection, id: i64) -> CoreResult<Option<Comment>> {
    let row: Option<CommentRow> = comments::table.find(id).select(comment_columns!()).first(conn).optional()?;
    row.map(row_to_comment).transpose()
}

fn find_for_update(conn: &mut PgConnection, id: i64) -> CoreResult<Comment> {
    let row: Option<CommentRow> =
        comments::table.find(id).select(comment_columns!()).for_update().first(conn).optional()?;
    row.map(row_to_comment).transpose()?.ok_or_else(|| CoreError::NotFound("no such comment".into()))
}

/// The sanitised body, or why it is refused.
fn clean_body(input: &str) -> Result<String, Refused> {
    richtext::parse("comment", input, MAX_BODY_CHARS).map_err(|_| {
        if input.len() <= richtext::MAX_INPUT_BYTES && richtext::plain(&richtext::sanitize(input)).trim().is_empty() {
            Refused::Empty
        } else {
            Refused::TooLong
        }
    })
}

/// kind, resource id, ancestors, depth, author, deleted, hidden.
type ParentRow = (String, i64, Vec<i64>, i16, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Writes a comment or a reply. A reply must answer a live, visible comment on the
/// same resource, at most [`MAX_DEPTH`] levels down. A missing parent is `NotFound`.
pub fn create(conn: &mut PgConnection, new: &NewComment<'_>) -> CoreResult<Result<Created, Refused>> {
    if new.resource.kind == ResourceKind::Comment {
        return Err(CoreError::Invalid("a comment is answered with a reply, not commented on".into()));
    }
    let body = match clean_body(new.body) {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    conn.transaction(|conn| {
        let (ancestors, depth, parent_author_id) = match new.parent_id {
            None => (Vec::new(), 0_i16, None),
            Some(pid) => {
                let parent: Option<ParentRow> = comments::table
                    .find(pid)
                    .select((
                        comments::resource_kind,
                        comments::resource_id,
                        comments::ancestors,
                        comments::depth,
                        comments::author_id,
                        comments::deleted_at,
                        comments::hidden_at,
                    ))
                    .for_share()
                    .first(conn)
                    .optional()?;
                let Some((kind, rid, mut ancestors, depth, author, deleted, hidden)) = parent else {
                    return Err(CoreError::NotFound("no such comment to answer".into()));
                };
                if kind != new.resource.kind.as_str() || rid != new.resource.id {
                    return Ok(Err(Refused::ParentElsewhere));
                }
                if deleted.is_some() {
                    return Ok(Err(Refused::ParentDeleted));
                }
                if hidden.is_some() {
                    return Ok(Err(Refused::ParentHidden));
                }
                if depth >= MAX_DEPTH {
                    return Ok(Err(Refused::TooDeep));
                }
                ancestors.push(pid);
                (ancestors, depth + 1, Some(author))
            }
        };
        let same: Option<i64> = comments::table
            .filter(comments::resource_kind.eq(new.resource.kind.as_str()))
            .filter(comments::resource_id.eq(new.resource.id))
            .filter(comments::author_id.eq(new.author_id))
            .filter(comments::body.eq(&body))
            .filter(comments::deleted_at.is_null())
            .filter(comments::created_at.gt(Utc::now() - chrono::Duration::seconds(DOUBLE_SUBMIT_SECONDS)))
            .filter(comments::parent_id.is_not_distinct_from(new.parent_id))
            .select(comments::id)
            .first(conn)
            .optional()?;
        if let Some(id) = same {
            return Ok(Ok(Created {
                id,
                resource: new.resource,
                author_id: new.author_id,
                parent_id: new.parent_id,
                parent_author_id,
                depth,
                duplicate: true,
            }));
        }
        let id: i64 = diesel::insert_into(comments::table)
            .values((
                comments::resource_kind.eq(new.resource.kind.as_str()),
                comments::resource_id.eq(new.resource.id),
                comments::parent_id.eq(new.parent_id),
                comments::ancestors.eq(&ancestors),
                comments::depth.eq(depth),
                comments::author_id.eq(new.author_id),
                comments::body.eq(&body),
                comments::alignment.eq(new.alignment.map(Alignment::to_db)),
            ))
            .returning(comments::id)
            .get_result(conn)?;
        if !ancestors.is_empty() {
            diesel::update(comments::table.filter(comments::id.eq_any(&ancestors)))
                .set(comments::reply_count.eq(comments::reply_count + 1))
                .execute(conn)?;
        }
        Ok(Ok(Created {
            id,
            resource: new.resource,
            author_id: new.author_id,
            parent_id: new.parent_id,
            parent_author_id,
            depth,
            duplicate: false,
        }))
    })
}

fn own_live(comment: &Comment, user_id: i64) -> Result<(), Refused> {
    if comment.author_id != user_id {
        Err(Refused::NotYours)
    } else if comment.deleted {
        Err(Refused::Deleted)
    } else if comment.hidden {
        Err(Refused::Hidden)
    } else {
        Ok(())
    }
}

/// Changes the text of one's own comment (not deleted, not hidden); keeps when.
/// Returns the comment as it was before the change.
pub fn edit(conn: &mut PgConnection, id: i64, editor_id: i64, body: &str) -> CoreResult<Result<Comment, Refused>> {
    conn.transaction(|conn| {
        let comment = find_for_update(conn, id)?;
        if let Err(r) = own_live(&comment, editor_id) {
            return Ok(Err(r));
        }
        let body = match clean_body(body) {
            Ok(b) => b,
            Err(r) => return Ok(Err(r)),
        };
        diesel::update(comments::table.find(id))
            .set((comments::body.eq(&body), comments::edited_at.eq(diesel::dsl::now)))
            .execute(conn)?;
        Ok(Ok(comment))
    })
}

/// Deletes one's own comment: the text goes, the row and its replies stay.
pub fn delete(conn: &mut PgConnection, id: i64, user_id: i64) -> CoreResult<Result<Comment, Refused>> {
    conn.transaction(|conn| {
        let comment = find_for_update(conn, id)?;
        if comment.author_id != user_id {
            return Ok(Err(Refused::NotYours));
        }
        if comment.deleted {
            return Ok(Err(Refused::Deleted));
        }
        diesel::update(comments::table.find(id))
            .set((comments::body.eq(""), comments::deleted_at.eq(diesel::dsl::now)))
            .execute(conn)?;
        Ok(Ok(comment))
    })
}

/// The counters after a vote, and the voter's vote now (1, -1, or 0 for none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Votes {
    pub my_vote: i16,
    pub up: i32,
    pub down: i32,
}

/// Votes on a comment: again the same way takes the vote back, the other way
/// switches it. Deleted and hidden comments take no votes.
pub fn vote(
    conn: &mut PgConnection,
    id: i64,
    user_id: i64,
    vote: Vote,
) -> CoreResult<Result<(Comment, Votes), Refused>> {
    conn.transaction(|conn| {
        // The row lock serialises votes on this comment, so counters stay exact.
        let comment = find_for_update(conn, id)?;
        if comment.deleted {
            return Ok(Err(Refused::Deleted));
        }
        if comment.hidden {
            return Ok(Err(Refused::Hidden));
        }
        let value = vote.value();
        let previous: Option<i16> =
            comment_votes::table.find((id, user_id)).select(comment_votes::value).first(conn).optional()?;
        let (mut up, mut down) = (0_i32, 0_i32);
        let count = |v: i16, n: i32, up: &mut i32, down: &mut i32| {
            if v > 0 {
                *up += n
            } else {
                *down += n
            }
        };
        let mine = match previous {
            None => {
                diesel::insert_into(comment_votes::table)
                    .values((
                        comment_votes::comment_id.eq(id),
                        comment_votes::user_id.eq(user_id),
                        comment_votes::value.eq(value),
                    ))
                    .execute(conn)?;
                count(value, 1, &mut up, &mut down);
                value
            }
            Some(v) if v == value => {
                diesel::delete(comment_votes::table.find((id, user_id))).execute(conn)?;
                count(value, -1, &mut up, &mut down);
                0
            }
            Some(v) => {
                diesel::update(comment_votes::table.find((id, user_id)))
                    .set((comment_votes::value.eq(value), comment_votes::created_at.eq(diesel::dsl::now)))
                    .execute(conn)?;
                count(v, -1, &mut up, &mut down);
                count(value, 1, &mut up, &mut down);
                value
            }
        };
        let (up, down): (i32, i32) = diesel::update(comments::table.find(id))
            .set((comments::up_votes.eq(comments::up_votes + up), comments::down_votes.eq(comments::down_votes + down)))
            .returning((comments::up_votes, comments::down_votes))
            .get_result(conn)?;
        Ok(Ok((comment, Votes { my_vote: mine, up, down })))
    })
}

/// Who reads a thread: their votes and rights are marked on each comment.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reader {
    pub user_id: Option<i64>,
    /// A tenant administrator: sees hidden comments, marked.
    pub is_admin: bool,
}

/// One comment of a thread with its replies, ready for a template.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub depth: i16,
    pub author_id: i64,
    /// None when the author's account was erased.
    pub author: Option<String>,
    /// Sanitised HTML (safe to show as is); empty once deleted.
    pub body: String,
    pub alignment: Option<Alignment>,
    pub up_votes: i32,
    pub down_votes: i32,
    pub score: i32,
    pub reply_count: i32,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    /// Hidden by moderation (only administrators get such comments).
    pub hidden: bool,
    /// The reader's vote: 1, -1, or 0.
    pub my_vote: i16,
    pub mine: bool,
    pub can_edit: bool,
    pub can_reply: bool,
    pub replies: Vec<Node>,
}

/// The comments of one resource as a tree.
#[derive(Clone, Debug, Serialize)]
pub struct Thread {
    pub comments: Vec<Node>,
    /// Comments everyone can read (not deleted, not hidden).
    pub total: i64,
}

type ThreadRow = (
    (i64, Option<i64>, i16, i64, String, Option<i16>, i32, i32, i32, DateTime<Utc>, Option<DateTime<Utc>>),
    (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    (Option<String>, Option<DateTime<Utc>>),
    Option<i16>,
);

/// Every comment on `resource` that `reader` may see, as a tree sorted by `order`,
/// in one query (comments, their authors and the reader's votes).
pub fn thread(conn: &mut PgConnection, resource: ResourceRef, reader: Reader, order: Order) -> CoreResult<Thread> {
    // Account ids start at 1: 0 matches no vote when nobody is signed in.
    let viewer = reader.user_id.unwrap_or(0);
    let mut query = comments::table
        .inner_join(users::table)
        .left_join(
            comment_votes::table.on(comment_votes::comment_id.eq(comments::id).and(comment_votes::user_id.eq(viewer))),
        )
        .filter(comments::resource_kind.eq(resource.kind.as_str()))
        .filter(comments::resource_id.eq(resource.id))
        .select((
            (
                comments::id,
                comments::parent_id,
                comments::depth,
                comments::author_id,
                comments::body,
                comments::alignment,
                comments::up_votes,
                comments::down_votes,
                comments::reply_count,
                comments::created_at,
                comments::edited_at,
            ),
            (comments::deleted_at, comments::hidden_at),
            (users::nickname, users::deleted_at),
            comment_votes::value.nullable(),
        ))
        .order((comments::created_at, comments::id))
        .into_boxed();
    if !reader.is_admin {
        query = query.filter(comments::hidden_at.is_null());
    }
    let rows: Vec<ThreadRow> = query.load(conn)?;
    let mut children: HashMap<Option<i64>, Vec<Node>> = HashMap::new();
    for (
        (id, parent_id, depth, author_id, body, alignment, up, down, replies, created, edited),
        (deleted, hidden),
        (nick, gone),
        my,
    ) in rows
    {
        let (deleted, hidden) = (deleted.is_some(), hidden.is_some());
        let mine = reader.user_id == Some(author_id);
        children.entry(parent_id).or_default().push(Node {
            id,
            parent_id,
            depth,
            author_id,
            author: if gone.is_some() { None } else { nick },
            body,
            alignment: Alignment::from_db(alignment),
            up_votes: up,
            down_votes: down,
            score: up - down,
            reply_count: replies,
            created_at: created,
            edited_at: edited,
            deleted,
            hidden,
            my_vote: my.unwrap_or(0),
            mine,
            can_edit: mine && !deleted && !hidden,
            can_reply: reader.user_id.is_some() && depth < MAX_DEPTH && !deleted && !hidden,
            replies: Vec::new(),
        });
    }
    let mut roots = attach(&mut children, None);
    match order {
        Order::Older => {}
        Order::Recent => roots.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.id))),
        Order::BestRated => {
            roots.sort_by(|a, b| b.score.cmp(&a.score).then((a.created_at, a.id).cmp(&(b.created_at, b.id))))
        }
        Order::MostDiscussed => roots
            .sort_by(|a, b| b.reply_count.cmp(&a.reply_count).then((a.created_at, a.id).cmp(&(b.created_at, b.id)))),
    }
    let total = count_visible(&roots);
    Ok(Thread { comments: roots, total })
}

/// The nodes under `parent`, each with its own replies (oldest first, as loaded).
/// Replies whose parent was left out (hidden) are never reached, so they go too.
fn attach(children: &mut HashMap<Option<i64>, Vec<Node>>, parent: Option<i64>) -> Vec<Node> {
    let mut nodes = children.remove(&parent).unwrap_or_default();
    for n in &mut nodes {
        n.replies = attach(children, Some(n.id));
    }
    nodes
}

fn count_visible(nodes: &[Node]) -> i64 {
    // Below a hidden comment, nothing is readable by everyone.
    nodes.iter().filter(|n| !n.hidden).map(|n| i64::from(!n.deleted) + count_visible(&n.replies)).sum()
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// What everyone can read of a comment: not deleted, not hidden, no hidden comment above.
const VISIBLE: &str = "c.deleted_at IS NULL AND c.hidden_at IS NULL \
    AND NOT EXISTS (SELECT 1 FROM comments h WHERE h.id = ANY(c.ancestors) AND h.hidden_at IS NOT NULL)";

/// How many comments everyone can read on `resource` (for listings).
pub fn count(conn: &mut PgConnection, resource: ResourceRef) -> CoreResult<i64> {
    Ok(counts(conn, resource.kind, &[resource.id])?.get(&resource.id).copied().unwrap_or(0))
}

/// [`count`] for many resources of one kind at once; resources without comments are absent.
pub fn counts(conn: &mut PgConnection, kind: ResourceKind, ids: &[i64]) -> CoreResult<HashMap<i64, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Counted> = prepared(format!(
        "SELECT c.resource_id, count(*) AS n FROM comments c \
         WHERE c.resource_kind = $1 AND c.resource_id = ANY($2) AND {VISIBLE} GROUP BY c.resource_id"
    ))
    .bind::<Text, _>(kind.as_str())
    .bind::<Array<BigInt>, _>(ids)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.resource_id, r.n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_order_and_vote_parse_their_form_values() {
        assert_eq!(Alignment::parse("").ok(), Some(None));
        assert_eq!(Alignment::parse("against").ok(), Some(Some(Alignment::Against)));
        assert!(Alignment::parse("maybe").is_err());
        for a in [Alignment::For, Alignment::Against, Alignment::Neutral] {
            assert_eq!(Alignment::from_db(Some(a.to_db())), Some(a));
        }
        assert_eq!(Order::parse_or_default("best_rated"), Order::BestRated);
        assert_eq!(Order::parse_or_default("nonsense"), Order::Older);
        assert_eq!(Vote::parse("down").ok(), Some(Vote::Down));
        assert!(Vote::parse("sideways").is_err());
    }

    #[test]
    fn bodies_are_sanitised_and_refused_when_empty_or_too_long() {
        assert_eq!(clean_body("<p>Oui</p><script>x()</script>"), Ok("<p>Oui</p>".to_owned()));
        assert_eq!(clean_body("<p> </p>"), Err(Refused::Empty));
        assert_eq!(clean_body(&"a".repeat(MAX_BODY_CHARS + 1)), Err(Refused::TooLong));
        assert!(clean_body(&"a".repeat(MAX_BODY_CHARS)).is_ok());
        assert_eq!(clean_body(&" ".repeat(richtext::MAX_INPUT_BYTES + 1)), Err(Refused::TooLong));
    }
}
