//! Proposals: what participants put forward in a proposals component, with their
//! supports, amendments and version history, and the institution's answer.
//!
//! Lists are filtered in SQL and ordered either by a criterion or at random with a
//! seed per visitor session (where to start in a fixed shuffle), so no proposal is favoured by its
//! position and a visitor paging through sees each proposal once.
pub mod amendments;
pub mod attachments;
pub mod exchange;
pub mod settings;
pub mod supports;
pub mod write;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use serde::Serialize;

use crate::db::prepared::prepared;
use crate::error::CoreResult;
use crate::names::Locale;

pub use settings::{PhaseSettings, Settings, ORDERS};

/// Proposals per page of a list.
pub const PAGE_SIZE: i64 = 20;

/// The text search configuration for a tenant's language.
pub fn search_config(locale: Locale) -> &'static str {
    match locale {
        Locale::Fr => "french",
        Locale::En => "english",
        #[allow(unreachable_patterns)]
        _ => "simple",
    }
}

/// A proposal in a list.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct ProposalCard {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub excerpt: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub category_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub answer_state: Option<String>,
    #[diesel(sql_type = Integer)]
    pub supports_count: i32,
    #[diesel(sql_type = Integer)]
    pub comments_count: i32,
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub author: Option<String>,
    #[diesel(sql_type = Bool)]
    pub hidden: bool,
}

/// What a list asks for.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub category: Option<i64>,
    /// `open` (published, the default), `accepted`, `rejected`, `evaluating`,
    /// `not_answered`, `withdrawn`, or `all`.
    pub state: String,
    /// Only this author's proposals ("my proposals").
    pub author: Option<i64>,
    /// Words to search for, in the tenant's language.
    pub search: String,
    /// One of `ORDERS`.
    pub order: String,
    /// The visitor's seed for the random order.
    pub seed: u32,
    pub page: i64,
    /// Administrators also see hidden proposals.
    pub include_hidden: bool,
}

pub const STATES: [&str; 7] = ["open", "accepted", "rejected", "evaluating", "not_answered", "withdrawn", "all"];

/// One page of a component's proposals and the number of matches.
///
/// The random order is a fixed shuffle of the ids (`hashint8extended(id, 0)`, an
/// expression of the `proposals_shuffle*` indexes) read from a point that the
/// visitor's seed chooses, wrapping around at the end: stable while the visitor
/// pages, another start for another visitor, and every proposal equally likely to
/// come first. The indexes give the page's ids in that order without visiting the
/// other proposals; their rows are read afterwards. Only the conditions a filter
/// asks for go into the SQL, so the planner can use those indexes.
pub fn list(
    conn: &mut PgConnection,
    component_id: i64,
    filter: &Filter,
    locale: Locale,
) -> CoreResult<(Vec<ProposalCard>, i64)> {
    let state_cond = state_sql(&filter.state, false);
    let search = filter.search.trim();
    let mut where_sql = format!("p.component_id = $1 AND {state_cond}");
    if !filter.include_hidden {
        where_sql.push_str(" AND p.hidden_at IS NULL");
    }
    if filter.category.is_some() {
        where_sql.push_str(" AND p.category_id = $2");
    }
    if filter.author.is_some() {
        where_sql.push_str(" AND p.author_id = $3");
    }
    if !search.is_empty() {
        where_sql.push_str(" AND p.search @@ websearch_to_tsquery($5::regconfig, $4)");
    }
    let offset = filter.page.max(0) * PAGE_SIZE;
    let order_sql = match filter.order.as_str() {
        "recent" => Some("p.published_at DESC, p.id DESC"),
        "oldest" => Some("p.published_at, p.id"),
        "most_supported" => Some("p.supports_count DESC, p.id DESC"),
        "most_commented" => Some("p.comments_count DESC, p.id DESC"),
        _ => None,
    };
    // The page's ids (and their place in the order), then their rows.
    let (page_sql, page_order) = match order_sql {
        Some(order) => (
            format!("SELECT p.id FROM proposals p WHERE {where_sql} ORDER BY {order} LIMIT $7 OFFSET $8"),
            order.to_owned(),
        ),
        None => {
            // From the start to the end of the shuffle, then from its beginning to the start.
            let part = |n: u8, cmp: &str| {
                format!(
                    "(SELECT p.id, {n} AS part, hashint8extended(p.id, 0) AS k FROM proposals p
                      WHERE {where_sql} AND hashint8extended(p.id, 0) {cmp} $6
                      ORDER BY hashint8extended(p.id, 0), p.id LIMIT $7 + $8)"
                )
            };
            (
                // No ORDER BY: the second branch follows the first, and each is in
                // order. Sorting the two (up to twice OFFSET + LIMIT rows on a deep
                // page) cost more than reading them; the pool's connections plan no
                // parallel append, the only plan that would interleave them.
                format!(
                    "SELECT id, part, k FROM ({} UNION ALL {}) AS s LIMIT $7 OFFSET $8",
                    part(0, ">="),
                    part(1, "<")
                ),
                "page.part, page.k, page.id".to_owned(),
            )
        }
    };
    // Without a search or an author, the total comes from the counts the triggers keep
    // (tenant migration 000011), in the same statement as the page; otherwise the
    // matching proposals are counted.
    let kept = search.is_empty() && filter.author.is_none();
    let count_sql = if kept {
        let mut sql = format!(
            "SELECT coalesce(sum(n), 0)::int8 AS n FROM proposal_counts p WHERE p.component_id = $1 AND {}",
            state_sql(&filter.state, true)
        );
        if !filter.include_hidden {
            sql.push_str(" AND NOT p.hidden");
        }
        if filter.category.is_some() {
            sql.push_str(" AND p.category_id = $2");
        }
        sql
    } else {
        format!("SELECT count(*) AS n FROM proposals p WHERE {where_sql}")
    };
    let total_sql = if kept { format!("({count_sql})") } else { "-1::int8".to_owned() };
    let sql = format!(
        "SELECT p.id, p.title, left(p.body_text, 280) AS excerpt, p.category_id, p.state, p.answer_state,
                p.supports_count, p.comments_count, p.published_at, u.nickname AS author,
                p.hidden_at IS NOT NULL AS hidden, {total_sql} AS total
         FROM ({page_sql}) AS page
         JOIN proposals p ON p.id = page.id
         LEFT JOIN users u ON u.id = p.author_id
         ORDER BY {page_order}"
    );
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(embed)]
        card: ProposalCard,
        #[diesel(sql_type = BigInt)]
        total: i64,
    }
    let config = search_config(locale);
    let rows: Vec<Row> = prepared(sql)
        .bind::<BigInt, _>(component_id)
        .bind::<Nullable<BigInt>, _>(filter.category)
        .bind::<Nullable<BigInt>, _>(filter.author)
        .bind::<Text, _>(search)
        .bind::<Text, _>(config)
        .bind::<BigInt, _>(shuffle_start(filter.seed))
        .bind::<BigInt, _>(PAGE_SIZE)
        .bind::<BigInt, _>(offset)
        .load(conn)?;
    let total = match rows.first() {
        Some(row) if kept => row.total,
        _ => {
            #[derive(QueryableByName)]
            struct Total {
                #[diesel(sql_type = BigInt)]
                n: i64,
            }
            let total: Total = prepared(count_sql)
                .bind::<BigInt, _>(component_id)
                .bind::<Nullable<BigInt>, _>(filter.category)
                .bind::<Nullable<BigInt>, _>(filter.author)
                .bind::<Text, _>(search)
                .bind::<Text, _>(config)
                .get_result(conn)?;
            total.n
        }
    };
    Ok((rows.into_iter().map(|r| r.card).collect(), total))
}

/// [`list`]'s state filter, on `proposals` or on `proposal_counts` (where no answer
/// is `''` rather than NULL).
fn state_sql(state: &str, counts: bool) -> &'static str {
    match state {
        "accepted" => "p.state = 'published' AND p.answer_state = 'accepted'",
        "rejected" => "p.state = 'published' AND p.answer_state = 'rejected'",
        "evaluating" => "p.state = 'published' AND p.answer_state = 'evaluating'",
        "not_answered" if counts => "p.state = 'published' AND p.answer_state = ''",
        "not_answered" => "p.state = 'published' AND p.answer_state IS NULL",
        "withdrawn" => "p.state = 'withdrawn'",
        "all" => "TRUE",
        _ => "p.state = 'published'",
    }
}

/// Where a seed starts reading the shuffle: spread evenly over the keys' range.
fn shuffle_start(seed: u32) -> i64 {
    (u64::from(seed) << 32) as i64
}

/// One proposal with everything its page shows.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Proposal {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub component_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub author_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub author: Option<String>,
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Sanitised HTML.
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub body_text: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub category_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub address: Option<String>,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub answer_state: Option<String>,
    /// Sanitised HTML.
    #[diesel(sql_type = Nullable<Text>)]
    pub answer: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub answered_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Integer)]
    pub supports_count: i32,
    #[diesel(sql_type = Integer)]
    pub comments_count: i32,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Bool)]
    pub hidden: bool,
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Whether there are any to read (most proposals have none: their page skips
    /// those statements).
    #[diesel(sql_type = Bool)]
    pub has_attachments: bool,
    #[diesel(sql_type = Bool)]
    pub has_amendments: bool,
    #[diesel(sql_type = Bool)]
    pub has_links: bool,
}

const PROPOSAL_COLUMNS: &str = "p.id, p.component_id, p.author_id, u.nickname AS author, p.title, p.body, p.body_text,
    p.category_id, p.address, p.state, p.answer_state, p.answer, p.answered_at, p.supports_count, p.comments_count,
    p.version, p.hidden_at IS NOT NULL AS hidden, p.published_at, p.updated_at, p.withdrawn_at,
    EXISTS (SELECT 1 FROM proposal_attachments x WHERE x.proposal_id = p.id) AS has_attachments,
    EXISTS (SELECT 1 FROM proposal_amendments x WHERE x.proposal_id = p.id) AS has_amendments,
    EXISTS (SELECT 1 FROM proposal_links x WHERE x.from_id = p.id OR x.to_id = p.id) AS has_links";

/// A proposal of a component (hidden ones included: the caller decides who sees them).
pub fn find(conn: &mut PgConnection, component_id: i64, id: i64) -> CoreResult<Option<Proposal>> {
    Ok(prepared(format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposals p LEFT JOIN users u ON u.id = p.author_id
         WHERE p.id = $1 AND p.component_id = $2"
    ))
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(component_id)
    .get_result(conn)
    .optional()?)
}

/// A proposal by id alone (for cross-module lookups: comments, reports, follows).
pub fn find_by_id(conn: &mut PgConnection, id: i64) -> CoreResult<Option<Proposal>> {
    Ok(prepared(format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposals p LEFT JOIN users u ON u.id = p.author_id WHERE p.id = $1"
    ))
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .optional()?)
}

/// A proposal merged into or split from others, with the other side's id and title.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct Link {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// `to`: this proposal went into `id`; `from`: `id` went into this proposal.
    #[diesel(sql_type = Text)]
    pub direction: String,
}

pub fn links(conn: &mut PgConnection, id: i64) -> CoreResult<Vec<Link>> {
    Ok(prepared(
        "SELECT p.id, p.title, l.kind, 'to' AS direction FROM proposal_links l JOIN proposals p ON p.id = l.to_id
          WHERE l.from_id = $1
         UNION ALL
         SELECT p.id, p.title, l.kind, 'from' AS direction FROM proposal_links l JOIN proposals p ON p.id = l.from_id
          WHERE l.to_id = $1
         ORDER BY 1",
    )
    .bind::<BigInt, _>(id)
    .load(conn)?)
}

/// A category of a space, in one language.
#[derive(Clone, Debug, Serialize)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub names: serde_json::Value,
}

pub fn categories(conn: &mut PgConnection, space_id: i64, order: &[Locale]) -> CoreResult<Vec<Category>> {
    use crate::schema::tenant::space_categories as c;
    let rows: Vec<(i64, serde_json::Value)> =
        c::table.filter(c::space_id.eq(space_id)).order((c::position, c::id)).select((c::id, c::name)).load(conn)?;
    Ok(rows.into_iter().map(|(id, names)| Category { id, name: crate::spaces::pick(&names, order).0, names }).collect())
}

pub fn add_category(conn: &mut PgConnection, space_id: i64, name: &crate::spaces::Texts) -> CoreResult<i64> {
    use crate::schema::tenant::space_categories as c;
    if name.values().all(|t| t.trim().is_empty()) {
        return Err(crate::CoreError::Invalid("category: a name in at least one language".into()));
    }
    if name.values().any(|t| t.chars().count() > 80) {
        return Err(crate::CoreError::Invalid("category: at most 80 characters".into()));
    }
    let next: Option<i32> =
        c::table.filter(c::space_id.eq(space_id)).select(diesel::dsl::max(c::position)).first(conn)?;
    Ok(diesel::insert_into(c::table)
        .values((
            c::space_id.eq(space_id),
            c::name.eq(crate::spaces::to_json(name)),
            c::position.eq(next.map_or(0, |p| p + 1)),
        ))
        .returning(c::id)
        .get_result(conn)?)
}

pub fn remove_category(conn: &mut PgConnection, space_id: i64, id: i64) -> CoreResult<()> {
    use crate::schema::tenant::space_categories as c;
    diesel::delete(c::table.filter(c::id.eq(id)).filter(c::space_id.eq(space_id))).execute(conn)?;
    Ok(())
}
