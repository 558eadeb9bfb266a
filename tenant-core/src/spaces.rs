//! Participatory spaces: processes (with phases, one active at a time) and
//! assemblies, published or not, public or private (members only). Texts are kept
//! per locale and read in the visitor's language, else the tenant's default.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

use crate::content_versions::{ContentVersions, Version};
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::names::{Locale, SchemaName};
use crate::schema::tenant::{space_members, space_phases, spaces};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    Process,
    Assembly,
}

impl SpaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Process => "process",
            SpaceKind::Assembly => "assembly",
        }
    }
}

/// Text in several languages.
pub type Texts = BTreeMap<Locale, String>;

pub fn to_json(texts: &Texts) -> serde_json::Value {
    serde_json::Value::Object(texts.iter().map(|(l, t)| (l.as_str().to_owned(), t.clone().into())).collect())
}

/// The text in the first of `order` that has one, else any; with its language.
pub fn pick(value: &serde_json::Value, order: &[Locale]) -> (String, String) {
    for l in order {
        if let Some(t) = value.get(l.as_str()).and_then(|v| v.as_str()).filter(|t| !t.is_empty()) {
            return (t.to_owned(), l.as_str().to_owned());
        }
    }
    value
        .as_object()
        .and_then(|m| m.iter().find_map(|(k, v)| v.as_str().map(|t| (t.to_owned(), k.clone()))))
        .unwrap_or_default()
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = spaces)]
struct SpaceRow {
    id: i64,
    kind: String,
    slug: String,
    title: serde_json::Value,
    subtitle: serde_json::Value,
    description: serde_json::Value,
    hero_image_key: Option<String>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    private: bool,
    published_at: Option<DateTime<Utc>>,
}

/// A space as a page shows it, in one language.
#[derive(Clone, Debug, Serialize)]
pub struct Space {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub title_lang: String,
    pub subtitle: String,
    pub description: String,
    pub description_lang: String,
    pub hero_image_key: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub private: bool,
    pub published: bool,
}

fn view(row: SpaceRow, order: &[Locale]) -> Space {
    let (title, title_lang) = pick(&row.title, order);
    let (subtitle, _) = pick(&row.subtitle, order);
    let (description, description_lang) = pick(&row.description, order);
    Space {
        id: row.id,
        kind: row.kind,
        slug: row.slug,
        title,
        title_lang,
        subtitle,
        description,
        description_lang,
        hero_image_key: row.hero_image_key,
        start_date: row.start_date,
        end_date: row.end_date,
        private: row.private,
        published: row.published_at.is_some(),
    }
}

/// A phase of a process, in one language.
#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    pub id: i64,
    pub position: i32,
    pub title: String,
    pub description: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub active: bool,
}

/// id, position, title, description, start, end, active.
type PhaseRow = (i64, i32, serde_json::Value, serde_json::Value, Option<NaiveDate>, Option<NaiveDate>, bool);

/// A phase row in one language.
fn phase_view((id, position, title, description, start_date, end_date, active): PhaseRow, order: &[Locale]) -> Phase {
    Phase {
        id,
        position,
        title: pick(&title, order).0,
        description: pick(&description, order).0,
        start_date,
        end_date,
        active,
    }
}

/// What a new space needs.
pub struct NewSpace<'a> {
    pub kind: SpaceKind,
    pub slug: &'a str,
    pub title: &'a Texts,
    pub subtitle: &'a Texts,
    pub description: &'a Texts,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub private: bool,
    pub published: bool,
}

pub(crate) fn check_texts(field: &str, texts: &Texts, max: usize, required: bool) -> CoreResult<()> {
    if required && texts.values().all(|t| t.trim().is_empty()) {
        return Err(CoreError::Invalid(format!("{field}: required in at least one language")));
    }
    if texts.values().any(|t| t.chars().count() > max) {
        return Err(CoreError::Invalid(format!("{field}: at most {max} characters")));
    }
    Ok(())
}

/// Descriptions as sanitised rich text (plain text becomes paragraphs).
pub(crate) fn rich_texts(texts: &Texts) -> Texts {
    texts
        .iter()
        .map(|(l, t)| (*l, crate::richtext::sanitize(t)))
        .filter(|(_, t)| !crate::richtext::plain(t).is_empty())
        .collect()
}

/// Creates a space; a taken slug is a `Conflict`.
pub fn create(conn: &mut PgConnection, new: &NewSpace<'_>) -> CoreResult<i64> {
    let slug_ok = (2..=60).contains(&new.slug.len())
        && new.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !new.slug.starts_with('-');
    if !slug_ok {
        return Err(CoreError::Invalid("slug: 2 to 60 of a-z, 0-9 and '-'".into()));
    }
    check_texts("title", new.title, 200, true)?;
    check_texts("subtitle", new.subtitle, 300, false)?;
    check_texts("description", new.description, 20_000, false)?;
    if let (Some(s), Some(e)) = (new.start_date, new.end_date) {
        if e < s {
            return Err(CoreError::Invalid("end_date: on or after the start date".into()));
        }
    }
    let r = conn.transaction(|conn| {
        diesel::insert_into(spaces::table)
            .values((
                spaces::kind.eq(new.kind.as_str()),
                spaces::slug.eq(new.slug),
                spaces::title.eq(to_json(new.title)),
                spaces::subtitle.eq(to_json(new.subtitle)),
                spaces::description.eq(to_json(&rich_texts(new.description))),
                spaces::start_date.eq(new.start_date),
                spaces::end_date.eq(new.end_date),
                spaces::private.eq(new.private),
                spaces::published_at.eq(new.published.then(Utc::now)),
            ))
            .returning(spaces::id)
            .get_result::<i64>(conn)
    });
    match r {
        Ok(id) => Ok(id),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(CoreError::Conflict(format!("slug: a space {:?} already exists", new.slug)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a phase at the end of a process.
pub fn add_phase(
    conn: &mut PgConnection,
    space_id: i64,
    title: &Texts,
    description: &Texts,
    dates: (Option<NaiveDate>, Option<NaiveDate>),
) -> CoreResult<i64> {
    check_texts("title", title, 200, true)?;
    check_texts("description", description, 5_000, false)?;
    let next: Option<i32> = space_phases::table
        .filter(space_phases::space_id.eq(space_id))
        .select(diesel::dsl::max(space_phases::position))
        .first(conn)?;
    Ok(diesel::insert_into(space_phases::table)
        .values((
            space_phases::space_id.eq(space_id),
            space_phases::position.eq(next.map_or(0, |p| p + 1)),
            space_phases::title.eq(to_json(title)),
            space_phases::description.eq(to_json(description)),
            space_phases::start_date.eq(dates.0),
            space_phases::end_date.eq(dates.1),
        ))
        .returning(space_phases::id)
        .get_result(conn)?)
}

/// Makes `phase_id` the process's only active phase.
pub fn activate_phase(conn: &mut PgConnection, space_id: i64, phase_id: i64) -> CoreResult<()> {
    conn.transaction(|conn| {
        diesel::update(space_phases::table.filter(space_phases::space_id.eq(space_id)))
            .set(space_phases::active.eq(false))
            .execute(conn)?;
        let n = diesel::update(
            space_phases::table.filter(space_phases::id.eq(phase_id)).filter(space_phases::space_id.eq(space_id)),
        )
        .set(space_phases::active.eq(true))
        .execute(conn)?;
        if n == 0 {
            return Err(CoreError::NotFound("no such phase in this space".into()));
        }
        Ok(())
    })
}

pub fn add_member(conn: &mut PgConnection, space_id: i64, user_id: i64) -> CoreResult<()> {
    diesel::insert_into(space_members::table)
        .values((space_members::space_id.eq(space_id), space_members::user_id.eq(user_id)))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// Who is looking: nobody, a participant, or an administrator (who sees all).
#[derive(Clone, Copy, Debug)]
pub enum Viewer {
    Anonymous,
    Participant(i64),
    Admin,
}

/// The published spaces of `kind` the viewer may see: public ones, and private ones
/// they are a member of (administrators see every published space).
pub fn list_visible(
    conn: &mut PgConnection,
    kind: SpaceKind,
    viewer: Viewer,
    order: &[Locale],
) -> CoreResult<Vec<Space>> {
    let mut q =
        spaces::table.filter(spaces::kind.eq(kind.as_str())).filter(spaces::published_at.is_not_null()).into_boxed();
    match viewer {
        Viewer::Admin => {}
        Viewer::Anonymous => q = q.filter(spaces::private.eq(false)),
        Viewer::Participant(user) => {
            let mine = space_members::table.filter(space_members::user_id.eq(user)).select(space_members::space_id);
            q = q.filter(spaces::private.eq(false).or(spaces::id.eq_any(mine)));
        }
    }
    let rows: Vec<SpaceRow> = q.order((spaces::position, spaces::id)).select(SpaceRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|r| view(r, order)).collect())
}

/// One space by slug, if the viewer may see it, with its phases.
pub fn find_visible(
    conn: &mut PgConnection,
    kind: SpaceKind,
    slug: &str,
    viewer: Viewer,
    order: &[Locale],
) -> CoreResult<Option<(Space, Vec<Phase>)>> {
    let row: Option<SpaceRow> = spaces::table
        .filter(spaces::kind.eq(kind.as_str()))
        .filter(spaces::slug.eq(slug))
        .select(SpaceRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let access = Access { published: row.published_at.is_some(), private: row.private };
    if !access.allows(conn, row.id, viewer)? {
        return Ok(None);
    }
    let phases: Vec<PhaseRow> = space_phases::table
        .filter(space_phases::space_id.eq(row.id))
        .order(space_phases::position)
        .select((
            space_phases::id,
            space_phases::position,
            space_phases::title,
            space_phases::description,
            space_phases::start_date,
            space_phases::end_date,
            space_phases::active,
        ))
        .load(conn)?;
    let phases = phases.into_iter().map(|row| phase_view(row, order)).collect();
    Ok(Some((view(row, order), phases)))
}

/// A component page's place, as [`find_place`] reads it.
#[derive(Clone, Debug)]
pub struct Place {
    pub space: Space,
    pub phases: Vec<Phase>,
    /// The component asked for, when it belongs to this space.
    pub component: Option<crate::components::Component>,
    /// The space's categories in order: id and names by locale.
    pub categories: Vec<(i64, serde_json::Value)>,
}

#[derive(QueryableByName)]
struct PlaceRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    slug: String,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    title: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    subtitle: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    description: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    hero_image_key: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    start_date: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    end_date: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    private: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    published_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    phases: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    component: Option<serde_json::Value>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    categories: serde_json::Value,
}

fn json_error(e: serde_json::Error) -> CoreError {
    CoreError::Database(DieselError::DeserializationError(Box::new(e)))
}

/// What [`find_visible`] finds, with the component `component_id` of that space and
/// the space's categories, in one statement: component pages read all of it on every
/// request. `None` when the viewer may not see the space (as [`find_visible`] decides).
pub fn find_place(
    conn: &mut PgConnection,
    kind: SpaceKind,
    slug: &str,
    component_id: i64,
    viewer: Viewer,
    order: &[Locale],
) -> CoreResult<Option<Place>> {
    let Some((place, access)) = load_place(conn, kind, slug, component_id, order)? else { return Ok(None) };
    Ok(access.allows(conn, place.space.id, viewer)?.then_some(place))
}

/// Who a space is for: what [`find_visible`] checks for a viewer.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub published: bool,
    pub private: bool,
}

impl Access {
    /// Whether `viewer` may see the space (a membership is looked up only for a
    /// participant at a private space).
    pub fn allows(self, conn: &mut PgConnection, space_id: i64, viewer: Viewer) -> CoreResult<bool> {
        Ok(match viewer {
            Viewer::Admin => true,
            _ if !self.published => false,
            _ if !self.private => true,
            Viewer::Anonymous => false,
            Viewer::Participant(user) => {
                let n: i64 = space_members::table
                    .filter(space_members::space_id.eq(space_id))
                    .filter(space_members::user_id.eq(user))
                    .count()
                    .get_result(conn)?;
                n > 0
            }
        })
    }
}

/// The place whoever looks, and who may see it.
fn load_place(
    conn: &mut PgConnection,
    kind: SpaceKind,
    slug: &str,
    component_id: i64,
    order: &[Locale],
) -> CoreResult<Option<(Place, Access)>> {
    let row: Option<PlaceRow> = prepared(
        "SELECT s.id, s.kind, s.slug, s.title, s.subtitle, s.description, s.hero_image_key, s.start_date,
                s.end_date, s.private, s.published_at,
                coalesce((SELECT jsonb_agg(jsonb_build_array(ph.id, ph.position, ph.title, ph.description,
                                                             ph.start_date, ph.end_date, ph.active) ORDER BY ph.position)
                          FROM space_phases ph WHERE ph.space_id = s.id), '[]') AS phases,
                (SELECT to_jsonb(c) FROM (SELECT c.id, c.space_id, c.module, c.name, c.position, c.settings,
                                                 c.phase_settings, c.published_at
                                          FROM components c WHERE c.id = $3 AND c.space_id = s.id) c) AS component,
                coalesce((SELECT jsonb_agg(jsonb_build_array(k.id, k.name) ORDER BY k.position, k.id)
                          FROM space_categories k WHERE k.space_id = s.id), '[]') AS categories
         FROM spaces s WHERE s.kind = $1 AND s.slug = $2",
    )
    .bind::<diesel::sql_types::Text, _>(kind.as_str())
    .bind::<diesel::sql_types::Text, _>(slug)
    .bind::<diesel::sql_types::BigInt, _>(component_id)
    .get_result(conn)
    .optional()?;
    let Some(r) = row else { return Ok(None) };
    let access = Access { published: r.published_at.is_some(), private: r.private };
    let phases: Vec<PhaseRow> = serde_json::from_value(r.phases).map_err(json_error)?;
    let phases = phases.into_iter().map(|row| phase_view(row, order)).collect();
    let component = r.component.map(|c| crate::components::from_json(c, order)).transpose()?;
    let categories: Vec<(i64, serde_json::Value)> = serde_json::from_value(r.categories).map_err(json_error)?;
    let space = view(
        SpaceRow {
            id: r.id,
            kind: r.kind,
            slug: r.slug,
            title: r.title,
            subtitle: r.subtitle,
            description: r.description,
            hero_image_key: r.hero_image_key,
            start_date: r.start_date,
            end_date: r.end_date,
            private: r.private,
            published_at: r.published_at,
        },
        order,
    );
    Ok(Some((Place { space, phases, component, categories }, access)))
}

/// Places read by component pages, kept in memory per tenant schema until that
/// tenant's places change ([`ContentVersions`]) or for [`PlaceCache::MAX_AGE`] at most.
/// The component pages of a busy space no longer read the space, its phases, the
/// component and the categories on every request (see BENCHMARKS.md).
#[derive(Default)]
pub struct PlaceCache {
    entries: parking_lot::RwLock<HashMap<PlaceKey, CachedPlace>>,
    pub hits: std::sync::atomic::AtomicU64,
    pub misses: std::sync::atomic::AtomicU64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PlaceKey {
    schema: String,
    kind: SpaceKind,
    slug: String,
    component: i64,
    order: Vec<Locale>,
}

struct CachedPlace {
    version: Version,
    at: std::time::Instant,
    place: Arc<(Place, Access)>,
}

impl PlaceCache {
    /// A safety net: even without a notification, a place is read again after this.
    pub const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);
    const MAX_ENTRIES: usize = 20_000;

    /// [`find_place`] through the cache. `conn` must be scoped to `schema`'s tenant.
    #[allow(clippy::too_many_arguments)]
    pub fn find_place(
        &self,
        versions: &ContentVersions,
        schema: &SchemaName,
        conn: &mut PgConnection,
        kind: SpaceKind,
        slug: &str,
        component_id: i64,
        viewer: Viewer,
        order: &[Locale],
    ) -> CoreResult<Option<Place>> {
        use std::sync::atomic::Ordering::Relaxed;
        let key = PlaceKey {
            schema: schema.as_str().to_owned(),
            kind,
            slug: slug.to_owned(),
            component: component_id,
            order: order.to_vec(),
        };
        // The version is read before the database: a change committed after this
        // read bumps it, so what is stored below is never taken for newer than it is.
        let version = versions.get(schema.as_str());
        let cached = self
            .entries
            .read()
            .get(&key)
            .filter(|e| e.version == version && e.at.elapsed() < Self::MAX_AGE)
            .map(|e| Arc::clone(&e.place));
        let found = match cached {
            Some(found) => {
                self.hits.fetch_add(1, Relaxed);
                found
            }
            None => {
                self.misses.fetch_add(1, Relaxed);
                let Some(loaded) = load_place(conn, kind, slug, component_id, order)? else { return Ok(None) };
                let loaded = Arc::new(loaded);
                let mut entries = self.entries.write();
                if entries.len() >= Self::MAX_ENTRIES {
                    entries.clear();
                }
                entries.insert(key, CachedPlace { version, at: std::time::Instant::now(), place: Arc::clone(&loaded) });
                loaded
            }
        };
        let (place, access) = &*found;
        Ok(access.allows(conn, place.space.id, viewer)?.then(|| place.clone()))
    }
}

/// Every space, published or not, for the tenant's administrators.
pub fn list_all(conn: &mut PgConnection, order: &[Locale]) -> CoreResult<Vec<Space>> {
    let rows: Vec<SpaceRow> =
        spaces::table.order((spaces::kind, spaces::position, spaces::id)).select(SpaceRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|r| view(r, order)).collect())
}

/// One space by id with its phases, whatever its state (administrators).
pub fn find_any(conn: &mut PgConnection, id: i64, order: &[Locale]) -> CoreResult<Option<(Space, Vec<Phase>)>> {
    let row: Option<SpaceRow> = spaces::table.find(id).select(SpaceRow::as_select()).first(conn).optional()?;
    let Some(row) = row else { return Ok(None) };
    let kind = if row.kind == "assembly" { SpaceKind::Assembly } else { SpaceKind::Process };
    let slug = row.slug.clone();
    find_visible(conn, kind, &slug, Viewer::Admin, order)
}

/// Publishes or unpublishes a space.
pub fn set_published(conn: &mut PgConnection, id: i64, published: bool) -> CoreResult<()> {
    let n = diesel::update(spaces::table.find(id))
        .set((spaces::published_at.eq(published.then(Utc::now)), spaces::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    if n == 0 {
        return Err(CoreError::NotFound("no such space".into()));
    }
    Ok(())
}

/// Whether the viewer may see the space with this id (as [`find_visible`] decides).
pub fn visible_by_id(conn: &mut PgConnection, id: i64, viewer: Viewer) -> CoreResult<bool> {
    let row: Option<(String, String)> =
        spaces::table.find(id).select((spaces::kind, spaces::slug)).first(conn).optional()?;
    let Some((kind, slug)) = row else { return Ok(false) };
    let kind = if kind == "assembly" { SpaceKind::Assembly } else { SpaceKind::Process };
    Ok(find_visible(conn, kind, &slug, viewer, &[])?.is_some())
}
