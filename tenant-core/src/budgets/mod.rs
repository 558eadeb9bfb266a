//! Participatory budgets (issue 7): a component of a participatory space holding one
//! or several budgets (one per district, say), each with its projects, the rule a
//! ballot must follow, and the rule that turns the ballots into funded projects.
//!
//! - [`settings`]: the component's settings (the verification voting needs, "one
//!   district only", whether a confirmed ballot may be cancelled and cast again) and
//!   per phase (`voting_enabled`, `results_published`).
//! - [`projects`]: a budget's projects, edited by the administrators.
//! - [`ballots`]: one ballot per person and budget, checked against the budget's rule
//!   in the transaction that writes it; a ballot holds a keyed hash, never the person.
//! - [`results`]: the three rules of `budget-rules` run on the confirmed ballots.
//! - [`pabulib`]: PaBuLib `.pb` files in (a budget with its ballots) and out.
//!
//! Money is an integer number of `10^-money_scale` currency units (`money_scale` 2:
//! cents; 0: whole units, as PaBuLib files without decimals).
pub mod ballots;
pub mod images;
mod input;
mod kinds;
pub mod money;
pub mod pabulib;
pub mod projects;
pub mod results;
pub mod settings;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Jsonb, Nullable, SmallInt, Text};
use serde::Serialize;

use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::spaces::{pick, to_json, Texts};

pub use input::BudgetInput;
pub use kinds::{MesUtility, ResultsRule, RuleKind};
pub use settings::{PhaseSettings, Settings};

/// The largest amount (budget, cost): 2^53 units, so every sum is exact for the rules.
pub const MAX_AMOUNT: i64 = 1 << 53;

/// One budget as stored, texts in every language.
#[derive(Clone, Debug, Serialize, QueryableByName)]
pub struct BudgetRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub component_id: i64,
    #[diesel(sql_type = Jsonb)]
    pub title: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    pub description: serde_json::Value,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = SmallInt)]
    pub money_scale: i16,
    #[diesel(sql_type = Text)]
    pub rule: String,
    #[diesel(sql_type = Integer)]
    pub min_projects: i32,
    #[diesel(sql_type = Integer)]
    pub max_projects: i32,
    #[diesel(sql_type = SmallInt)]
    pub min_share_percent: i16,
    #[diesel(sql_type = Text)]
    pub results_rule: String,
    #[diesel(sql_type = Text)]
    pub mes_utility: String,
    #[diesel(sql_type = BigInt)]
    pub add1_increment: i64,
    #[diesel(sql_type = Integer)]
    pub position: i32,
}

/// A budget in one language, with its rules typed.
#[derive(Clone, Debug, Serialize)]
pub struct Budget {
    pub id: i64,
    pub component_id: i64,
    pub title: String,
    pub description: String,
    /// The texts in every language, for the admin forms.
    pub titles: serde_json::Value,
    pub descriptions: serde_json::Value,
    pub amount: i64,
    pub currency: String,
    pub money_scale: u32,
    pub rule: RuleKind,
    pub min_projects: u32,
    /// 0: no maximum (knapsack); K (approval).
    pub max_projects: u32,
    pub min_share_percent: u32,
    pub results_rule: ResultsRule,
    pub mes_utility: MesUtility,
    /// Units added to each voter's share per add1 step; 0: chosen from the budget and
    /// the number of voters ([`results::auto_increment`]).
    pub add1_increment: i64,
    pub position: i32,
}

impl Budget {
    pub fn from_row(r: BudgetRow, order: &[Locale]) -> CoreResult<Budget> {
        Ok(Budget {
            id: r.id,
            component_id: r.component_id,
            title: pick(&r.title, order).0,
            description: pick(&r.description, order).0,
            titles: r.title,
            descriptions: r.description,
            amount: r.amount,
            currency: r.currency,
            money_scale: u32::try_from(r.money_scale).unwrap_or(0),
            rule: RuleKind::parse(&r.rule)?,
            min_projects: u32::try_from(r.min_projects).unwrap_or(0),
            max_projects: u32::try_from(r.max_projects).unwrap_or(0),
            min_share_percent: u32::try_from(r.min_share_percent).unwrap_or(0),
            results_rule: ResultsRule::parse(&r.results_rule)?,
            mes_utility: MesUtility::parse(&r.mes_utility)?,
            add1_increment: r.add1_increment,
            position: r.position,
        })
    }

    /// The budget's settings as an input, to change some and save them back.
    pub fn to_input(&self) -> BudgetInput {
        let texts = |v: &serde_json::Value| -> Texts {
            Locale::ALL
                .into_iter()
                .filter_map(|l| v.get(l.as_str()).and_then(|t| t.as_str()).map(|t| (l, t.to_owned())))
                .collect()
        };
        BudgetInput {
            title: texts(&self.titles),
            description: texts(&self.descriptions),
            amount: self.amount,
            currency: self.currency.clone(),
            money_scale: self.money_scale,
            rule: self.rule,
            min_projects: self.min_projects,
            max_projects: self.max_projects,
            min_share_percent: self.min_share_percent,
            results_rule: self.results_rule,
            mes_utility: self.mes_utility,
            add1_increment: self.add1_increment,
        }
    }

    /// The least a ballot must spend (knapsack with a minimum share), in units.
    pub fn min_spend(&self) -> i64 {
        if self.rule != RuleKind::Knapsack || self.min_share_percent == 0 {
            return 0;
        }
        // Rounded up: "at least 50 %" of 101 units is 51 units.
        let n = i128::from(self.amount) * i128::from(self.min_share_percent);
        i64::try_from((n + 99) / 100).unwrap_or(i64::MAX)
    }

    /// The fewest projects a confirmed ballot names (never fewer than one).
    pub fn min_count(&self) -> u32 {
        self.min_projects.max(1)
    }

    /// Why a ballot choosing `count` projects costing `total` cannot be confirmed
    /// (empty when it can), checked in this order.
    pub fn shortfalls(&self, count: usize, total: i64) -> Vec<Shortfall> {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        let mut out = Vec::new();
        if count == 0 {
            out.push(Shortfall::Empty);
        } else if count < self.min_count() {
            out.push(Shortfall::TooFew { missing: self.min_count() - count, min: self.min_count() });
        }
        if self.max_projects > 0 && count > self.max_projects {
            out.push(Shortfall::TooMany { excess: count - self.max_projects, max: self.max_projects });
        }
        if self.rule == RuleKind::Knapsack {
            if total > self.amount {
                out.push(Shortfall::OverBudget { excess: total - self.amount });
            } else if count > 0 && total < self.min_spend() {
                out.push(Shortfall::BelowMinimumShare {
                    missing: self.min_spend() - total,
                    minimum: self.min_spend(),
                    percent: self.min_share_percent,
                });
            }
        }
        out
    }
}

/// One reason a ballot cannot be confirmed (the pages say it in words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Shortfall {
    /// No project chosen.
    Empty,
    /// `missing` more projects are needed (at least `min`).
    TooFew { missing: u32, min: u32 },
    /// `excess` projects too many (at most `max`).
    TooMany { excess: u32, max: u32 },
    /// The projects cost `excess` units more than the budget.
    OverBudget { excess: i64 },
    /// `missing` units short of `minimum` (`percent` % of the budget).
    BelowMinimumShare { missing: i64, minimum: i64, percent: u32 },
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shortfall::Empty => write!(f, "choose at least one project"),
            Shortfall::TooFew { missing, min } => write!(f, "{missing} more project(s) needed (at least {min})"),
            Shortfall::TooMany { excess, max } => write!(f, "{excess} project(s) too many (at most {max})"),
            Shortfall::OverBudget { excess } => write!(f, "over the budget by {excess} units"),
            Shortfall::BelowMinimumShare { missing, minimum, percent } => {
                write!(f, "{missing} units short of the minimum of {minimum} ({percent} % of the budget)")
            }
        }
    }
}

/// The columns of [`BudgetRow`] on `budgets b`.
pub(crate) const COLUMNS: &str = "b.id, b.component_id, b.title, b.description, b.amount, b.currency, b.money_scale,
    b.rule, b.min_projects, b.max_projects, b.min_share_percent, b.results_rule, b.mes_utility, b.add1_increment,
    b.position";

/// The budgets of a component, in order.
pub fn list(conn: &mut PgConnection, component_id: i64, order: &[Locale]) -> CoreResult<Vec<Budget>> {
    let rows: Vec<BudgetRow> =
        prepared(format!("SELECT {COLUMNS} FROM budgets b WHERE b.component_id = $1 ORDER BY b.position, b.id"))
            .bind::<BigInt, _>(component_id)
            .load(conn)?;
    rows.into_iter().map(|r| Budget::from_row(r, order)).collect()
}

/// A budget of a component.
pub fn find(conn: &mut PgConnection, component_id: i64, id: i64, order: &[Locale]) -> CoreResult<Option<Budget>> {
    let row: Option<BudgetRow> =
        prepared(format!("SELECT {COLUMNS} FROM budgets b WHERE b.id = $1 AND b.component_id = $2"))
            .bind::<BigInt, _>(id)
            .bind::<BigInt, _>(component_id)
            .get_result(conn)
            .optional()?;
    row.map(|r| Budget::from_row(r, order)).transpose()
}

/// Adds a budget at the end of a component; returns its id.
pub fn create(conn: &mut PgConnection, component_id: i64, input: &BudgetInput) -> CoreResult<i64> {
    input.check()?;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let id: Id = prepared(
        "INSERT INTO budgets (component_id, title, description, amount, currency, money_scale, rule, min_projects,
                              max_projects, min_share_percent, results_rule, mes_utility, add1_increment, position)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                coalesce((SELECT max(position) + 1 FROM budgets WHERE component_id = $1), 0)
         FROM components c WHERE c.id = $1 AND c.module = 'budgets'
         RETURNING id",
    )
    .bind::<BigInt, _>(component_id)
    .bind::<Jsonb, _>(to_json(&input.title))
    .bind::<Jsonb, _>(to_json(&input.description))
    .bind::<BigInt, _>(input.amount)
    .bind::<Text, _>(&input.currency)
    .bind::<SmallInt, _>(input.money_scale as i16)
    .bind::<Text, _>(input.rule.as_str())
    .bind::<Integer, _>(input.min_projects as i32)
    .bind::<Integer, _>(input.max_projects as i32)
    .bind::<SmallInt, _>(input.min_share_percent as i16)
    .bind::<Text, _>(input.results_rule.as_str())
    .bind::<Text, _>(input.mes_utility.as_str())
    .bind::<BigInt, _>(input.add1_increment)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| CoreError::NotFound("no such budgets component".into()))?;
    Ok(id.id)
}

/// Counts of a budget's ballots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, QueryableByName)]
pub struct BallotCounts {
    /// Confirmed ballots (imported ones included).
    #[diesel(sql_type = BigInt)]
    pub confirmed: i64,
    /// Of which imported from a file.
    #[diesel(sql_type = BigInt)]
    pub imported: i64,
    /// Ballots still being drafted.
    #[diesel(sql_type = BigInt)]
    pub drafts: i64,
}

pub fn ballot_counts(conn: &mut PgConnection, budget_id: i64) -> CoreResult<BallotCounts> {
    Ok(prepared(
        "SELECT count(*) FILTER (WHERE state = 'confirmed') AS confirmed,
                count(*) FILTER (WHERE imported) AS imported,
                count(*) FILTER (WHERE state = 'draft') AS drafts
         FROM budget_ballots WHERE budget_id = $1",
    )
    .bind::<BigInt, _>(budget_id)
    .get_result(conn)?)
}

/// Locks a budget's row against concurrent ballots and edits; `None` when missing.
pub(crate) fn lock(conn: &mut PgConnection, component_id: i64, id: i64) -> CoreResult<Option<BudgetRow>> {
    Ok(prepared(format!("SELECT {COLUMNS} FROM budgets b WHERE b.id = $1 AND b.component_id = $2 FOR UPDATE"))
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(component_id)
        .get_result(conn)
        .optional()?)
}

/// Changes a budget. Once ballots are confirmed, what they were checked against (the
/// amount, currency and ballot rule) stays; titles and the results rule may change.
pub fn update(conn: &mut PgConnection, component_id: i64, id: i64, input: &BudgetInput) -> CoreResult<()> {
    input.check()?;
    conn.transaction(|conn| {
        let row = lock(conn, component_id, id)?.ok_or_else(|| CoreError::NotFound("no such budget".into()))?;
        let current = Budget::from_row(row, &[Locale::Fr])?;
        let voting_terms_changed = current.amount != input.amount
            || current.currency != input.currency
            || current.money_scale != input.money_scale
            || current.rule != input.rule
            || current.min_projects != input.min_projects
            || current.max_projects != input.max_projects
            || current.min_share_percent != input.min_share_percent;
        if current.money_scale != input.money_scale {
            return Err(CoreError::Invalid("money_scale: set when the budget is created".into()));
        }
        if voting_terms_changed && ballot_counts(conn, id)?.confirmed > 0 {
            return Err(CoreError::Conflict(
                "ballots are already confirmed under this amount and rule: only the texts and the results rule can change now".into(),
            ));
        }
        prepared(
            "UPDATE budgets SET title = $2, description = $3, amount = $4, currency = $5, rule = $6,
                    min_projects = $7, max_projects = $8, min_share_percent = $9, results_rule = $10,
                    mes_utility = $11, add1_increment = $12, updated_at = now()
             WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<Jsonb, _>(to_json(&input.title))
        .bind::<Jsonb, _>(to_json(&input.description))
        .bind::<BigInt, _>(input.amount)
        .bind::<Text, _>(&input.currency)
        .bind::<Text, _>(input.rule.as_str())
        .bind::<Integer, _>(input.min_projects as i32)
        .bind::<Integer, _>(input.max_projects as i32)
        .bind::<SmallInt, _>(input.min_share_percent as i16)
        .bind::<Text, _>(input.results_rule.as_str())
        .bind::<Text, _>(input.mes_utility.as_str())
        .bind::<BigInt, _>(input.add1_increment)
        .execute(conn)?;
        Ok(())
    })
}

/// Deletes a budget with its projects, unless people have voted in it (imported
/// ballots do not count: such a budget can be deleted and imported again).
pub fn delete(conn: &mut PgConnection, component_id: i64, id: i64) -> CoreResult<()> {
    conn.transaction(|conn| {
        lock(conn, component_id, id)?.ok_or_else(|| CoreError::NotFound("no such budget".into()))?;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let cast: N = prepared(
            "SELECT count(*) AS n FROM budget_ballots WHERE budget_id = $1 AND NOT imported AND state = 'confirmed'",
        )
        .bind::<BigInt, _>(id)
        .get_result(conn)?;
        if cast.n > 0 {
            return Err(CoreError::Conflict(format!(
                "{} people have voted in this budget: it cannot be deleted",
                cast.n
            )));
        }
        prepared("DELETE FROM budgets WHERE id = $1").bind::<BigInt, _>(id).execute(conn)?;
        Ok(())
    })
}

/// Where voting stands for a budget's component, read in the current transaction.
#[derive(Clone, Debug)]
pub struct VotingState {
    pub settings: Settings,
    pub phase: PhaseSettings,
    /// The component and its space are published.
    pub published: bool,
}

impl VotingState {
    pub fn voting_open(&self) -> bool {
        self.published && self.phase.voting_enabled
    }
}

/// The component's settings and the active phase's, for component `component_id`
/// (which must be a budgets component).
pub fn voting_state(conn: &mut PgConnection, component_id: i64) -> CoreResult<VotingState> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Jsonb)]
        settings: serde_json::Value,
        #[diesel(sql_type = Jsonb)]
        phase_settings: serde_json::Value,
        #[diesel(sql_type = Bool)]
        published: bool,
        #[diesel(sql_type = Nullable<BigInt>)]
        active_phase: Option<i64>,
    }
    let row: Row = prepared(
        "SELECT c.settings, c.phase_settings,
                (c.published_at IS NOT NULL AND s.published_at IS NOT NULL) AS published,
                (SELECT p.id FROM space_phases p WHERE p.space_id = c.space_id AND p.active) AS active_phase
         FROM components c JOIN spaces s ON s.id = c.space_id
         WHERE c.id = $1 AND c.module = 'budgets'",
    )
    .bind::<BigInt, _>(component_id)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| CoreError::NotFound("no such budgets component".into()))?;
    let key = row.active_phase.map(|p| p.to_string()).unwrap_or_else(|| crate::components::DEFAULT_PHASE.to_owned());
    let phase = row.phase_settings.get(&key).cloned().unwrap_or_else(|| serde_json::json!({}));
    Ok(VotingState {
        settings: Settings::read(&row.settings),
        phase: PhaseSettings::read(&phase),
        published: row.published,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(rule: RuleKind, min: u32, max: u32, share: u32) -> Budget {
        Budget {
            id: 1,
            component_id: 1,
            title: "Nord".into(),
            description: String::new(),
            titles: serde_json::json!({}),
            descriptions: serde_json::json!({}),
            amount: 100_000,
            currency: "EUR".into(),
            money_scale: 0,
            rule,
            min_projects: min,
            max_projects: max,
            min_share_percent: share,
            results_rule: ResultsRule::EqualShares,
            mes_utility: MesUtility::Cost,
            add1_increment: 0,
            position: 0,
        }
    }

    #[test]
    fn a_knapsack_ballot_stays_within_the_budget_and_its_limits() {
        let b = budget(RuleKind::Knapsack, 3, 5, 50);
        assert_eq!(b.shortfalls(3, 60_000), vec![]);
        assert_eq!(b.shortfalls(0, 0), vec![Shortfall::Empty]);
        assert_eq!(b.shortfalls(1, 60_000), vec![Shortfall::TooFew { missing: 2, min: 3 }]);
        assert_eq!(b.shortfalls(6, 90_000), vec![Shortfall::TooMany { excess: 1, max: 5 }]);
        assert_eq!(b.shortfalls(3, 112_000), vec![Shortfall::OverBudget { excess: 12_000 }]);
        assert_eq!(
            b.shortfalls(3, 40_000),
            vec![Shortfall::BelowMinimumShare { missing: 10_000, minimum: 50_000, percent: 50 }]
        );
        // Exactly the budget, exactly the minimum share: fine.
        assert_eq!(b.shortfalls(4, 100_000), vec![]);
        assert_eq!(b.shortfalls(4, 50_000), vec![]);
        // Several reasons at once.
        assert_eq!(b.shortfalls(1, 150_000).len(), 2);
    }

    #[test]
    fn an_approval_ballot_counts_projects_not_money() {
        let b = budget(RuleKind::Approval, 0, 3, 0);
        assert_eq!(b.shortfalls(3, 10_000_000), vec![]);
        assert_eq!(b.shortfalls(4, 10), vec![Shortfall::TooMany { excess: 1, max: 3 }]);
        assert_eq!(b.shortfalls(0, 0), vec![Shortfall::Empty]);
    }

    #[test]
    fn the_minimum_share_is_rounded_up() {
        let mut b = budget(RuleKind::Knapsack, 0, 0, 50);
        b.amount = 101;
        assert_eq!(b.min_spend(), 51);
        b.min_share_percent = 0;
        assert_eq!(b.min_spend(), 0);
    }
}
