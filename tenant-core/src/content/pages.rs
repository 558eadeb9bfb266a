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
