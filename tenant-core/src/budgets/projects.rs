//! A budget's projects: written by the administrators (or imported from a PaBuLib
//! file), chosen by the voters.
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use serde::Serialize;

use super::{lock, MAX_AMOUNT};
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::richtext;

/// Longest description, in characters of text.
pub const DESCRIPTION_MAX_CHARS: usize = 8_000;

/// One project.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Project {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub budget_id: i64,
    /// Its id in PaBuLib files.
    #[diesel(sql_type = Text)]
    pub pb_id: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Sanitised HTML.
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Text)]
    pub address: String,
    #[diesel(sql_type = Integer)]
    pub position: i32,
}

const COLUMNS: &str = "p.id, p.budget_id, p.pb_id, p.title, p.description, p.amount, p.category, p.address, p.position";

/// A budget's projects, in order.
pub fn list(conn: &mut PgConnection, budget_id: i64) -> CoreResult<Vec<Project>> {
    Ok(prepared(format!("SELECT {COLUMNS} FROM budget_projects p WHERE p.budget_id = $1 ORDER BY p.position, p.id"))
        .bind::<BigInt, _>(budget_id)
        .load(conn)?)
}

/// One project of a budget.
pub fn find(conn: &mut PgConnection, budget_id: i64, id: i64) -> CoreResult<Option<Project>> {
    Ok(prepared(format!("SELECT {COLUMNS} FROM budget_projects p WHERE p.id = $1 AND p.budget_id = $2"))
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(budget_id)
        .get_result(conn)
        .optional()?)
}

/// What an administrator writes.
#[derive(Clone, Debug, Default)]
pub struct ProjectInput {
    pub title: String,
    /// As typed (HTML or plain text); sanitised here.
    pub description: String,
    /// In units of the budget's `10^-money_scale`.
    pub amount: i64,
    pub category: String,
    pub address: String,
}

/// A checked project.
pub struct Checked {
    title: String,
    description: String,
    amount: i64,
    category: String,
    address: String,
}

/// Checks a project; errors name the field.
pub fn check(input: &ProjectInput) -> CoreResult<Checked> {
    let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err(CoreError::Invalid("title: required".into()));
    }
    if title.chars().count() > 300 {
        return Err(CoreError::Invalid("title: at most 300 characters".into()));
    }
    // Optional: an imported project often has none.
    let description = if richtext::plain(&richtext::sanitize(&input.description)).trim().is_empty() {
        String::new()
    } else {
        richtext::parse("description", &input.description, DESCRIPTION_MAX_CHARS)?
    };
    if !(0..=MAX_AMOUNT).contains(&input.amount) {
        return Err(CoreError::Invalid("amount: zero or more".into()));
    }
    Ok(Checked {
        title,
        description,
        amount: input.amount,
        category: one_line("category", &input.category, 200)?,
        address: one_line("address", &input.address, 300)?,
    })
}

/// A one-line field as stored: spaces collapsed, at most `max` characters; the error
/// names the field.
pub(super) fn one_line(field: &str, value: &str, max: usize) -> CoreResult<String> {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.chars().count() > max {
        return Err(CoreError::Invalid(format!("{field}: at most {max} characters")));
    }
    Ok(v)
}

/// Adds a project at the end of a budget; it gets the next free numeric PaBuLib id.
pub fn create(conn: &mut PgConnection, component_id: i64, budget_id: i64, input: &ProjectInput) -> CoreResult<i64> {
    let c = check(input)?;
    conn.transaction(|conn| {
        lock(conn, component_id, budget_id)?.ok_or_else(|| CoreError::NotFound("no such budget".into()))?;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let id: Id = prepared(
            "INSERT INTO budget_projects (budget_id, pb_id, title, description, amount, category, address, position)
             SELECT $1,
                    (coalesce(max(CASE WHEN pb_id ~ '^[0-9]{1,18}$' THEN pb_id::numeric END), 0) + 1)::text,
                    $2, $3, $4, $5, $6, coalesce(max(position) + 1, 0)
             FROM budget_projects WHERE budget_id = $1
             RETURNING id",
        )
        .bind::<BigInt, _>(budget_id)
        .bind::<Text, _>(&c.title)
        .bind::<Text, _>(&c.description)
        .bind::<BigInt, _>(c.amount)
        .bind::<Text, _>(&c.category)
        .bind::<Text, _>(&c.address)
        .get_result(conn)?;
        Ok(id.id)
    })
}

/// Confirmed ballots that approve project `id`.
fn confirmed_votes(conn: &mut PgConnection, id: i64) -> CoreResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = prepared(
        "SELECT count(*) AS n FROM budget_ballot_projects s JOIN budget_ballots b ON b.id = s.ballot_id
         WHERE s.project_id = $1 AND b.state = 'confirmed'",
    )
    .bind::<BigInt, _>(id)
    .get_result(conn)?;
    Ok(n.n)
}

/// Changes a project. Its cost stays once confirmed ballots exist in the budget (they
/// were checked against it).
pub fn update(
    conn: &mut PgConnection,
    component_id: i64,
    budget_id: i64,
    id: i64,
    input: &ProjectInput,
) -> CoreResult<()> {
    let c = check(input)?;
    conn.transaction(|conn| {
        lock(conn, component_id, budget_id)?.ok_or_else(|| CoreError::NotFound("no such budget".into()))?;
        let current = find(conn, budget_id, id)?.ok_or_else(|| CoreError::NotFound("no such project".into()))?;
        if current.amount != c.amount && super::ballot_counts(conn, budget_id)?.confirmed > 0 {
            return Err(CoreError::Conflict(
                "ballots are already confirmed with this cost: the amount of a project can no longer change".into(),
            ));
        }
        prepared(
            "UPDATE budget_projects SET title = $2, description = $3, amount = $4, category = $5, address = $6,
                    updated_at = now()
             WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(&c.title)
        .bind::<Text, _>(&c.description)
        .bind::<BigInt, _>(c.amount)
        .bind::<Text, _>(&c.category)
        .bind::<Text, _>(&c.address)
        .execute(conn)?;
        Ok(())
    })
}

/// Deletes a project that no confirmed ballot approves (drafts lose it); returns its
/// images' keys, for the caller to delete from the blob store after the commit.
pub fn delete(conn: &mut PgConnection, component_id: i64, budget_id: i64, id: i64) -> CoreResult<Vec<String>> {
    conn.transaction(|conn| {
        lock(conn, component_id, budget_id)?.ok_or_else(|| CoreError::NotFound("no such budget".into()))?;
        find(conn, budget_id, id)?.ok_or_else(|| CoreError::NotFound("no such project".into()))?;
        let votes = confirmed_votes(conn, id)?;
        if votes > 0 {
            return Err(CoreError::Conflict(format!(
                "{votes} confirmed ballots approve this project: it cannot be deleted"
            )));
        }
        let keys = super::images::list(conn, id)?.into_iter().map(|i| i.blob_key).collect();
        prepared("DELETE FROM budget_projects WHERE id = $1").bind::<BigInt, _>(id).execute(conn)?;
        Ok(keys)
    })
}

/// Votes (confirmed ballots approving it) per project of a budget, in project order.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Tally {
    #[diesel(sql_type = BigInt)]
    pub project_id: i64,
    #[diesel(sql_type = BigInt)]
    pub votes: i64,
}

pub fn tallies(conn: &mut PgConnection, budget_id: i64) -> CoreResult<Vec<Tally>> {
    Ok(prepared(
        "SELECT p.id AS project_id,
                (SELECT count(*) FROM budget_ballot_projects s JOIN budget_ballots b ON b.id = s.ballot_id
                 WHERE s.project_id = p.id AND b.state = 'confirmed') AS votes
         FROM budget_projects p WHERE p.budget_id = $1 ORDER BY p.position, p.id",
    )
    .bind::<BigInt, _>(budget_id)
    .load(conn)?)
}

/// How many projects each budget of a component has: (budget id, count).
pub fn counts(conn: &mut PgConnection, component_id: i64) -> CoreResult<Vec<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        budget_id: i64,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = prepared(
        "SELECT b.id AS budget_id, (SELECT count(*) FROM budget_projects p WHERE p.budget_id = b.id) AS n
         FROM budgets b WHERE b.component_id = $1",
    )
    .bind::<BigInt, _>(component_id)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.budget_id, r.n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_needs_a_title_and_is_sanitised() {
        let input = ProjectInput {
            title: "  Un   jardin partagé ".into(),
            description: "<p>Rue <b onclick=\"x()\">Carnot</b></p><script>alert(1)</script>".into(),
            amount: 12_000,
            category: " Espaces   verts ".into(),
            ..ProjectInput::default()
        };
        let c = check(&input).unwrap();
        assert_eq!(c.title, "Un jardin partagé");
        assert_eq!(c.category, "Espaces verts");
        assert!(!c.description.contains("script") && !c.description.contains("onclick"), "{}", c.description);
        let err = |i: ProjectInput| check(&i).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(ProjectInput { title: " ".into(), ..input.clone() }).starts_with("title:"));
        assert!(err(ProjectInput { amount: -1, ..input.clone() }).starts_with("amount:"));
        assert!(err(ProjectInput { address: "x".repeat(301), ..input.clone() }).starts_with("address:"));
        assert_eq!(check(&ProjectInput { description: " ".into(), ..input }).unwrap().description, "");
    }
}
