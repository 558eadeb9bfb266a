//! Who hears of a new comment, in the comment's transaction: the author of the
//! comment replied to, the followers of the resource (the commenter then follows
//! it too), and anyone `@mentioned`. A proposal's or petition's comment count goes
//! up with it.
use diesel::PgConnection;
use serde_json::json;
use tenant_core::comments::Created;
use tenant_core::notifications::{self, Event, EventKind};
use tenant_core::resources::ResourceKind;
use tenant_core::{follows, mentions, richtext, CoreResult};

use super::commentable::CommentPolicy;

pub fn comment_created(
    conn: &mut PgConnection,
    created: &Created,
    policy: &CommentPolicy,
    body: &str,
) -> CoreResult<()> {
    if created.duplicate {
        return Ok(());
    }
    let counted = match created.resource.kind {
        ResourceKind::Proposal => Some("UPDATE proposals SET comments_count = comments_count + 1 WHERE id = $1"),
        ResourceKind::Petition => Some("UPDATE petitions SET comments_count = comments_count + 1 WHERE id = $1"),
        _ => None,
    };
    if let Some(sql) = counted {
        diesel::RunQueryDsl::execute(
            diesel::sql_query(sql).bind::<diesel::sql_types::BigInt, _>(created.resource.id),
            conn,
        )?;
    }
    let data = json!({
        "title": policy.title,
        "url": format!("{}#comment-{}", policy.url, created.id),
        "excerpt": richtext::excerpt(body, 200),
    });
    let mut told: Vec<i64> = Vec::new();
    if let Some(parent_author) = created.parent_author_id.filter(|a| *a != created.author_id) {
        notifications::publish(
            conn,
            &Event {
                kind: EventKind::Reply,
                resource: created.resource,
                actor: Some(created.author_id),
                to_users: vec![parent_author],
                to_followers_of: vec![],
                data: data.clone(),
            },
        )?;
        told.push(parent_author);
    }
    let mentioned: Vec<i64> =
        mentions::resolve(conn, &richtext::plain(body))?.into_iter().filter(|u| !told.contains(u)).collect();
    if !mentioned.is_empty() {
        notifications::publish(
            conn,
            &Event {
                kind: EventKind::Mention,
                resource: created.resource,
                actor: Some(created.author_id),
                to_users: mentioned.clone(),
                to_followers_of: vec![],
                data: data.clone(),
            },
        )?;
        told.extend(mentioned);
    }
    // Followers hear of the comment once: not again if they were replied to or mentioned.
    let followers: Vec<i64> =
        follows::followers_of(conn, created.resource)?.into_iter().filter(|u| !told.contains(u)).collect();
    if !followers.is_empty() {
        notifications::publish(
            conn,
            &Event {
                kind: EventKind::Comment,
                resource: created.resource,
                actor: Some(created.author_id),
                to_users: followers,
                to_followers_of: vec![],
                data,
            },
        )?;
    }
    if matches!(created.resource.kind, ResourceKind::Proposal | ResourceKind::Petition) {
        follows::follow(conn, created.author_id, created.resource)?;
    }
    Ok(())
}
