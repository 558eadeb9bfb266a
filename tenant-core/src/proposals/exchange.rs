//! Import and export of a component's proposals, as CSV or JSON. The export is
//! open data: public fields only (the author's public nickname, never an email).
//! An import is all or nothing: one bad row refuses the file and names the row.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};

use super::write::{add_version, check, Draft};
use super::{search_config, Category, Settings};
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::names::Locale;

/// Rows accepted in one import.
pub const MAX_IMPORT_ROWS: usize = 5000;

#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct ExportRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    #[serde(skip)]
    pub category_id: Option<i64>,
    #[diesel(sql_type = Text)]
    #[serde(default)]
    pub category: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub address: Option<String>,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub answer_state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub answer: Option<String>,
    #[diesel(sql_type = Integer)]
    pub supports: i32,
    #[diesel(sql_type = Integer)]
    pub comments: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub author: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
}

/// Every visible proposal of a component (hidden ones are left out of open data).
pub fn export(conn: &mut PgConnection, component_id: i64, categories: &[Category]) -> CoreResult<Vec<ExportRow>> {
    let mut rows: Vec<ExportRow> = prepared(
        "SELECT p.id, p.title, p.body_text AS body, p.category_id, '' AS category, p.address, p.state, p.answer_state,
                p.answer, p.supports_count AS supports, p.comments_count AS comments, u.nickname AS author, p.published_at
         FROM proposals p LEFT JOIN users u ON u.id = p.author_id
         WHERE p.component_id = $1 AND p.hidden_at IS NULL ORDER BY p.id",
    )
    .bind::<BigInt, _>(component_id)
    .load(conn)?;
    for r in &mut rows {
        r.category = r
            .category_id
            .and_then(|c| categories.iter().find(|k| k.id == c))
            .map(|k| k.name.clone())
            .unwrap_or_default();
        r.answer = r.answer.as_deref().map(crate::richtext::plain);
    }
    Ok(rows)
}

pub fn to_csv(rows: &[ExportRow]) -> CoreResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "title",
        "body",
        "category",
        "address",
        "state",
        "answer_state",
        "answer",
        "supports",
        "comments",
        "author",
        "published_at",
    ])
    .map_err(csv_error)?;
    for r in rows {
        w.write_record([
            r.id.to_string(),
            r.title.clone(),
            r.body.clone(),
            r.category.clone(),
            r.address.clone().unwrap_or_default(),
            r.state.clone(),
            r.answer_state.clone().unwrap_or_default(),
            r.answer.clone().unwrap_or_default(),
            r.supports.to_string(),
            r.comments.to_string(),
            r.author.clone().unwrap_or_default(),
            r.published_at.to_rfc3339(),
        ])
        .map_err(csv_error)?;
    }
    w.into_inner().map_err(|e| CoreError::Invalid(format!("csv: {e}")))
}

fn csv_error(e: csv::Error) -> CoreError {
    CoreError::Invalid(format!("csv: {e}"))
}

/// One proposal to import.
#[derive(Clone, Debug, Deserialize)]
pub struct ImportRow {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub address: String,
}

/// Reads a CSV file with a header row naming at least `title` and `body`.
pub fn parse_csv(bytes: &[u8]) -> CoreResult<Vec<ImportRow>> {
    let text = std::str::from_utf8(bytes).map_err(|_| CoreError::Invalid("file: not UTF-8 text".into()))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new().trim(csv::Trim::Headers).from_reader(text.as_bytes());
    let headers = r.headers().map_err(csv_error)?.clone();
    for needed in ["title", "body"] {
        if !headers.iter().any(|h| h == needed) {
            return Err(CoreError::Invalid(format!("file: the header row must name a \"{needed}\" column")));
        }
    }
    let mut out = Vec::new();
    for (i, rec) in r.deserialize::<ImportRow>().enumerate() {
        let row = rec.map_err(|e| CoreError::Invalid(format!("line {}: {e}", i + 2)))?;
        out.push(row);
        if out.len() > MAX_IMPORT_ROWS {
            return Err(CoreError::Invalid(format!("file: at most {MAX_IMPORT_ROWS} proposals per import")));
        }
    }
    Ok(out)
}

/// Reads a JSON array of objects with `title`, `body` and optional `category`, `address`.
pub fn parse_json(bytes: &[u8]) -> CoreResult<Vec<ImportRow>> {
    let rows: Vec<ImportRow> =
        serde_json::from_slice(bytes).map_err(|e| CoreError::Invalid(format!("file: not the expected JSON ({e})")))?;
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(CoreError::Invalid(format!("file: at most {MAX_IMPORT_ROWS} proposals per import")));
    }
    Ok(rows)
}

/// Imports rows as official proposals, all or none. Categories are matched by name
/// in any language. Returns how many were imported.
pub fn import(
    conn: &mut PgConnection,
    component_id: i64,
    rows: &[ImportRow],
    categories: &[Category],
    settings: &Settings,
    locale: Locale,
) -> CoreResult<usize> {
    if rows.is_empty() {
        return Err(CoreError::Invalid("file: no proposal in it".into()));
    }
    let find_category = |name: &str| -> Option<i64> {
        let name = name.trim().to_lowercase();
        categories
            .iter()
            .find(|c| {
                c.names
                    .as_object()
                    .is_some_and(|m| m.values().any(|v| v.as_str().is_some_and(|s| s.to_lowercase() == name)))
            })
            .map(|c| c.id)
    };
    let mut checked = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let category_id = if r.category.trim().is_empty() {
            None
        } else {
            Some(find_category(&r.category).ok_or_else(|| {
                CoreError::Invalid(format!("proposal {}: no category named {:?} in this space", i + 1, r.category))
            })?)
        };
        let draft = Draft { title: r.title.clone(), body: r.body.clone(), category_id, address: r.address.clone() };
        checked.push(check(&draft, settings).map_err(|e| CoreError::Invalid(format!("proposal {}: {e}", i + 1)))?);
    }
    conn.transaction(|conn| {
        for c in &checked {
            #[derive(QueryableByName)]
            struct Id {
                #[diesel(sql_type = BigInt)]
                id: i64,
            }
            let row: Id = prepared(
                "INSERT INTO proposals (component_id, author_id, title, body, body_text, category_id, address, search_config)
                 VALUES ($1, NULL, $2, $3, $4, $5, $6, $7::regconfig) RETURNING id",
            )
            .bind::<BigInt, _>(component_id)
            .bind::<Text, _>(&c.title)
            .bind::<Text, _>(&c.body)
            .bind::<Text, _>(&c.body_text)
            .bind::<Nullable<BigInt>, _>(c.category_id)
            .bind::<Nullable<Text>, _>(c.address.as_deref())
            .bind::<Text, _>(search_config(locale))
            .get_result(conn)?;
            add_version(conn, row.id, 1, &c.title, &c.body, None, "imported", None)?;
        }
        Ok(checked.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_needs_title_and_body_and_names_the_bad_line() {
        assert!(parse_csv(b"name,text\na,b\n").is_err());
        let rows =
            parse_csv("\u{feff}title,body,category\n\"Des bancs\",\"Plus de bancs, place Carnot\",Voirie\n".as_bytes())
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].body, "Plus de bancs, place Carnot");
        assert_eq!(rows[0].category, "Voirie");
        let err = parse_csv(b"title,body\n\"unclosed,x\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("line") || err.contains("csv"), "{err}");
    }
}
