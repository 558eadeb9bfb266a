//! A budget project's images: several per project (a site, a sketch, a map), each with
//! its text alternative, in order. The files live in the blob store; a row names one
//! only once it is stored, and the caller deletes a file after the commit that dropped
//! its row.
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use serde::Serialize;

use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};

/// Images a project may have.
pub const MAX_PER_PROJECT: usize = 6;

/// Longest text alternative, in characters.
pub const ALT_MAX_CHARS: usize = 300;

/// One image of a project.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct ProjectImage {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub project_id: i64,
    /// The file's key in the blob store, `<tenant id>/budgets/...`.
    #[diesel(sql_type = Text)]
    pub blob_key: String,
    #[diesel(sql_type = Text)]
    pub alt: String,
    #[diesel(sql_type = Integer)]
    pub position: i32,
}

impl ProjectImage {
    /// A token that changes with the file, for URLs that browsers may cache for long.
    pub fn version(&self) -> &str {
        self.blob_key.rsplit('/').next().unwrap_or("")
    }
}

const COLUMNS: &str = "i.id, i.project_id, i.blob_key, i.alt, i.position";

/// A text alternative as stored: one line, at most [`ALT_MAX_CHARS`].
pub fn check_alt(alt: &str) -> CoreResult<String> {
    super::projects::one_line("image_alt", alt, ALT_MAX_CHARS)
}

/// One project's images, in order.
pub fn list(conn: &mut PgConnection, project_id: i64) -> CoreResult<Vec<ProjectImage>> {
    Ok(prepared(format!(
        "SELECT {COLUMNS} FROM budget_project_images i WHERE i.project_id = $1 ORDER BY i.position, i.id"
    ))
    .bind::<BigInt, _>(project_id)
    .load(conn)?)
}

/// The images of every project of a budget, by project then in order.
pub fn of_budget(conn: &mut PgConnection, budget_id: i64) -> CoreResult<Vec<ProjectImage>> {
    Ok(prepared(format!(
        "SELECT {COLUMNS} FROM budget_project_images i JOIN budget_projects p ON p.id = i.project_id
         WHERE p.budget_id = $1 ORDER BY i.project_id, i.position, i.id"
    ))
    .bind::<BigInt, _>(budget_id)
    .load(conn)?)
}

/// One image, if it belongs to that project of that budget.
pub fn find(conn: &mut PgConnection, budget_id: i64, project_id: i64, id: i64) -> CoreResult<Option<ProjectImage>> {
    Ok(prepared(format!(
        "SELECT {COLUMNS} FROM budget_project_images i JOIN budget_projects p ON p.id = i.project_id
         WHERE i.id = $1 AND i.project_id = $2 AND p.budget_id = $3"
    ))
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(project_id)
    .bind::<BigInt, _>(budget_id)
    .get_result(conn)
    .optional()?)
}

/// Adds a stored file as the project's last image. Refused past [`MAX_PER_PROJECT`].
pub fn add(conn: &mut PgConnection, budget_id: i64, project_id: i64, blob_key: &str, alt: &str) -> CoreResult<i64> {
    let alt = check_alt(alt)?;
    conn.transaction(|conn| {
        // The project's row, locked: two uploads at once cannot both take the last place.
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let found: Option<Id> = prepared("SELECT id FROM budget_projects WHERE id = $1 AND budget_id = $2 FOR UPDATE")
            .bind::<BigInt, _>(project_id)
            .bind::<BigInt, _>(budget_id)
            .get_result(conn)
            .optional()?;
        found.ok_or_else(|| CoreError::NotFound("no such project".into()))?;
        let current = list(conn, project_id)?;
        if current.len() >= MAX_PER_PROJECT {
            return Err(CoreError::Conflict(format!(
                "image: a project has at most {MAX_PER_PROJECT} images; remove one first"
            )));
        }
        let position = current.iter().map(|i| i.position + 1).max().unwrap_or(0);
        let id: Id = prepared(
            "INSERT INTO budget_project_images (project_id, blob_key, alt, position) VALUES ($1, $2, $3, $4)
             RETURNING id",
        )
        .bind::<BigInt, _>(project_id)
        .bind::<Text, _>(blob_key)
        .bind::<Text, _>(&alt)
        .bind::<Integer, _>(position)
        .get_result(conn)?;
        Ok(id.id)
    })
}

/// Changes the text alternatives of a project's images (`(image id, text)`; ids of
/// other projects are refused) and removes the images in `remove`; returns the
/// removed files' keys.
pub fn edit(
    conn: &mut PgConnection,
    project_id: i64,
    alts: &[(i64, String)],
    remove: &[i64],
) -> CoreResult<Vec<String>> {
    let checked: Vec<(i64, String)> =
        alts.iter().map(|(id, alt)| Ok((*id, check_alt(alt)?))).collect::<CoreResult<_>>()?;
    conn.transaction(|conn| {
        let current = list(conn, project_id)?;
        let known = |id: i64| current.iter().any(|i| i.id == id);
        if let Some(id) = checked.iter().map(|(id, _)| *id).chain(remove.iter().copied()).find(|id| !known(*id)) {
            return Err(CoreError::Invalid(format!("image {id}: not an image of this project")));
        }
        for (id, alt) in &checked {
            prepared("UPDATE budget_project_images SET alt = $2 WHERE id = $1")
                .bind::<BigInt, _>(*id)
                .bind::<Text, _>(alt)
                .execute(conn)?;
        }
        let mut removed = Vec::new();
        for image in current.into_iter().filter(|i| remove.contains(&i.id)) {
            prepared("DELETE FROM budget_project_images WHERE id = $1").bind::<BigInt, _>(image.id).execute(conn)?;
            removed.push(image.blob_key);
        }
        Ok(removed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_alternative_is_one_line_of_at_most_300_characters() {
        assert_eq!(check_alt("  Un kiosque\n au toit   vert ").unwrap(), "Un kiosque au toit vert");
        assert_eq!(check_alt("").unwrap(), "");
        assert!(check_alt(&"é".repeat(300)).is_ok());
        let err = check_alt(&"é".repeat(301)).unwrap_err().to_string();
        assert!(err.starts_with("image_alt:"), "{err}");
    }
}
