//! PaBuLib `.pb` files: a file's META, PROJECTS and VOTES become a budget with its
//! projects and confirmed ballots; any budget is written back as a file (and its
//! ballots as an anonymous CSV).
//!
//! Imported ballots keep nothing of the file's voter ids but an HMAC under the
//! tenant's key (purpose `budget-import:<budget id>`). Exports number voters 1..n in
//! a fresh random order each time and never write a hash. Ballots are exported only
//! once voting is closed: two exports taken while people vote would show which ballot
//! appeared between them.
use budget_rules::pb::{Instance, Meta, Project as PbProject, Vote};
use budget_rules::rules::Election;
use budget_rules::Decimal;
use chrono::NaiveDate;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::results::{self, Inputs};
use super::{create, voting_state, BudgetInput, MesUtility, ResultsRule, RuleKind};
use crate::catalog::keys::TenantKey;
use crate::db::prepared::prepared;
use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::spaces::Texts;

/// What the import made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub budget_id: i64,
    pub projects: usize,
    pub ballots: usize,
}

/// The characters of `s`, at most `max`.
fn clip(s: &str, max: usize) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(max).collect()
}

/// The budget a file describes, before it is stored.
fn budget_input(instance: &Instance, election: &Election, title: &Texts, currency: &str) -> CoreResult<BudgetInput> {
    let meta = &instance.meta;
    let mut title = title.clone();
    if title.values().all(|t| t.trim().is_empty()) {
        let fallback = meta
            .get("description")
            .map(str::to_owned)
            .or_else(|| Some(format!("{} {}", meta.get("unit")?, meta.get("instance").unwrap_or(""))))
            .unwrap_or_else(|| "PaBuLib".to_owned());
        title.insert(Locale::Fr, clip(&fallback, 150));
    }
    let currency = meta
        .get("currency")
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        .unwrap_or_else(|| currency.to_owned());
    let count = |n: Option<u64>| u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX).min(10_000);
    let (min_projects, mut max_projects) = (count(meta.min_length()), count(meta.max_length()));
    if max_projects > 0 && max_projects < min_projects {
        max_projects = min_projects;
    }
    let results_rule = match meta.get("rule").unwrap_or("") {
        r if r.starts_with("greedy") => ResultsRule::Greedy,
        _ => ResultsRule::EqualShares,
    };
    let input = BudgetInput {
        title,
        description: Texts::new(),
        amount: i64::try_from(election.budget()).map_err(|_| CoreError::Invalid("file: budget too large".into()))?,
        currency,
        money_scale: election.money_scale(),
        rule: RuleKind::Knapsack,
        min_projects,
        max_projects,
        min_share_percent: 0,
        results_rule,
        mes_utility: MesUtility::Cost,
        add1_increment: 0,
    };
    input.check().map_err(|e| CoreError::Invalid(format!("file: {e}")))?;
    Ok(input)
}

/// Imports a parsed file as a new budget of component `component_id`, with its
/// projects and its votes as confirmed ballots (`imported`, dated `today`). `title`
/// overrides the file's description when given; `currency` is used when META has
/// none. Approval files only; all or nothing.
pub fn import(
    conn: &mut PgConnection,
    key: &TenantKey,
    component_id: i64,
    instance: &Instance,
    title: &Texts,
    currency: &str,
    today: NaiveDate,
) -> CoreResult<Imported> {
    let election = Election::from_pb(instance).map_err(|e| CoreError::Invalid(format!("file: {e}")))?;
    if election.money_scale() > 4 {
        return Err(CoreError::Invalid("file: amounts with more than 4 decimals".into()));
    }
    let input = budget_input(instance, &election, title, currency)?;
    conn.transaction(|conn| {
        let budget_id = create(conn, component_id, &input)?;
        let extra = |p: &PbProject, column: &str| {
            p.extra.iter().find(|(k, _)| k == column).map(|(_, v)| v.as_str()).unwrap_or("").to_owned()
        };
        let pb_ids: Vec<String> = election.projects().iter().map(|p| p.id.clone()).collect();
        let amounts: Vec<i64> = election.projects().iter().map(|p| i64::try_from(p.cost).unwrap_or(0)).collect();
        let titles: Vec<String> = instance
            .projects
            .iter()
            .map(|p| {
                let name = clip(p.name.as_deref().unwrap_or(""), 300);
                if name.is_empty() {
                    format!("Projet {}", p.id)
                } else {
                    name
                }
            })
            .collect();
        let categories: Vec<String> = instance.projects.iter().map(|p| clip(&extra(p, "category"), 200)).collect();
        let addresses: Vec<String> = instance.projects.iter().map(|p| clip(&extra(p, "address"), 300)).collect();
        if pb_ids.iter().any(|id| id.chars().count() > 100) {
            return Err(CoreError::Invalid("file: a project id longer than 100 characters".into()));
        }
        #[derive(QueryableByName)]
        struct Made {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Text)]
            pb_id: String,
        }
        let made: Vec<Made> = prepared(
            "INSERT INTO budget_projects (budget_id, pb_id, title, amount, category, address, position)
             SELECT $1, t.pb_id, t.title, t.amount, t.category, t.address, (t.i - 1)::int4
             FROM unnest($2::text[], $3::text[], $4::int8[], $5::text[], $6::text[]) WITH ORDINALITY
                  AS t(pb_id, title, amount, category, address, i)
             RETURNING id, pb_id",
        )
        .bind::<BigInt, _>(budget_id)
        .bind::<Array<Text>, _>(&pb_ids)
        .bind::<Array<Text>, _>(&titles)
        .bind::<Array<BigInt>, _>(&amounts)
        .bind::<Array<Text>, _>(&categories)
        .bind::<Array<Text>, _>(&addresses)
        .load(conn)?;
        let project_id: std::collections::HashMap<&str, i64> = made.iter().map(|m| (m.pb_id.as_str(), m.id)).collect();
        let purpose = format!("budget-import:{budget_id}");
        let voters: Vec<String> = instance.votes.iter().map(|v| key.hash(&purpose, &v.voter_id)).collect();
        #[derive(QueryableByName)]
        struct Ballot {
            #[diesel(sql_type = SqlUuid)]
            id: Uuid,
            #[diesel(sql_type = Integer)]
            i: i32,
        }
        let ballots: Vec<Ballot> = prepared(
            "WITH v AS (SELECT * FROM unnest($3::text[]) WITH ORDINALITY AS v(voter, i)),
                  made AS (
                      INSERT INTO budget_ballots (budget_id, component_id, voter, state, confirmed_on, imported)
                      SELECT $1, $2, v.voter, 'confirmed', $4, true FROM v
                      RETURNING id, voter)
             SELECT made.id, v.i::int4 AS i FROM made JOIN v ON v.voter = made.voter",
        )
        .bind::<BigInt, _>(budget_id)
        .bind::<BigInt, _>(component_id)
        .bind::<Array<Text>, _>(&voters)
        .bind::<diesel::sql_types::Date, _>(today)
        .load(conn)?;
        let mut ballot_ids: Vec<Uuid> = Vec::new();
        let mut project_ids: Vec<i64> = Vec::new();
        for b in &ballots {
            let Some(vote) = usize::try_from(b.i - 1).ok().and_then(|i| instance.votes.get(i)) else { continue };
            let mut approved: Vec<i64> =
                vote.projects.iter().filter_map(|p| project_id.get(p.as_str()).copied()).collect();
            approved.sort_unstable();
            approved.dedup();
            for p in approved {
                ballot_ids.push(b.id);
                project_ids.push(p);
            }
        }
        prepared(
            "INSERT INTO budget_ballot_projects (ballot_id, budget_id, project_id)
             SELECT t.ballot_id, $1, t.project_id FROM unnest($2::uuid[], $3::int8[]) AS t(ballot_id, project_id)",
        )
        .bind::<BigInt, _>(budget_id)
        .bind::<Array<SqlUuid>, _>(&ballot_ids)
        .bind::<Array<BigInt>, _>(&project_ids)
        .execute(conn)?;
        Ok(Imported { budget_id, projects: made.len(), ballots: ballots.len() })
    })
}

/// The inputs of a budget for an export of its ballots: refused while voting is open.
pub fn load_for_export(
    conn: &mut PgConnection,
    component_id: i64,
    budget_id: i64,
    order: &[Locale],
) -> CoreResult<Inputs> {
    if voting_state(conn, component_id)?.voting_open() {
        return Err(CoreError::Conflict(
            "ballots are exported once voting is closed: two exports taken while people vote would show which \
             ballot came in between"
                .into(),
        ));
    }
    results::load(conn, component_id, budget_id, order)?.ok_or_else(|| CoreError::NotFound("no such budget".into()))
}

/// A random permutation of `0..n` (Fisher–Yates with the system's randomness).
fn shuffled(n: usize) -> CoreResult<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut bytes = vec![0u8; n.saturating_mul(8)];
    getrandom::fill(&mut bytes).map_err(|e| CoreError::Invalid(format!("no randomness: {e}")))?;
    for i in (1..n).rev() {
        let chunk: [u8; 8] = bytes[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]);
        let j = (u64::from_le_bytes(chunk) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    Ok(order)
}

/// Amounts written at the fewest decimals that keep them all exact.
fn decimals(amounts: &[i64], scale: u32) -> Vec<Decimal> {
    let exact = |n: i64| Decimal::new(i128::from(n), scale).unwrap_or(Decimal::from_int(n));
    let common = amounts.iter().map(|&n| exact(n).min_scale()).max().unwrap_or(0);
    amounts
        .iter()
        .map(|&n| {
            let d = exact(n);
            d.to_units(common).and_then(|u| Decimal::new(u, common)).unwrap_or(d)
        })
        .collect()
}

/// A budget as a `.pb` file: its projects with their votes, and its confirmed
/// ballots numbered 1..n in a random order. `unit` names the institution.
pub fn to_instance(inputs: &Inputs, unit: &str, language: Locale) -> CoreResult<Instance> {
    let b = &inputs.budget;
    let mut amounts = vec![b.amount];
    amounts.extend(inputs.projects.iter().map(|p| p.amount));
    let money = decimals(&amounts, b.money_scale);
    let rule = match b.results_rule {
        ResultsRule::Greedy => "greedy",
        ResultsRule::Coverage => "maximal-coverage",
        ResultsRule::EqualShares => "equalshares/add1",
    };
    let mut entries = vec![
        ("description".to_owned(), b.title.clone()),
        ("unit".to_owned(), unit.to_owned()),
        ("num_projects".to_owned(), inputs.projects.len().to_string()),
        ("num_votes".to_owned(), inputs.ballots.len().to_string()),
        ("budget".to_owned(), money[0].to_string()),
        ("vote_type".to_owned(), "approval".to_owned()),
        ("rule".to_owned(), rule.to_owned()),
        ("currency".to_owned(), b.currency.clone()),
        ("language".to_owned(), language.as_str().to_owned()),
    ];
    if b.min_projects > 0 {
        entries.push(("min_length".to_owned(), b.min_projects.to_string()));
    }
    if b.max_projects > 0 {
        entries.push(("max_length".to_owned(), b.max_projects.to_string()));
    }
    if b.rule == RuleKind::Knapsack {
        entries.push(("max_sum_cost".to_owned(), money[0].to_string()));
    }
    let meta = Meta::from_entries(entries).map_err(|e| CoreError::Invalid(format!("export: {e}")))?;
    let mut votes = vec![0usize; inputs.projects.len()];
    let index: std::collections::HashMap<&str, usize> =
        inputs.projects.iter().enumerate().map(|(i, p)| (p.pb_id.as_str(), i)).collect();
    for ballot in &inputs.ballots {
        for p in ballot {
            if let Some(&i) = index.get(p.as_str()) {
                votes[i] += 1;
            }
        }
    }
    let projects = inputs
        .projects
        .iter()
        .zip(&money[1..])
        .zip(&votes)
        .map(|((p, cost), v)| PbProject {
            id: p.pb_id.clone(),
            cost: *cost,
            name: Some(p.title.clone()),
            extra: vec![("votes".to_owned(), v.to_string()), ("category".to_owned(), p.category.clone())],
        })
        .collect();
    let order = shuffled(inputs.ballots.len())?;
    let votes = order
        .iter()
        .enumerate()
        .map(|(n, &i)| Vote {
            voter_id: (n + 1).to_string(),
            projects: inputs.ballots[i].clone(),
            points: None,
            extra: Vec::new(),
        })
        .collect();
    Ok(Instance {
        meta,
        project_columns: ["project_id", "cost", "votes", "name", "category"].map(String::from).to_vec(),
        projects,
        vote_columns: ["voter_id", "vote"].map(String::from).to_vec(),
        votes,
    })
}

/// The confirmed ballots as CSV: one row per ballot (numbered 1..n in a random
/// order), one column per project (its PaBuLib id), 1 when approved.
pub fn ballots_csv(inputs: &Inputs) -> CoreResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| CoreError::Invalid(format!("CSV: {e}"));
    let mut header = vec!["ballot".to_owned()];
    header.extend(inputs.projects.iter().map(|p| p.pb_id.clone()));
    out.write_record(&header).map_err(csv_error)?;
    let index: std::collections::HashMap<&str, usize> =
        inputs.projects.iter().enumerate().map(|(i, p)| (p.pb_id.as_str(), i)).collect();
    for (n, &i) in shuffled(inputs.ballots.len())?.iter().enumerate() {
        let mut row = vec!["0".to_owned(); inputs.projects.len() + 1];
        row[0] = (n + 1).to_string();
        for p in &inputs.ballots[i] {
            if let Some(&k) = index.get(p.as_str()) {
                row[k + 1] = "1".to_owned();
            }
        }
        out.write_record(&row).map_err(csv_error)?;
    }
    out.into_inner().map_err(|e| CoreError::Invalid(format!("CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shuffle_is_a_permutation() {
        let mut order = shuffled(500).unwrap();
        order.sort_unstable();
        assert_eq!(order, (0..500).collect::<Vec<_>>());
        assert!(shuffled(0).unwrap().is_empty());
        // 500! orders: two draws alike would be a broken generator.
        assert_ne!(shuffled(500).unwrap(), shuffled(500).unwrap());
    }

    #[test]
    fn amounts_are_written_with_the_fewest_exact_decimals() {
        let text = |v: Vec<Decimal>| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(text(decimals(&[30_000_000, 1_250_000], 2)), ["300000", "12500"]);
        assert_eq!(text(decimals(&[30_000_000, 1_250_050], 2)), ["300000.0", "12500.5"]);
        assert_eq!(text(decimals(&[300_000, 957], 0)), ["300000", "957"]);
    }
}
