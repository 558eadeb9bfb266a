//! Static pages (about, legal notice, accessibility statement...).
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::schema::tenant::pages;

/// A page as listed on the home page and in navigation.
#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = pages)]
pub struct PageSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
}

/// A whole page.
#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = pages)]
pub struct Page {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A page to create or replace.
#[derive(Clone, Debug)]
pub struct PageInput {
    pub slug: String,
    pub locale: Locale,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub position: i32,
}

impl PageInput {
    fn check(&self) -> CoreResult<()> {
        let s = self.slug.as_bytes();
        let slug_ok = (1..=80).contains(&s.len())
            && (s[0].is_ascii_lowercase() || s[0].is_ascii_digit())
            && s.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if !slug_ok {
            return Err(CoreError::Invalid(format!("invalid page slug {:?}", self.slug)));
        }
        if self.title.trim().is_empty() || self.title.chars().count() > 200 {
            return Err(CoreError::Invalid("a page title has 1 to 200 characters".into()));
        }
        Ok(())
    }
}

/// Published pages in `locale`, in menu order.
pub fn list_published(conn: &mut PgConnection, locale: Locale) -> CoreResult<Vec<PageSummary>> {
    Ok(pages::table
        .filter(pages::locale.eq(locale.as_str()).and(pages::published.eq(true)))
        .order((pages::position, pages::title))
        .select(PageSummary::as_select())
        .load(conn)?)
}

/// The published page `slug` in the first of `locales` that has it.
pub fn find_published(conn: &mut PgConnection, slug: &str, locales: &[Locale]) -> CoreResult<Option<Page>> {
    let codes: Vec<&str> = locales.iter().map(|l| l.as_str()).collect();
    let found: Vec<Page> = pages::table
        .filter(pages::slug.eq(slug).and(pages::published.eq(true)).and(pages::locale.eq_any(&codes)))
        .select(Page::as_select())
        .load(conn)?;
    Ok(codes.iter().find_map(|code| found.iter().find(|p| p.locale == *code).cloned()))
}

/// Creates the page, or replaces the one with the same slug and locale.
pub fn upsert(conn: &mut PgConnection, page: &PageInput) -> CoreResult<()> {
    page.check()?;
    diesel::insert_into(pages::table)
        .values((
            pages::slug.eq(&page.slug),
            pages::locale.eq(page.locale.as_str()),
            pages::title.eq(&page.title),
            pages::summary.eq(&page.summary),
            pages::body.eq(&page.body),
            pages::position.eq(page.position),
        ))
        .on_conflict((pages::slug, pages::locale))
        .do_update()
        .set((
            pages::title.eq(&page.title),
            pages::summary.eq(&page.summary),
            pages::body.eq(&page.body),
            pages::position.eq(page.position),
            pages::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Largest page body accepted, in bytes of input (a legal notice can be long).
pub const MAX_BODY_BYTES: usize = 100_000;

/// One page in the admins' list, with its title in each language.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AdminListed {
    pub slug: String,
    pub position: i32,
    pub published: bool,
    /// Language code → title.
    pub titles: std::collections::BTreeMap<String, String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

type AdminRow = (String, String, String, i32, bool, chrono::DateTime<chrono::Utc>);

/// Every page, published or draft, in menu order.
pub fn list_all(conn: &mut PgConnection) -> CoreResult<Vec<AdminListed>> {
    let rows: Vec<AdminRow> = pages::table
        .order((pages::position, pages::slug, pages::locale))
        .select((pages::slug, pages::locale, pages::title, pages::position, pages::published, pages::updated_at))
        .load(conn)?;
    let mut out: Vec<AdminListed> = Vec::new();
    for (slug, locale, title, position, published, updated_at) in rows {
        match out.iter_mut().find(|p| p.slug == slug) {
            Some(p) => {
                p.titles.insert(locale, title);
                p.published |= published;
                p.updated_at = p.updated_at.max(updated_at);
            }
            None => out.push(AdminListed {
                slug,
                position,
                published,
                titles: [(locale, title)].into_iter().collect(),
                updated_at,
            }),
        }
    }
    Ok(out)
}

/// The texts of a page in one language.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PageTexts {
    pub title: String,
    pub summary: String,
    /// Sanitised HTML once stored.
    pub body: String,
}

/// A page in every language, for the edit form and for saving.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct EditablePage {
    pub slug: String,
    pub position: i32,
    pub published: bool,
    /// Language code → texts; a language without a title has no version.
    pub texts: std::collections::BTreeMap<String, PageTexts>,
}

pub fn editable(conn: &mut PgConnection, slug: &str) -> CoreResult<Option<EditablePage>> {
    let rows: Vec<(String, String, String, String, i32, bool)> = pages::table
        .filter(pages::slug.eq(slug))
        .select((pages::locale, pages::title, pages::summary, pages::body, pages::position, pages::published))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut page = EditablePage { slug: slug.to_owned(), ..EditablePage::default() };
    for (locale, title, summary, body, position, published) in rows {
        page.position = position;
        page.published |= published;
        page.texts.insert(locale, PageTexts { title, summary, body });
    }
    Ok(Some(page))
}

fn check_slug(slug: &str) -> CoreResult<()> {
    let s = slug.as_bytes();
    let ok = (1..=80).contains(&s.len())
        && (s[0].is_ascii_lowercase() || s[0].is_ascii_digit())
        && s.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::Invalid("slug: 1 to 80 of a-z, 0-9 and '-', starting with a letter or digit".into()))
    }
}

/// Creates a page (`original` None) or replaces one (its slug may change), all its
/// languages at once, in one transaction. Bodies are sanitised rich text. A language
/// left without a title is removed; at least one must have one.
pub fn save(conn: &mut PgConnection, original: Option<&str>, page: &EditablePage) -> CoreResult<()> {
    check_slug(&page.slug)?;
    if !(-10_000..=10_000).contains(&page.position) {
        return Err(CoreError::Invalid("position: a number from -10000 to 10000".into()));
    }
    let mut rows = Vec::new();
    for (code, texts) in &page.texts {
        let locale = Locale::parse(code)?;
        let title = texts.title.trim();
        if title.is_empty() {
            continue;
        }
        if title.chars().count() > 200 {
            return Err(CoreError::Invalid(format!("title_{code}: at most 200 characters")));
        }
        if texts.summary.chars().count() > 300 {
            return Err(CoreError::Invalid(format!("summary_{code}: at most 300 characters")));
        }
        if texts.body.len() > MAX_BODY_BYTES {
            return Err(CoreError::Invalid(format!("body_{code}: at most {} kB", MAX_BODY_BYTES / 1000)));
        }
        rows.push((locale, title.to_owned(), texts.summary.trim().to_owned(), crate::richtext::sanitize(&texts.body)));
    }
    if rows.is_empty() {
        return Err(CoreError::Invalid("title: required in at least one language".into()));
    }
    conn.transaction(|conn| {
        let taken: i64 = pages::table.filter(pages::slug.eq(&page.slug)).count().get_result(conn)?;
        if taken > 0 && original != Some(page.slug.as_str()) {
            return Err(CoreError::Conflict(format!("slug: a page {:?} already exists", page.slug)));
        }
        if let Some(original) = original {
            let n = diesel::delete(pages::table.filter(pages::slug.eq(original))).execute(conn)?;
            if n == 0 {
                return Err(CoreError::NotFound("no such page".into()));
            }
        }
        for (locale, title, summary, body) in &rows {
            diesel::insert_into(pages::table)
                .values((
                    pages::slug.eq(&page.slug),
                    pages::locale.eq(locale.as_str()),
                    pages::title.eq(title),
                    pages::summary.eq(summary),
                    pages::body.eq(body),
                    pages::position.eq(page.position),
                    pages::published.eq(page.published),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Removes a page in every language; false when there was none.
pub fn delete(conn: &mut PgConnection, slug: &str) -> CoreResult<bool> {
    Ok(diesel::delete(pages::table.filter(pages::slug.eq(slug))).execute(conn)? > 0)
}
