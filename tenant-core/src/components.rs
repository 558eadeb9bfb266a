//! Components: a module (proposals, budgets; debates... later) placed in a
//! participatory space, with its settings for the whole component and per phase of
//! the space. Settings are kept as JSON; each module reads them into its own typed
//! struct (e.g. `proposals::Settings`), so unknown or missing keys take defaults.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;

use crate::error::{CoreError, CoreResult};
use crate::names::{Locale, ModuleName};
use crate::schema::tenant::components;
use crate::spaces::{pick, to_json, Texts};

/// The key of the settings used when the space has no active phase (assemblies,
/// or a process between phases).
pub const DEFAULT_PHASE: &str = "default";

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = components)]
struct Row {
    id: i64,
    space_id: i64,
    module: String,
    name: serde_json::Value,
    position: i32,
    settings: serde_json::Value,
    phase_settings: serde_json::Value,
    published_at: Option<DateTime<Utc>>,
}

/// A component as pages show it, in one language.
#[derive(Clone, Debug, Serialize)]
pub struct Component {
    pub id: i64,
    pub space_id: i64,
    pub module: String,
    pub name: String,
    /// The name in every language, for the admin forms.
    pub names: serde_json::Value,
    pub position: i32,
    pub settings: serde_json::Value,
    pub phase_settings: serde_json::Value,
    pub published: bool,
}

impl Component {
    /// The settings of one phase (a phase id, or `DEFAULT_PHASE`), `{}` when unset.
    pub fn settings_for_phase(&self, phase: Option<i64>) -> serde_json::Value {
        let key = phase.map(|p| p.to_string()).unwrap_or_else(|| DEFAULT_PHASE.to_owned());
        self.phase_settings.get(&key).cloned().unwrap_or_else(|| serde_json::json!({}))
    }
}

/// A component's row as [`crate::spaces::find_place`] reads it (JSON), in one language.
pub(crate) fn from_json(v: serde_json::Value, order: &[Locale]) -> CoreResult<Component> {
    #[derive(serde::Deserialize)]
    struct J {
        id: i64,
        space_id: i64,
        module: String,
        name: serde_json::Value,
        position: i32,
        settings: serde_json::Value,
        phase_settings: serde_json::Value,
        published_at: Option<DateTime<Utc>>,
    }
    let j: J = serde_json::from_value(v)
        .map_err(|e| CoreError::Database(diesel::result::Error::DeserializationError(Box::new(e))))?;
    Ok(view(
        Row {
            id: j.id,
            space_id: j.space_id,
            module: j.module,
            name: j.name,
            position: j.position,
            settings: j.settings,
            phase_settings: j.phase_settings,
            published_at: j.published_at,
        },
        order,
    ))
}

fn view(r: Row, order: &[Locale]) -> Component {
    Component {
        id: r.id,
        space_id: r.space_id,
        module: r.module,
        name: pick(&r.name, order).0,
        names: r.name,
        position: r.position,
        settings: r.settings,
        phase_settings: r.phase_settings,
        published: r.published_at.is_some(),
    }
}

/// Adds a component at the end of a space, unpublished, with the given settings.
pub fn create(
    conn: &mut PgConnection,
    space_id: i64,
    module: ModuleName,
    name: &Texts,
    settings: &serde_json::Value,
) -> CoreResult<i64> {
    if name.values().all(|t| t.trim().is_empty()) {
        return Err(CoreError::Invalid("name: required in at least one language".into()));
    }
    if name.values().any(|t| t.chars().count() > 100) {
        return Err(CoreError::Invalid("name: at most 100 characters".into()));
    }
    let next: Option<i32> = components::table
        .filter(components::space_id.eq(space_id))
        .select(diesel::dsl::max(components::position))
        .first(conn)?;
    Ok(diesel::insert_into(components::table)
        .values((
            components::space_id.eq(space_id),
            components::module.eq(module.as_str()),
            components::name.eq(to_json(name)),
            components::position.eq(next.map_or(0, |p| p + 1)),
            components::settings.eq(settings),
        ))
        .returning(components::id)
        .get_result(conn)?)
}

/// Replaces a component's name and settings (already checked by its module).
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    name: &Texts,
    settings: &serde_json::Value,
    phase_settings: &serde_json::Value,
) -> CoreResult<()> {
    if name.values().all(|t| t.trim().is_empty()) {
        return Err(CoreError::Invalid("name: required in at least one language".into()));
    }
    let n = diesel::update(components::table.find(id))
        .set((
            components::name.eq(to_json(name)),
            components::settings.eq(settings),
            components::phase_settings.eq(phase_settings),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(CoreError::NotFound("no such component".into()));
    }
    Ok(())
}

pub fn set_published(conn: &mut PgConnection, id: i64, published: bool) -> CoreResult<()> {
    let n = diesel::update(components::table.find(id))
        .set(components::published_at.eq(published.then(Utc::now)))
        .execute(conn)?;
    if n == 0 {
        return Err(CoreError::NotFound("no such component".into()));
    }
    Ok(())
}

/// A space's components in order; unpublished ones only when `all`.
pub fn list_for_space(
    conn: &mut PgConnection,
    space_id: i64,
    all: bool,
    order: &[Locale],
) -> CoreResult<Vec<Component>> {
    let mut q = components::table.filter(components::space_id.eq(space_id)).into_boxed();
    if !all {
        q = q.filter(components::published_at.is_not_null());
    }
    let rows: Vec<Row> = q.order((components::position, components::id)).select(Row::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|r| view(r, order)).collect())
}

/// One component by id, published or not (the caller checks what the viewer may see).
pub fn find(conn: &mut PgConnection, id: i64, order: &[Locale]) -> CoreResult<Option<Component>> {
    let row: Option<Row> = components::table.find(id).select(Row::as_select()).first(conn).optional()?;
    Ok(row.map(|r| view(r, order)))
}
