//! What the proposals module tells people, in the same transaction as the change:
//! followers of the space hear of new proposals; an author follows their proposal
//! and hears of its answer and of amendments; mentioned people hear of a mention.
use diesel::PgConnection;
use serde_json::json;
use tenant_core::notifications::{self, Event, EventKind};
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::{follows, mentions, richtext, CoreResult};

fn proposal(id: i64) -> ResourceRef {
    ResourceRef::new(ResourceKind::Proposal, id)
}

fn space(id: i64) -> ResourceRef {
    ResourceRef::new(ResourceKind::Space, id)
}

/// `@nickname` in sanitised HTML become links to the profiles (stored that way).
pub fn link_mentions(conn: &mut PgConnection, html: &str) -> CoreResult<String> {
    mentions::render_links(conn, html)
}

/// A proposal was published by `author`.
/// `url` is the proposal's page; `space_id` its space.
pub fn published(
    conn: &mut PgConnection,
    (url, space_id): (&str, i64),
    id: i64,
    title: &str,
    author: i64,
    body: &str,
) -> CoreResult<()> {
    follows::follow(conn, author, proposal(id))?;
    let data = json!({ "title": title, "url": url, "excerpt": richtext::excerpt(body, 200) });
    notifications::publish(
        conn,
        &Event {
            kind: EventKind::NewProposal,
            resource: proposal(id),
            actor: Some(author),
            to_users: vec![],
            to_followers_of: vec![space(space_id)],
            data: data.clone(),
        },
    )?;
    mentioned(conn, id, author, body, data)
}

/// People mentioned in a text written by `author` about proposal `id`.
pub fn mentioned(conn: &mut PgConnection, id: i64, author: i64, html: &str, data: serde_json::Value) -> CoreResult<()> {
    let users = mentions::resolve(conn, &richtext::plain(html))?;
    if users.is_empty() {
        return Ok(());
    }
    notifications::publish(
        conn,
        &Event {
            kind: EventKind::Mention,
            resource: proposal(id),
            actor: Some(author),
            to_users: users,
            to_followers_of: vec![],
            data,
        },
    )?;
    Ok(())
}

fn answer_state(state: &str) -> serde_json::Value {
    match state {
        "accepted" => json!({"fr": "acceptée", "en": "accepted"}),
        "rejected" => json!({"fr": "rejetée", "en": "rejected"}),
        _ => json!({"fr": "en cours d'étude", "en": "being evaluated"}),
    }
}

/// The institution answered: the author and the proposal's followers are told.
pub fn answered(
    conn: &mut PgConnection,
    url: &str,
    id: i64,
    title: &str,
    author: Option<i64>,
    state: &str,
) -> CoreResult<()> {
    notifications::publish(
        conn,
        &Event {
            kind: EventKind::Answer,
            resource: proposal(id),
            actor: None,
            to_users: author.into_iter().collect(),
            to_followers_of: vec![proposal(id)],
            data: json!({ "title": title, "url": url, "state": answer_state(state) }),
        },
    )?;
    Ok(())
}

/// Someone proposed an amendment: the proposal's author is told.
pub fn amendment_proposed(
    conn: &mut PgConnection,
    url: &str,
    id: i64,
    title: &str,
    author: Option<i64>,
    amender: i64,
    amendment: i64,
) -> CoreResult<()> {
    notifications::publish(
        conn,
        &Event {
            kind: EventKind::Amendment,
            resource: proposal(id),
            actor: Some(amender),
            to_users: author.into_iter().collect(),
            to_followers_of: vec![],
            data: json!({ "title": title, "url": format!("{url}/amendments/{amendment}") }),
        },
    )?;
    Ok(())
}

/// The author decided on an amendment: its author and the followers are told.
pub fn amendment_decided(
    conn: &mut PgConnection,
    url: &str,
    id: i64,
    title: &str,
    author: i64,
    amender: i64,
    accepted: bool,
) -> CoreResult<()> {
    let state = if accepted {
        json!({"fr": "amendement accepté", "en": "amendment accepted"})
    } else {
        json!({"fr": "amendement refusé", "en": "amendment rejected"})
    };
    notifications::publish(
        conn,
        &Event {
            kind: EventKind::StateChange,
            resource: proposal(id),
            actor: Some(author),
            to_users: vec![amender],
            to_followers_of: if accepted { vec![proposal(id)] } else { vec![] },
            data: json!({ "title": title, "url": url, "state": state }),
        },
    )?;
    Ok(())
}
