//! The home page's blocks, in the order a tenant's administrators chose: a hero
//! (title and text, the site's name and description by default), the processes, the
//! news, the pages, or a free text. A tenant without blocks keeps the theme's
//! default home page.
use std::collections::BTreeMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::schema::tenant::home_blocks;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Hero,
    Processes,
    News,
    Pages,
    Text,
}

impl BlockKind {
    pub const ALL: [BlockKind; 5] =
        [BlockKind::Hero, BlockKind::Processes, BlockKind::News, BlockKind::Pages, BlockKind::Text];

    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Hero => "hero",
            BlockKind::Processes => "processes",
            BlockKind::News => "news",
            BlockKind::Pages => "pages",
            BlockKind::Text => "text",
        }
    }

    pub fn parse(s: &str) -> CoreResult<BlockKind> {
        BlockKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| CoreError::Invalid(format!("kind: one of hero, processes, news, pages, text (not {s:?})")))
    }

    /// Whether the block carries texts of its own.
    pub fn has_texts(self) -> bool {
        matches!(self, BlockKind::Hero | BlockKind::Text)
    }
}

/// A block's own texts in one language.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BlockTexts {
    pub title: String,
    /// Sanitised HTML once stored.
    pub body: String,
}

/// A block as the home page shows it, in one language.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Block {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The language of the texts shown (empty when none).
    pub lang: String,
}

/// A block with every language of its texts, for the admin page.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EditableBlock {
    pub id: i64,
    pub position: i32,
    pub kind: String,
    pub texts: BTreeMap<String, BlockTexts>,
    pub enabled: bool,
}

type Row = (i64, i32, String, serde_json::Value, bool);

fn texts_of(value: &serde_json::Value) -> BTreeMap<String, BlockTexts> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(code, v)| {
                    let get = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
                    (code.clone(), BlockTexts { title: get("title"), body: get("body") })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn load(conn: &mut PgConnection, enabled_only: bool) -> CoreResult<Vec<Row>> {
    let mut q = home_blocks::table.into_boxed();
    if enabled_only {
        q = q.filter(home_blocks::enabled.eq(true));
    }
    Ok(q.order((home_blocks::position, home_blocks::id))
        .select((home_blocks::id, home_blocks::position, home_blocks::kind, home_blocks::texts, home_blocks::enabled))
        .load(conn)?)
}

/// The enabled blocks in order, texts in the first of `order` that has them.
pub fn list_enabled(conn: &mut PgConnection, order: &[Locale]) -> CoreResult<Vec<Block>> {
    Ok(load(conn, true)?
        .into_iter()
        .map(|(id, _, kind, texts, _)| {
            let texts = texts_of(&texts);
            let (lang, chosen) = order
                .iter()
                .find_map(|l| {
                    texts.get(l.as_str()).filter(|t| !t.title.is_empty() || !t.body.is_empty()).map(|t| (l.as_str(), t))
                })
                .map(|(l, t)| (l.to_owned(), t.clone()))
                .or_else(|| texts.iter().next().map(|(l, t)| (l.clone(), t.clone())))
                .unwrap_or_default();
            Block { id, kind, title: chosen.title, body: chosen.body, lang }
        })
        .collect())
}

/// Every block, enabled or not, in order.
pub fn list_all(conn: &mut PgConnection) -> CoreResult<Vec<EditableBlock>> {
    Ok(load(conn, false)?
        .into_iter()
        .map(|(id, position, kind, texts, enabled)| EditableBlock {
            id,
            position,
            kind,
            texts: texts_of(&texts),
            enabled,
        })
        .collect())
}

fn texts_json(texts: &BTreeMap<Locale, BlockTexts>) -> CoreResult<serde_json::Value> {
    let mut map = serde_json::Map::new();
    for (locale, t) in texts {
        let title = t.title.trim();
        if title.chars().count() > 200 {
            return Err(CoreError::Invalid(format!("title_{}: at most 200 characters", locale.as_str())));
        }
        if t.body.len() > crate::richtext::MAX_INPUT_BYTES {
            return Err(CoreError::Invalid(format!(
                "body_{}: at most {} kB",
                locale.as_str(),
                crate::richtext::MAX_INPUT_BYTES / 1000
            )));
        }
        let body = crate::richtext::sanitize(&t.body);
        let body = if crate::richtext::plain(&body).is_empty() { String::new() } else { body };
        if title.is_empty() && body.is_empty() {
            continue;
        }
        map.insert(locale.as_str().to_owned(), serde_json::json!({ "title": title, "body": body }));
    }
    Ok(serde_json::Value::Object(map))
}

/// Adds a block at the end; its texts count only for hero and text blocks.
pub fn add(conn: &mut PgConnection, kind: BlockKind, texts: &BTreeMap<Locale, BlockTexts>) -> CoreResult<i64> {
    let json = if kind.has_texts() { texts_json(texts)? } else { serde_json::json!({}) };
    if kind == BlockKind::Text && json.as_object().is_some_and(|m| m.is_empty()) {
        return Err(CoreError::Invalid("title: a text block needs a title or a text in at least one language".into()));
    }
    let last: Option<i32> = home_blocks::table.select(diesel::dsl::max(home_blocks::position)).first(conn)?;
    Ok(diesel::insert_into(home_blocks::table)
        .values((
            home_blocks::position.eq(last.map_or(0, |p| p + 1)),
            home_blocks::kind.eq(kind.as_str()),
            home_blocks::texts.eq(json),
        ))
        .returning(home_blocks::id)
        .get_result(conn)?)
}

fn kind_of(conn: &mut PgConnection, id: i64) -> CoreResult<BlockKind> {
    let kind: Option<String> = home_blocks::table.find(id).select(home_blocks::kind).first(conn).optional()?;
    BlockKind::parse(&kind.ok_or_else(|| CoreError::NotFound("no such block".into()))?)
}

/// Replaces a hero or text block's texts.
pub fn set_texts(conn: &mut PgConnection, id: i64, texts: &BTreeMap<Locale, BlockTexts>) -> CoreResult<()> {
    let kind = kind_of(conn, id)?;
    if !kind.has_texts() {
        return Err(CoreError::Invalid("kind: only hero and text blocks have texts".into()));
    }
    let json = texts_json(texts)?;
    if kind == BlockKind::Text && json.as_object().is_some_and(|m| m.is_empty()) {
        return Err(CoreError::Invalid("title: a text block needs a title or a text in at least one language".into()));
    }
    diesel::update(home_blocks::table.find(id))
        .set((home_blocks::texts.eq(json), home_blocks::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(())
}

pub fn set_enabled(conn: &mut PgConnection, id: i64, enabled: bool) -> CoreResult<()> {
    let n = diesel::update(home_blocks::table.find(id))
        .set((home_blocks::enabled.eq(enabled), home_blocks::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    if n == 0 {
        return Err(CoreError::NotFound("no such block".into()));
    }
    Ok(())
}

/// Swaps a block with the one before it (`up`) or after it; at either end, nothing moves.
pub fn move_block(conn: &mut PgConnection, id: i64, up: bool) -> CoreResult<()> {
    conn.transaction(|conn| {
        let order: Vec<(i64, i32)> = home_blocks::table
            .order((home_blocks::position, home_blocks::id))
            .select((home_blocks::id, home_blocks::position))
            .for_update()
            .load(conn)?;
        let i = order.iter().position(|(b, _)| *b == id).ok_or_else(|| CoreError::NotFound("no such block".into()))?;
        let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < order.len()) };
        let Some(j) = j else { return Ok(()) };
        // Renumber the whole list in its new order (positions may have gaps or ties).
        let mut ids: Vec<i64> = order.iter().map(|(b, _)| *b).collect();
        ids.swap(i, j);
        for (n, b) in ids.iter().enumerate() {
            diesel::update(home_blocks::table.find(*b)).set(home_blocks::position.eq(n as i32)).execute(conn)?;
        }
        Ok(())
    })
}

pub fn delete(conn: &mut PgConnection, id: i64) -> CoreResult<()> {
    let n = diesel::delete(home_blocks::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(CoreError::NotFound("no such block".into()));
    }
    Ok(())
}
