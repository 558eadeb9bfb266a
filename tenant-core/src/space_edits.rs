//! What a tenant's administrators change on an existing space: its texts in each
//! language, dates, privacy and hero image; its phases (texts, dates, order,
//! removal); the members of a private space.
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::accounts::users;
use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::schema::tenant::{space_members, space_phases, spaces, users as users_table};
use crate::spaces::{check_texts, rich_texts, to_json, Texts};

/// Texts by language code, as a form shows them (`{"fr": "...", "en": "..."}`).
pub type FormTexts = BTreeMap<String, String>;

fn form_texts(value: &serde_json::Value) -> FormTexts {
    value
        .as_object()
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|t| (k.clone(), t.to_owned()))).collect())
        .unwrap_or_default()
}

fn check_dates(start: Option<NaiveDate>, end: Option<NaiveDate>) -> CoreResult<()> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(CoreError::Invalid("end_date: on or after the start date".into())),
        _ => Ok(()),
    }
}

/// A space with every language of its texts, for the edit form.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EditableSpace {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub title: FormTexts,
    pub subtitle: FormTexts,
    pub description: FormTexts,
    pub hero_image_key: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub private: bool,
}

type EditableRow = (
    i64,
    String,
    String,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
    Option<String>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    bool,
);

pub fn editable(conn: &mut PgConnection, id: i64) -> CoreResult<Option<EditableSpace>> {
    let row: Option<EditableRow> = spaces::table
        .find(id)
        .select((
            spaces::id,
            spaces::kind,
            spaces::slug,
            spaces::title,
            spaces::subtitle,
            spaces::description,
            spaces::hero_image_key,
            spaces::start_date,
            spaces::end_date,
            spaces::private,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, kind, slug, title, subtitle, description, hero_image_key, start_date, end_date, private)| {
        EditableSpace {
            id,
            kind,
            slug,
            title: form_texts(&title),
            subtitle: form_texts(&subtitle),
            description: form_texts(&description),
            hero_image_key,
            start_date,
            end_date,
            private,
        }
    }))
}

/// The new texts, dates and privacy of a space.
pub struct SpaceEdit<'a> {
    pub title: &'a Texts,
    pub subtitle: &'a Texts,
    /// Rich text; sanitised here.
    pub description: &'a Texts,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub private: bool,
}

/// Replaces a space's texts, dates and privacy; bad input is `Invalid` naming the field.
pub fn update(conn: &mut PgConnection, id: i64, edit: &SpaceEdit<'_>) -> CoreResult<()> {
    check_texts("title", edit.title, 200, true)?;
    check_texts("subtitle", edit.subtitle, 300, false)?;
    check_texts("description", edit.description, 20_000, false)?;
    check_dates(edit.start_date, edit.end_date)?;
    let n = diesel::update(spaces::table.find(id))
        .set((
            spaces::title.eq(to_json(edit.title)),
            spaces::subtitle.eq(to_json(edit.subtitle)),
            spaces::description.eq(to_json(&rich_texts(edit.description))),
            spaces::start_date.eq(edit.start_date),
            spaces::end_date.eq(edit.end_date),
            spaces::private.eq(edit.private),
            spaces::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(CoreError::NotFound("no such space".into()));
    }
    Ok(())
}

/// Sets (or with `None` removes) a space's hero image; returns the previous key, whose
/// file the caller deletes once this has committed.
pub fn set_hero(conn: &mut PgConnection, id: i64, key: Option<&str>) -> CoreResult<Option<String>> {
    let old: Option<Option<String>> =
        spaces::table.find(id).select(spaces::hero_image_key).for_update().first(conn).optional()?;
    let old = old.ok_or_else(|| CoreError::NotFound("no such space".into()))?;
    diesel::update(spaces::table.find(id))
        .set((spaces::hero_image_key.eq(key), spaces::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(old)
}

/// A phase with every language of its texts, for the edit form.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EditablePhase {
    pub id: i64,
    pub space_id: i64,
    pub title: FormTexts,
    pub description: FormTexts,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub active: bool,
}

type PhaseRow = (i64, i64, serde_json::Value, serde_json::Value, Option<NaiveDate>, Option<NaiveDate>, bool);

pub fn phase(conn: &mut PgConnection, space_id: i64, phase_id: i64) -> CoreResult<Option<EditablePhase>> {
    let row: Option<PhaseRow> = space_phases::table
        .filter(space_phases::id.eq(phase_id).and(space_phases::space_id.eq(space_id)))
        .select((
            space_phases::id,
            space_phases::space_id,
            space_phases::title,
            space_phases::description,
            space_phases::start_date,
            space_phases::end_date,
            space_phases::active,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, space_id, title, description, start_date, end_date, active)| EditablePhase {
        id,
        space_id,
        title: form_texts(&title),
        description: form_texts(&description),
        start_date,
        end_date,
        active,
    }))
}

/// Replaces a phase's texts and dates.
pub fn update_phase(
    conn: &mut PgConnection,
    space_id: i64,
    phase_id: i64,
    title: &Texts,
    description: &Texts,
    dates: (Option<NaiveDate>, Option<NaiveDate>),
) -> CoreResult<()> {
    check_texts("title", title, 200, true)?;
    check_texts("description", description, 5_000, false)?;
    check_dates(dates.0, dates.1)?;
    let n = diesel::update(
        space_phases::table.filter(space_phases::id.eq(phase_id)).filter(space_phases::space_id.eq(space_id)),
    )
    .set((
        space_phases::title.eq(to_json(title)),
        space_phases::description.eq(to_json(description)),
        space_phases::start_date.eq(dates.0),
        space_phases::end_date.eq(dates.1),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(CoreError::NotFound("no such phase in this space".into()));
    }
    Ok(())
}

/// Why a phase was not removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseRefused {
    /// The active phase stays: make another one active first.
    Active,
}

/// Removes a phase that is not the active one.
pub fn delete_phase(conn: &mut PgConnection, space_id: i64, phase_id: i64) -> CoreResult<Result<(), PhaseRefused>> {
    let found = phase(conn, space_id, phase_id)?.ok_or_else(|| CoreError::NotFound("no such phase".into()))?;
    if found.active {
        return Ok(Err(PhaseRefused::Active));
    }
    diesel::delete(space_phases::table.find(phase_id)).execute(conn)?;
    Ok(Ok(()))
}

/// Swaps a phase with the one before it (`up`) or after it; at either end, nothing moves.
pub fn move_phase(conn: &mut PgConnection, space_id: i64, phase_id: i64, up: bool) -> CoreResult<()> {
    conn.transaction(|conn| {
        let order: Vec<(i64, i32)> = space_phases::table
            .filter(space_phases::space_id.eq(space_id))
            .order(space_phases::position)
            .select((space_phases::id, space_phases::position))
            .for_update()
            .load(conn)?;
        let i = order
            .iter()
            .position(|(id, _)| *id == phase_id)
            .ok_or_else(|| CoreError::NotFound("no such phase".into()))?;
        let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < order.len()) };
        let Some(j) = j else { return Ok(()) };
        let ((a, pa), (b, pb)) = (order[i], order[j]);
        // (space_id, position) is unique: park one phase out of the way first.
        let parked = order.iter().map(|(_, p)| *p).min().unwrap_or(0) - 1;
        diesel::update(space_phases::table.find(a)).set(space_phases::position.eq(parked)).execute(conn)?;
        diesel::update(space_phases::table.find(b)).set(space_phases::position.eq(pa)).execute(conn)?;
        diesel::update(space_phases::table.find(a)).set(space_phases::position.eq(pb)).execute(conn)?;
        Ok(())
    })
}

/// A member of a private space.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Member {
    pub user_id: i64,
    pub nickname: String,
    pub email: Option<String>,
    pub added_at: DateTime<Utc>,
}

/// user id, nickname, email, added at.
type MemberRow = (i64, Option<String>, Option<String>, DateTime<Utc>);

/// The members of a space, by nickname.
pub fn members(conn: &mut PgConnection, space_id: i64) -> CoreResult<Vec<Member>> {
    let rows: Vec<MemberRow> = space_members::table
        .inner_join(users_table::table.on(users_table::id.eq(space_members::user_id)))
        .filter(space_members::space_id.eq(space_id))
        .filter(users_table::deleted_at.is_null())
        .order(users_table::nickname)
        .select((space_members::user_id, users_table::nickname, users_table::email, space_members::added_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(user_id, nickname, email, added_at)| {
            Some(Member { user_id, nickname: nickname?, email, added_at })
        })
        .collect())
}

/// Nobody with that address or nickname.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoSuchPerson;

/// Adds the person with this email address (when it has an `@`) or nickname; returns
/// their id. Adding a member twice changes nothing.
pub fn add_member_by(conn: &mut PgConnection, space_id: i64, who: &str) -> CoreResult<Result<i64, NoSuchPerson>> {
    let who = who.trim();
    let found = if who.contains('@') { users::find_by_email(conn, who)? } else { users::find_by_nickname(conn, who)? };
    let Some(user) = found else { return Ok(Err(NoSuchPerson)) };
    let exists: i64 = spaces::table.find(space_id).count().get_result(conn)?;
    if exists == 0 {
        return Err(CoreError::NotFound("no such space".into()));
    }
    crate::spaces::add_member(conn, space_id, user.id)?;
    Ok(Ok(user.id))
}

pub fn remove_member(conn: &mut PgConnection, space_id: i64, user_id: i64) -> CoreResult<()> {
    diesel::delete(
        space_members::table.filter(space_members::space_id.eq(space_id)).filter(space_members::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// A space's hero image key and whether everyone may see it (published and public),
/// looked up by kind and slug for the viewer; `None` when they may not see the space.
pub fn hero_of(
    conn: &mut PgConnection,
    kind: crate::spaces::SpaceKind,
    slug: &str,
    viewer: crate::spaces::Viewer,
) -> CoreResult<Option<(Option<String>, bool)>> {
    let Some((space, _)) = crate::spaces::find_visible(conn, kind, slug, viewer, &[Locale::Fr])? else {
        return Ok(None);
    };
    Ok(Some((space.hero_image_key, space.published && !space.private)))
}
