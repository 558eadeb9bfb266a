//! The demo's participatory budgets, on the city's site: a process "Budget
//! participatif des quartiers" whose vote is under way, with two components built
//! from real PaBuLib files (pabulib.org), imported through the module's own import:
//!
//! - "Quartier Ouest": Amsterdam West 2022 (62 projects, 300,000 €, 412 real ballots,
//!   at least 3 projects per ballot), open for votes: anyone with an account adds
//!   their ballot to the file's;
//! - "Budget vert": Wieliczka's 2023 green budget (64 projects, 1,000,000 PLN, all
//!   6,586 ballots), finished, its results published: equal shares, with the three
//!   rules side by side.
//!
//! Project titles stay in the files' languages (Dutch, Polish): they are real data.
use tenant_core::budgets::{self, pabulib, PhaseSettings, ResultsRule, Settings};
use tenant_core::catalog::keys;
use tenant_core::names::{Locale, ModuleName};
use tenant_core::secrets::Keyring;
use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
use tenant_core::{components, CoreError, Db, Tenant};

const AMSTERDAM: &str = include_str!("../../../budget-rules/tests/data/pabulib/netherlands_amsterdam_2022_west.pb");
const WIELICZKA: &str = include_str!("../../../budget-rules/tests/data/pabulib/poland_wieliczka_2023_green-budget.pb");

/// The process's slug, for the demo's tests.
pub const SLUG: &str = "budgets-des-quartiers";

fn texts(fr: &str, en: &str) -> Texts {
    [(Locale::Fr, fr.to_owned()), (Locale::En, en.to_owned())].into()
}

/// A published budgets component in `space` with the given phase settings: (vote
/// phase, results phase).
fn component(
    conn: &mut diesel::PgConnection,
    space: i64,
    phases: &[i64],
    name: &Texts,
    per_phase: [PhaseSettings; 2],
) -> Result<i64, CoreError> {
    let settings = Settings::default().to_json();
    let id = components::create(conn, space, ModuleName::Budgets, name, &settings)?;
    let mut map = serde_json::Map::new();
    for (phase, s) in phases.iter().zip(per_phase) {
        map.insert(phase.to_string(), serde_json::to_value(s).map_err(|e| CoreError::Invalid(e.to_string()))?);
    }
    components::update(conn, id, name, &settings, &serde_json::Value::Object(map))?;
    components::set_published(conn, id, true)?;
    Ok(id)
}

/// Imports `file` into `component` with these texts.
#[allow(clippy::too_many_arguments)]
fn import(
    conn: &mut diesel::PgConnection,
    key: &keys::TenantKey,
    component: i64,
    file: &str,
    title: Texts,
    description: Texts,
    results_rule: ResultsRule,
) -> Result<(), CoreError> {
    let instance =
        budget_rules::pb::Instance::parse(file).map_err(|e| CoreError::Invalid(format!("demo PaBuLib file: {e}")))?;
    let today = chrono::Utc::now().date_naive();
    let done = pabulib::import(conn, key, component, &instance, &title, "EUR", today)?;
    let b = budgets::find(conn, component, done.budget_id, &[Locale::Fr])?
        .ok_or_else(|| CoreError::NotFound("imported budget".into()))?;
    budgets::update(conn, component, b.id, &budgets::BudgetInput { description, results_rule, ..b.to_input() })
}

pub fn fill(db: &Db, keyring: &Keyring, tenant: &Tenant) -> anyhow::Result<()> {
    let key = db.catalog(|conn| keys::tenant_key(conn, keyring, tenant.id))?;
    db.tenant(tenant, |conn| {
        let space = spaces::create(
            conn,
            &NewSpace {
                kind: SpaceKind::Process,
                slug: SLUG,
                title: &texts("Budget participatif des quartiers", "District participatory budget"),
                subtitle: &texts(
                    "Votez pour les projets de votre quartier, puis découvrez comment les votes deviennent des projets financés",
                    "Vote for your district's projects, then see how votes become funded projects",
                ),
                description: &texts(
                    "Ces budgets reprennent des votes réels publiés par PaBuLib (pabulib.org), la bibliothèque ouverte de budgets participatifs : les projets gardent leur titre d'origine.\n\nLe vote du quartier Ouest est ouvert : chaque habitant ayant un compte peut y ajouter son bulletin. Le budget vert est terminé : ses résultats comparent trois façons de compter les mêmes bulletins.",
                    "These budgets replay real votes published by PaBuLib (pabulib.org), the open library of participatory budgets: projects keep their original titles.\n\nThe West district's vote is open: every resident with an account may add a ballot. The green budget is over: its results compare three ways of counting the same ballots.",
                ),
                start_date: chrono::NaiveDate::from_ymd_opt(2027, 3, 1),
                end_date: chrono::NaiveDate::from_ymd_opt(2027, 6, 30),
                private: false,
                published: true,
            },
        )?;
        let mut phases = Vec::new();
        for (fr, en, start, end) in [
            ("Vote des habitants", "Residents' vote", (2027, 3, 1), (2027, 3, 31)),
            ("Résultats", "Results", (2027, 4, 1), (2027, 6, 30)),
        ] {
            let day = |(y, m, d): (i32, u32, u32)| chrono::NaiveDate::from_ymd_opt(y, m, d);
            phases.push(spaces::add_phase(conn, space, &texts(fr, en), &Texts::new(), (day(start), day(end)))?);
        }
        spaces::activate_phase(conn, space, phases[0])?;
        let open = PhaseSettings { voting_enabled: true, results_published: false };
        let published = PhaseSettings { voting_enabled: false, results_published: true };
        let west = component(
            conn,
            space,
            &phases,
            &texts("Quartier Ouest : le vote", "West district: the vote"),
            [open, published.clone()],
        )?;
        import(
            conn,
            &key,
            west,
            AMSTERDAM,
            texts("Quartier Ouest", "West district"),
            texts(
                "Données réelles : budget participatif d'Amsterdam West 2022 (échantillon de 412 bulletins publié par PaBuLib).",
                "Real data: Amsterdam West 2022 participatory budget (a sample of 412 ballots published by PaBuLib).",
            ),
            ResultsRule::EqualShares,
        )?;
        let green = component(
            conn,
            space,
            &phases,
            &texts("Budget vert : les résultats", "Green budget: the results"),
            [published.clone(), published],
        )?;
        import(
            conn,
            &key,
            green,
            WIELICZKA,
            texts("Budget vert", "Green budget"),
            texts(
                "Données réelles : le budget vert de Wieliczka (Pologne), 2023, avec ses 6 586 bulletins (PaBuLib).",
                "Real data: the green budget of Wieliczka (Poland), 2023, with its 6,586 ballots (PaBuLib).",
            ),
            ResultsRule::EqualShares,
        )?;
        Ok::<_, CoreError>(())
    })?;
    Ok(())
}
