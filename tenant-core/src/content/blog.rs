//! News posts.
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::schema::tenant::blog_posts;

#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = blog_posts)]
pub struct Post {
    pub id: i64,
    pub locale: String,
    pub title: String,
    pub body: String,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The newest published posts in `locale`.
pub fn latest(conn: &mut PgConnection, locale: Locale, limit: i64) -> CoreResult<Vec<Post>> {
    Ok(blog_posts::table
        .filter(blog_posts::locale.eq(locale.as_str()).and(blog_posts::published_at.is_not_null()))
        .order((blog_posts::published_at.desc(), blog_posts::id.desc()))
        .limit(limit)
        .select(Post::as_select())
        .load(conn)?)
}

/// A published post by id.
pub fn find_published(conn: &mut PgConnection, id: i64) -> CoreResult<Option<Post>> {
    Ok(blog_posts::table
        .filter(blog_posts::id.eq(id).and(blog_posts::published_at.is_not_null()))
        .select(Post::as_select())
        .first(conn)
        .optional()?)
}

/// Publishes a post now; returns its id.
pub fn publish(conn: &mut PgConnection, locale: Locale, title: &str, body: &str) -> CoreResult<i64> {
    if title.trim().is_empty() || title.chars().count() > 200 {
        return Err(CoreError::Invalid("a post title has 1 to 200 characters".into()));
    }
    Ok(diesel::insert_into(blog_posts::table)
        .values((
            blog_posts::locale.eq(locale.as_str()),
            blog_posts::title.eq(title),
            blog_posts::body.eq(body),
            blog_posts::published_at.eq(diesel::dsl::now),
        ))
        .returning(blog_posts::id)
        .get_result(conn)?)
}
