//! Participatory budgets end to end: real PaBuLib files imported through the module
//! give the rules' results; every ballot rule is enforced by the server on
//! hand-crafted requests, storing nothing when it refuses; ballots keep nothing of
//! who voted, and exports are anonymous; the results page explains each project
//! and compares the three rules; the admin pages create, import and export.
use std::collections::BTreeMap;
use std::path::PathBuf;

use budget_rules::pb::Instance;
use budget_rules::rules::{
    greedy, maximal_coverage, method_of_equal_shares, Add1Options, Completion, Election, GreedyOptions, MesOptions,
    TieBreaking, Utility,
};
use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::accounts::verifications::{self, Kind, Requirement};
use tenant_core::budgets::{
    self, pabulib, projects, results, BudgetInput, MesUtility, PhaseSettings, ResultsRule, RuleKind, Settings,
};
use tenant_core::catalog::keys;
use tenant_core::components;
use tenant_core::names::{Locale, ModuleName};
use tenant_core::secrets::{Keyring, MasterKey};
use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
use tenant_core::{CoreError, Db, Tenant};

use crate::support::browser::{form_value, Browser};
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";

fn texts(fr: &str) -> Texts {
    [(Locale::Fr, fr.to_owned())].into()
}

fn pabulib_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../budget-rules/tests/data/pabulib")
}

/// A published process with a "Vote" phase (active) and a "Résultats" phase, and a
/// published budgets component with `settings`: voting in the first phase, results
/// published in the second. Returns (space, phases, component).
fn budgets_place(conn: &mut diesel::PgConnection, settings: &Settings) -> Result<(i64, Vec<i64>, i64), CoreError> {
    let empty = Texts::new();
    let space = spaces::create(
        conn,
        &NewSpace {
            kind: SpaceKind::Process,
            slug: "budget-2027",
            title: &texts("Budget participatif 2027"),
            subtitle: &empty,
            description: &empty,
            start_date: None,
            end_date: None,
            private: false,
            published: true,
        },
    )?;
    let mut phases = Vec::new();
    for t in ["Vote", "Résultats"] {
        phases.push(spaces::add_phase(conn, space, &texts(t), &empty, (None, None))?);
    }
    spaces::activate_phase(conn, space, phases[0])?;
    let component = components::create(conn, space, ModuleName::Budgets, &texts("Votez"), &settings.to_json())?;
    set_settings(conn, component, &phases, settings)?;
    components::set_published(conn, component, true)?;
    Ok((space, phases, component))
}

fn set_settings(
    conn: &mut diesel::PgConnection,
    component: i64,
    phases: &[i64],
    settings: &Settings,
) -> Result<(), CoreError> {
    let vote = PhaseSettings { voting_enabled: true, results_published: false };
    let results = PhaseSettings { voting_enabled: false, results_published: true };
    let per_phase = serde_json::json!({
        phases[0].to_string(): serde_json::to_value(&vote).unwrap(),
        phases[1].to_string(): serde_json::to_value(&results).unwrap(),
    });
    components::update(conn, component, &texts("Votez"), &settings.to_json(), &per_phase)
}

fn euros(n: i64) -> i64 {
    n * 100
}

fn budget(title: &str, amount: i64, rule: RuleKind, min: u32, max: u32) -> BudgetInput {
    BudgetInput {
        title: texts(title),
        description: Texts::new(),
        amount: euros(amount),
        currency: "EUR".into(),
        money_scale: 2,
        rule,
        min_projects: min,
        max_projects: max,
        min_share_percent: 0,
        results_rule: ResultsRule::EqualShares,
        mes_utility: MesUtility::Cost,
        add1_increment: 0,
    }
}

struct Place {
    phases: Vec<i64>,
    component: i64,
    base: String,
    north: i64,
    south: i64,
    projects: BTreeMap<&'static str, i64>,
    users: BTreeMap<&'static str, i64>,
}

/// Accounts (alice, bob, carole, dora: confirmed participants; admin), with ids far
/// from any other number in the tables so a leak would show; a "Nord" budget of
/// 100,000 € (at most its amount, at least 2 projects) and a "Sud" one of 50,000 €
/// (approval, at most 2 projects).
fn setup(db: &Db, tenant: &Tenant, settings: &Settings) -> Place {
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(tenant, |conn| {
        diesel::RunQueryDsl::execute(diesel::sql_query("ALTER SEQUENCE users_id_seq RESTART WITH 987654321"), conn)?;
        let mut people = BTreeMap::new();
        for (nick, role) in [
            ("alice", UserRole::Participant),
            ("bob", UserRole::Participant),
            ("carole", UserRole::Participant),
            ("dora", UserRole::Participant),
            ("admin", UserRole::Admin),
        ] {
            let email = format!("{nick}@{}.fr", tenant.slug.as_str());
            let new = NewUser {
                nickname: nick,
                email: Some(&email),
                password_hash: Some(&phc),
                locale: Locale::Fr,
                email_confirmed: true,
                role,
            };
            people.insert(nick, users::create(conn, &new)?.unwrap());
        }
        let (_, phases, component) = budgets_place(conn, settings)?;
        let north = budgets::create(conn, component, &budget("Nord", 100_000, RuleKind::Knapsack, 2, 0))?;
        let south = budgets::create(conn, component, &budget("Sud", 50_000, RuleKind::Approval, 0, 2))?;
        let mut made = BTreeMap::new();
        for (b, name, cost) in [
            (north, "Jardin", 40_000),
            (north, "Piste", 50_000),
            (north, "Bancs", 15_000),
            (north, "Fresque", 70_000),
            (south, "Aire de jeux", 30_000),
            (south, "Arbres", 20_000),
            (south, "Fontaine", 45_000),
        ] {
            let input = projects::ProjectInput {
                title: name.into(),
                description: format!("<p>Le projet {name}.</p>"),
                amount: euros(cost),
                category: "Cadre de vie".into(),
                ..projects::ProjectInput::default()
            };
            made.insert(name, projects::create(conn, component, b, &input)?);
        }
        Ok::<_, CoreError>(Place {
            phases,
            component,
            base: format!("/processes/budget-2027/f/{component}"),
            north,
            south,
            projects: made,
            users: people,
        })
    })
    .unwrap()
}

fn signed_in(app: &TestApp, host: &str, nick: &str, slug: &str) -> Browser {
    let mut b = Browser::new(app.http, host);
    let csrf = b.csrf("/sign-in");
    let r = b.post("/sign-in", &[("csrf", &csrf), ("email", &format!("{nick}@{slug}.fr")), ("password", PASSWORD)]);
    assert_eq!(r.status, 303, "{}", r.body);
    b
}

/// Posts the ballot form of a budget with `projects` and `action`.
fn vote(b: &mut Browser, url: &str, projects: &[i64], action: &str) -> crate::support::http::Resp {
    let csrf = b.csrf(url);
    let ids: Vec<String> = projects.iter().map(i64::to_string).collect();
    let mut fields = vec![("csrf", csrf.as_str()), ("action", action)];
    fields.extend(ids.iter().map(|id| ("project", id.as_str())));
    b.post(&format!("{url}/ballot"), &fields)
}

/// Every ballot row and selection, as text (what a refused request must leave as it was).
fn ballots_state(conn: &mut diesel::PgConnection, schema: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Dump {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    let sql = format!(
        "SELECT coalesce(string_agg(x, ' | ' ORDER BY x), '') AS dump FROM (
            SELECT b.budget_id || ':' || b.state || ':' || coalesce(b.confirmed_on::text, '-') || ':' ||
                   coalesce((SELECT string_agg(s.project_id::text, ',' ORDER BY s.project_id)
                             FROM {schema}.budget_ballot_projects s WHERE s.ballot_id = b.id), '') AS x
            FROM {schema}.budget_ballots b) t"
    );
    diesel::RunQueryDsl::get_result::<Dump>(diesel::sql_query(sql), conn).unwrap().dump
}

/// Waits until the server's place cache sees a settings change (it listens for the
/// database's notifications).
fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the change was not seen in time");
}

/// (a) The correctness chain for the four real PaBuLib files of
/// `budget-rules/tests/data/pabulib`: each is imported through the module's
/// tenant-core import path (`budgets::pabulib::import`: projects and votes stored as
/// a budget with confirmed ballots), then the results are computed from the stored
/// ballots (`budgets::results::load` + `compute`, as the results page does) and the
/// winners of greedy, maximal coverage and equal shares (cost and approval utilities,
/// add1 then greedy) must equal those the `budget-rules` crate computes directly on the
/// file, with the same options. The crate itself is checked against pabutools 1.2.3 by
/// `budget-rules/pabutools/compare.sh`, which the test command (`deploy/dev/test.sh`)
/// runs in the same run, on the same files, with the same add1 steps (set here on
/// each imported budget); this test also checks that the module's options give the
/// same winners as the options compare.sh uses (pabutools funds projects without votes
/// when money is left; the module does not), so the chain holds: stored ballots →
/// module = crate on the file = pabutools. Maximal coverage is not in pabutools: the
/// crate checks it against a brute force over every subset (its unit tests).
#[test]
fn the_four_pabulib_files_imported_through_the_module_give_the_crates_winners() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "pbfiles", &["pbfiles.test"], &["budgets"]);
    let keyring = Keyring::new(MasterKey::generate().unwrap(), Vec::new());
    let key = db.catalog(|conn| keys::tenant_key(conn, &keyring, tenant.id)).unwrap();
    let component = db.tenant(&tenant, |conn| budgets_place(conn, &Settings::default()).map(|p| p.2)).unwrap();
    let today = chrono::Utc::now().date_naive();
    // compare.sh's add1 steps (budget-rules/pabutools/rules.py).
    let files = [
        ("hungary_budapest_2024.pb", 100_000),
        ("netherlands_amsterdam_2022_west.pb", 1),
        ("poland_warszawa_2021_bielany.pb", 1_000),
        ("poland_wieliczka_2023_green-budget.pb", 1),
    ];
    // Voting closed: the files' ballots are all there is, and exports are possible.
    db.tenant(&tenant, |conn| {
        let space = spaces_id(conn);
        let results_phase = spaces::find_any(conn, space, &[Locale::Fr])?.map(|(_, p)| p[1].id).unwrap();
        spaces::activate_phase(conn, space, results_phase)
    })
    .unwrap();
    for (file, increment) in files {
        let text = std::fs::read_to_string(pabulib_dir().join(file)).unwrap();
        let instance = Instance::parse(&text).unwrap();
        let imported = db
            .tenant(&tenant, |conn| pabulib::import(conn, &key, component, &instance, &Texts::new(), "EUR", today))
            .unwrap();
        assert_eq!(imported.projects, instance.projects.len(), "{file}");
        assert_eq!(imported.ballots, instance.votes.len(), "{file}");
        let direct = Election::from_pb(&instance).unwrap();
        for utility in [MesUtility::Cost, MesUtility::Approval] {
            db.tenant(&tenant, |conn| {
                let b = budgets::find(conn, component, imported.budget_id, &[Locale::Fr])?.unwrap();
                let input = BudgetInput { add1_increment: increment, mes_utility: utility, ..b.to_input() };
                budgets::update(conn, component, imported.budget_id, &input)
            })
            .unwrap();
            let inputs =
                db.tenant(&tenant, |conn| results::load(conn, component, imported.budget_id, &[Locale::Fr])).unwrap();
            let inputs = inputs.unwrap();
            assert_eq!(inputs.ballots.len(), instance.votes.len(), "{file}: every vote is a confirmed ballot");
            let stored = inputs.election().unwrap();
            assert_eq!((stored.budget(), stored.money_scale()), (direct.budget(), direct.money_scale()), "{file}");
            assert_eq!(stored.projects(), direct.projects(), "{file}: same projects and costs");
            let ours = results::compute(&inputs).unwrap();
            assert_eq!(ours.increment, increment as u64, "{file}");
            let winners = |rule| stored.ids(&ours.summary(rule).unwrap().winners);

            // Greedy, on the file, with the module's options and with compare.sh's.
            let g = greedy(&direct, &results::greedy_options()).unwrap();
            assert_eq!(winners(ResultsRule::Greedy), direct.ids(&g.winners), "{file}: greedy");
            let pabutools_greedy =
                GreedyOptions { fund_projects_without_votes: true, tie_breaking: TieBreaking::pabutools(), ..g_opts() };
            let pg = greedy(&direct, &pabutools_greedy).unwrap();
            assert_eq!(sorted(direct.ids(&pg.winners)), sorted(direct.ids(&g.winners)), "{file}: greedy as compare.sh");

            // Maximal coverage.
            let c = maximal_coverage(&direct, &results::coverage_options());
            assert_eq!(winners(ResultsRule::Coverage), direct.ids(&c.winners), "{file}: coverage");

            // Equal shares, add1 then greedy.
            let options = results::mes_options(utility, increment as u64);
            let m = method_of_equal_shares(&direct, &options).unwrap();
            assert_eq!(winners(ResultsRule::EqualShares), direct.ids(&m.winners), "{file}: MES {utility:?}");
            if utility == MesUtility::Cost {
                let compare_sh = MesOptions {
                    utility: Utility::Cost,
                    completion: Completion::Add1ThenGreedy(Add1Options::pabutools(increment as u64)),
                    tie_breaking: TieBreaking::pabutools(),
                    greedy: pabutools_greedy.clone(),
                };
                let pm = method_of_equal_shares(&direct, &compare_sh).unwrap();
                assert_eq!(
                    sorted(direct.ids(&pm.winners)),
                    sorted(direct.ids(&m.winners)),
                    "{file}: MES as compare.sh"
                );
            }
            // Voters represented, as the side-by-side shows them.
            for s in &ours.summaries {
                let reached = direct
                    .ballots()
                    .iter()
                    .filter(|b| {
                        b.iter().any(|p| s.winners.iter().any(|w| stored.project(*w).id == direct.project(*p).id))
                    })
                    .count();
                assert_eq!(s.represented, reached, "{file}: {:?}", s.rule);
            }
        }

        // The export (once voting is closed) writes the same budget, projects, costs and
        // ballots back.
        let exported = db
            .tenant(&tenant, |conn| {
                let inputs = pabulib::load_for_export(conn, component, imported.budget_id, &[Locale::Fr])?;
                pabulib::to_instance(&inputs, "Test", Locale::Fr)
            })
            .unwrap();
        let back = Instance::parse(&exported.to_pb()).unwrap();
        let again = Election::from_pb(&back).unwrap();
        assert_eq!(again.budget(), direct.budget(), "{file}");
        assert_eq!(again.projects(), direct.projects(), "{file}");
        let ballots = |e: &Election| {
            let mut all: Vec<Vec<String>> = e.ballots().iter().map(|b| sorted(e.ids(b))).collect();
            all.sort();
            all
        };
        assert_eq!(ballots(&again), ballots(&direct), "{file}: the same ballots, in another order");
        let voter_ids: Vec<String> = back.votes.iter().map(|v| v.voter_id.clone()).collect();
        let expected: Vec<String> = (1..=back.votes.len()).map(|n| n.to_string()).collect();
        assert_eq!(voter_ids, expected, "{file}: voters numbered 1..n");
    }
}

fn g_opts() -> GreedyOptions {
    results::greedy_options()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// (b) Every rule of a ballot holds against hand-crafted requests: over the budget,
/// below the minimum, a project of another budget, a second ballot, another district,
/// a missing verification, a ballot after closing; each is refused with a message
/// that says why, and the ballot tables are left exactly as they were.
#[test]
fn the_server_refuses_ballots_that_break_a_rule_and_stores_nothing() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "bgt", &["bgt.test"], &["budgets"]);
    let settings = Settings { one_district_only: true, allow_recast: true, ..Settings::default() };
    let place = setup(&db, &tenant, &settings);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let schema = tenant.schema.as_str().to_owned();
    let p = |name: &str| place.projects[name];
    let north = format!("{}/budgets/{}", place.base, place.north);
    let south = format!("{}/budgets/{}", place.base, place.south);

    // The component's page lists both budgets and their rules.
    let mut anon = Browser::new(app.http, "bgt.test");
    let index = anon.get(&place.base);
    assert_eq!(index.status, 200, "{}", index.body);
    assert!(index.body.contains("Nord") && index.body.contains("Sud"), "{}", index.body);
    assert!(index.body.contains("Le total des projets choisis ne peut pas dépasser 100\u{202f}000\u{a0}€"));
    assert!(index.body.contains("Vous ne pouvez voter que dans un seul de ces budgets"));
    // Anonymous: the page says to sign in, a POST goes to sign-in and stores nothing.
    assert!(anon.get(&north).body.contains("connectez-vous"));
    let csrf = anon.csrf("/sign-in");
    let r = anon.post(&format!("{north}/ballot"), &[("csrf", &csrf), ("action", "confirm"), ("project", "1")]);
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/sign-in"));

    let mut alice = signed_in(&app, "bgt.test", "alice", "bgt");
    let before = ballots_state(&mut conn, &schema);
    assert_eq!(before, "");
    // Over the budget (110,000 € of 100,000 €).
    let r = vote(&mut alice, &north, &[p("Jardin"), p("Fresque")], "confirm");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Dépasse le budget de 10\u{202f}000\u{a0}€"), "{}", r.body);
    assert!(
        r.body.contains("Rien n&#x27;a été enregistré") || r.body.contains("rien n&#x27;a été enregistré"),
        "{}",
        r.body
    );
    assert_eq!(ballots_state(&mut conn, &schema), before);
    // Below the minimum number of projects.
    let r = vote(&mut alice, &north, &[p("Jardin")], "confirm");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Il manque 1 projet (minimum 2)"), "{}", r.body);
    assert_eq!(ballots_state(&mut conn, &schema), before);
    // Nothing chosen.
    let r = vote(&mut alice, &north, &[], "confirm");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Choisissez au moins un projet"));
    // A project of another budget.
    let r = vote(&mut alice, &north, &[p("Jardin"), p("Arbres")], "confirm");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("n&#x27;appartient pas à ce budget"), "{}", r.body);
    let r = vote(&mut alice, &north, &[p("Jardin"), 999_999], "save");
    assert_eq!(r.status, 422);
    assert_eq!(ballots_state(&mut conn, &schema), before);
    // A form without its token.
    let r = alice.post(&format!("{north}/ballot"), &[("action", "confirm"), ("project", &p("Jardin").to_string())]);
    assert_eq!(r.status, 403);
    assert_eq!(ballots_state(&mut conn, &schema), before);

    // A draft may be over the budget: the page says why "confirm" is not possible.
    let r = vote(&mut alice, &north, &[p("Jardin"), p("Fresque")], "save");
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").unwrap().contains("notice=ballot_saved"));
    let page = alice.get(&north);
    assert!(page.body.contains("Dépasse le budget de 10\u{202f}000\u{a0}€"), "{}", page.body);
    assert!(page.body.contains("Total : <strong data-total>110\u{202f}000\u{a0}€</strong>"), "{}", page.body);
    assert!(page.body.contains("value=\"confirm\" data-confirm disabled"), "{}", page.body);
    let draft = ballots_state(&mut conn, &schema);
    assert_eq!(draft, format!("{}:draft:-:{},{}", place.north, p("Jardin"), p("Fresque")));
    // A refused confirmation leaves the draft as it was.
    let r = vote(&mut alice, &north, &[p("Jardin")], "confirm");
    assert_eq!(r.status, 422);
    assert_eq!(ballots_state(&mut conn, &schema), draft);

    // A valid ballot is confirmed, dated without a time.
    let r = vote(&mut alice, &north, &[p("Jardin"), p("Piste")], "confirm");
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").unwrap().contains("notice=ballot_confirmed"));
    let confirmed = ballots_state(&mut conn, &schema);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(confirmed, format!("{}:confirmed:{today}:{},{}", place.north, p("Jardin"), p("Piste")));
    let page = alice.get(&north);
    assert!(page.body.contains("Votre vote est enregistré"), "{}", page.body);
    // A second ballot in the same budget.
    let r = vote(&mut alice, &north, &[p("Jardin"), p("Bancs")], "confirm");
    assert_eq!(r.status, 409);
    assert!(r.body.contains("déjà confirmé"), "{}", r.body);
    assert_eq!(ballots_state(&mut conn, &schema), confirmed);
    // Another district, when the component allows one.
    let r = vote(&mut alice, &south, &[p("Arbres")], "confirm");
    assert_eq!(r.status, 409);
    assert!(r.body.contains("vous avez déjà voté pour le budget « Nord »"), "{}", r.body);
    let r = vote(&mut alice, &south, &[p("Arbres")], "save");
    assert_eq!(r.status, 409);
    assert_eq!(ballots_state(&mut conn, &schema), confirmed);
    // The database refuses a second district too, whatever the code above it does.
    let second_district = diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO {schema}.budget_ballots (budget_id, component_id, voter, exclusive, state, confirmed_on)
             SELECT {}, component_id, voter, true, 'confirmed', confirmed_on FROM {schema}.budget_ballots",
            place.south
        )),
        &mut conn,
    );
    assert!(second_district.is_err(), "the partial unique index refuses it");
    let second_ballot = diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO {schema}.budget_ballots (budget_id, component_id, voter)
             SELECT budget_id, component_id, voter FROM {schema}.budget_ballots"
        )),
        &mut conn,
    );
    assert!(second_ballot.is_err(), "one ballot per person and budget");
    let foreign_project = diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO {schema}.budget_ballot_projects (ballot_id, budget_id, project_id)
             SELECT id, budget_id, {} FROM {schema}.budget_ballots",
            p("Arbres")
        )),
        &mut conn,
    );
    assert!(foreign_project.is_err(), "a ballot approves only projects of its budget");
    assert_eq!(ballots_state(&mut conn, &schema), confirmed);

    // Cancelled and cast again (allowed by the component while voting is open).
    let csrf = alice.csrf(&north);
    let r = alice.post(&format!("{north}/ballot/cancel"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(ballots_state(&mut conn, &schema), "");
    let r = vote(&mut alice, &south, &[p("Arbres"), p("Fontaine")], "confirm");
    assert_eq!(r.status, 303, "{}", r.body);
    // Approval voting: at most K projects, whatever they cost.
    let mut bob = signed_in(&app, "bgt.test", "bob", "bgt");
    let r = vote(&mut bob, &south, &[p("Arbres"), p("Fontaine"), p("Aire de jeux")], "confirm");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("1 projet de trop (maximum 2)"), "{}", r.body);
    let after_alice = ballots_state(&mut conn, &schema);

    // A verification the component asks for.
    db.tenant(&tenant, |conn| {
        let s = Settings { vote_requires: Requirement::Verification(Kind::Franceconnect), ..settings.clone() };
        set_settings(conn, place.component, &place.phases, &s)
    })
    .unwrap();
    let r = vote(&mut bob, &north, &[p("Jardin"), p("Bancs")], "confirm");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("ne remplit pas la condition demandée pour voter"), "{}", r.body);
    assert_eq!(ballots_state(&mut conn, &schema), after_alice);
    db.tenant(&tenant, |conn| verifications::grant(conn, place.users["bob"], Kind::Franceconnect, "fc", "test", None))
        .unwrap();
    let r = vote(&mut bob, &north, &[p("Jardin"), p("Bancs")], "confirm");
    assert_eq!(r.status, 303, "{}", r.body);
    let after_bob = ballots_state(&mut conn, &schema);

    // Recasting where the component does not allow it.
    db.tenant(&tenant, |conn| {
        let s = Settings { allow_recast: false, ..settings.clone() };
        set_settings(conn, place.component, &place.phases, &s)
    })
    .unwrap();
    let csrf = bob.csrf(&north);
    let r = bob.post(&format!("{north}/ballot/cancel"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("ne peut pas être annulé"), "{}", r.body);
    assert_eq!(ballots_state(&mut conn, &schema), after_bob);

    // After closing (the results phase), no ballot is taken.
    close_voting(&db, &tenant, place.phases[1]);
    let mut carole = signed_in(&app, "bgt.test", "carole", "bgt");
    let r = vote(&mut carole, &north, &[p("Jardin"), p("Bancs")], "confirm");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("le vote n&#x27;est pas ouvert"), "{}", r.body);
    let r = vote(&mut carole, &north, &[p("Jardin"), p("Bancs")], "save");
    assert_eq!(r.status, 403);
    assert_eq!(ballots_state(&mut conn, &schema), after_bob);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM {schema}.budget_ballots")), 2);
}

/// Moves the process to its results phase (voting closed, results published).
fn close_voting(db: &Db, tenant: &Tenant, results_phase: i64) {
    db.tenant(tenant, |conn| {
        let space = spaces_id(conn);
        spaces::activate_phase(conn, space, results_phase)
    })
    .unwrap();
}

fn spaces_id(conn: &mut diesel::PgConnection) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    diesel::RunQueryDsl::get_result::<Id>(diesel::sql_query("SELECT id FROM spaces WHERE slug = 'budget-2027'"), conn)
        .unwrap()
        .id
}

/// (c) Secrecy: after people voted, no column of the ballot tables holds an account
/// id, an email address, a nickname, a network address or a time of day; the voter
/// column is a keyed hash that differs between components; the exports number
/// voters 1..n and hold no hash.
#[test]
fn ballots_and_their_exports_say_nothing_of_who_voted() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "secret", &["secret.test"], &["budgets"]);
    let place = setup(&db, &tenant, &Settings::default());
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let schema = tenant.schema.as_str().to_owned();
    let p = |name: &str| place.projects[name];
    let north = format!("{}/budgets/{}", place.base, place.north);
    for (nick, chosen) in [
        ("alice", vec![p("Jardin"), p("Piste")]),
        ("bob", vec![p("Bancs"), p("Fresque")]),
        ("carole", vec![p("Jardin"), p("Bancs")]),
    ] {
        let mut b = signed_in(&app, "secret.test", nick, "secret");
        let r = vote(&mut b, &north, &chosen, "confirm");
        assert_eq!(r.status, 303, "{nick}: {}", r.body);
    }
    let mut dora = signed_in(&app, "secret.test", "dora", "secret");
    assert_eq!(vote(&mut dora, &north, &[p("Piste")], "save").status, 303);

    // The columns are these, and none is a timestamp.
    #[derive(diesel::QueryableByName, Debug)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        data_type: String,
    }
    let columns: Vec<Column> = diesel::RunQueryDsl::load(
        diesel::sql_query(format!(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = '{schema}' AND table_name IN ('budget_ballots', 'budget_ballot_projects')
             ORDER BY table_name, ordinal_position"
        )),
        &mut conn,
    )
    .unwrap();
    let names: Vec<String> = columns.iter().map(|c| format!("{}.{}", c.table_name, c.column_name)).collect();
    assert_eq!(
        names,
        [
            "budget_ballot_projects.ballot_id",
            "budget_ballot_projects.budget_id",
            "budget_ballot_projects.project_id",
            "budget_ballots.id",
            "budget_ballots.budget_id",
            "budget_ballots.component_id",
            "budget_ballots.voter",
            "budget_ballots.exclusive",
            "budget_ballots.state",
            "budget_ballots.confirmed_on",
            "budget_ballots.imported",
        ]
    );
    assert!(columns.iter().all(|c| !c.data_type.contains("time")), "{columns:?}");
    // Every value of every column, as text.
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        row: String,
    }
    let mut rows: Vec<String> = Vec::new();
    for table in ["budget_ballots", "budget_ballot_projects"] {
        let found: Vec<Row> = diesel::RunQueryDsl::load(
            diesel::sql_query(format!("SELECT row_to_json(t)::text AS row FROM {schema}.{table} t")),
            &mut conn,
        )
        .unwrap();
        rows.extend(found.into_iter().map(|r| r.row));
    }
    assert_eq!(rows.iter().filter(|r| r.contains("\"voter\"")).count(), 4, "{rows:?}");
    let all = rows.join("\n");
    for (nick, id) in &place.users {
        assert!(!all.contains(&id.to_string()), "account id {id} of {nick} in {all}");
        assert!(!all.contains(nick), "nickname {nick} in {all}");
        assert!(!all.contains(&format!("{nick}@secret.fr")), "email in {all}");
    }
    assert!(!all.contains("127.0.0.1") && !all.contains("::1"), "{all}");
    // The voter hash depends on the component: the same person elsewhere is another hash.
    let key = app.state.identity.tenant_key(&app.state.db, &tenant).unwrap();
    let alice = place.users["alice"];
    let here = budgets::ballots::voter(&key, place.component, alice);
    assert!(all.contains(&here));
    assert_ne!(here, budgets::ballots::voter(&key, place.component + 1, alice));

    // The exports, once voting is closed; refused while it is open.
    let mut admin = signed_in(&app, "secret.test", "admin", "secret");
    let admin_base = format!("/admin/components/{}/budgets/{}", place.component, place.north);
    let refused = admin.get(&format!("{admin_base}/ballots.csv"));
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("une fois le vote fermé"), "{}", refused.body);
    close_voting(&db, &tenant, place.phases[1]);
    let csv = admin.get(&format!("{admin_base}/ballots.csv"));
    assert_eq!(csv.status, 200, "{}", csv.body);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 4, "a header and the three confirmed ballots: {}", csv.body);
    let numbers: std::collections::BTreeSet<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(numbers, ["1", "2", "3"].into());
    let pb = admin.get(&format!("{admin_base}/export.pb"));
    assert_eq!(pb.status, 200, "{}", pb.body);
    let instance = Instance::parse(&pb.body).unwrap();
    assert_eq!(instance.votes.len(), 3);
    assert_eq!(instance.projects.len(), 4);
    assert_eq!(instance.meta.budget().to_string(), "100000");
    for text in [&csv.body, &pb.body] {
        assert!(!text.contains(&here), "no voter hash");
        assert!(!text.split(|c: char| !c.is_ascii_hexdigit()).any(|w| w.len() >= 32), "no hash at all: {text}");
        for (nick, id) in &place.users {
            assert!(!text.contains(nick) && !text.contains(&id.to_string()), "{nick}: {text}");
        }
    }
}

/// The results page: public once the phase publishes it (a preview for admins
/// before), the funded projects under the budget's rule with a reason for each, and
/// the three rules side by side.
#[test]
fn the_results_page_explains_each_project_and_compares_the_rules() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "res", &["res.test"], &["budgets"]);
    let place = setup(&db, &tenant, &Settings::default());
    let app = TestApp::start(&tdb, TestConfig::default());
    let p = |name: &str| place.projects[name];
    let north = format!("{}/budgets/{}", place.base, place.north);
    for (nick, chosen) in [
        ("alice", vec![p("Jardin"), p("Piste")]),
        ("bob", vec![p("Jardin"), p("Bancs")]),
        ("carole", vec![p("Fresque"), p("Bancs")]),
        ("dora", vec![p("Jardin"), p("Piste")]),
    ] {
        let mut b = signed_in(&app, "res.test", nick, "res");
        assert_eq!(vote(&mut b, &north, &chosen, "confirm").status, 303);
    }
    let mut anon = Browser::new(app.http, "res.test");
    assert_eq!(anon.get(&format!("{north}/results")).status, 404, "not published during the vote");
    let mut admin = signed_in(&app, "res.test", "admin", "res");
    let preview = admin.get(&format!("{north}/results"));
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Aperçu"), "{}", preview.body);

    close_voting(&db, &tenant, place.phases[1]);
    let mut page = anon.get(&format!("{north}/results"));
    eventually(|| {
        page = anon.get(&format!("{north}/results"));
        page.status == 200
    });
    let body = &page.body;
    for text in [
        "Méthode des parts égales",
        "Glouton par nombre de votes",
        "Couverture maximale",
        "Votants représentés",
        "Budget utilisé",
        "4 bulletins",
        "Acheté au tour",
        "prix par vote",
        "sélection optimale",
    ] {
        assert!(body.contains(text), "{text} in {body}");
    }
    // Jardin (3 votes, 40,000 €) is funded under every rule.
    let row = body.split("<tr").find(|r| r.contains(">Jardin</a>")).unwrap();
    assert!(row.contains("Financé") && row.contains("3 votes") || row.contains(">3<"), "{row}");
    // English too.
    let mut en = Browser::new(app.http, "res.test");
    en.headers.push(("Accept-Language".into(), "en".into()));
    let english = en.get(&format!("{north}/results"));
    assert!(english.body.contains("Method of equal shares") && english.body.contains("Voters represented"));
    assert!(english.body.contains("€40,000"), "{}", english.body);
}

/// The admin pages: a budget is created with its projects through the forms, a
/// PaBuLib file with an error is refused with its line, a good one is imported.
#[test]
fn admins_create_budgets_and_import_pabulib_files() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "adm", &["adm.test"], &["budgets"]);
    let place = setup(&db, &tenant, &Settings::default());
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let schema = tenant.schema.as_str().to_owned();
    let mut admin = signed_in(&app, "adm.test", "admin", "adm");
    let list_url = format!("/admin/components/{}/budgets", place.component);
    let list = admin.get(&list_url);
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Nord") && list.body.contains("Importer un fichier PaBuLib"));
    let mut participant = signed_in(&app, "adm.test", "alice", "adm");
    assert_eq!(participant.get(&list_url).status, 403);

    // A new budget; a mistake comes back with the form as typed.
    let csrf = form_value(&list.body, "csrf").unwrap();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("title_fr", "Centre-ville"),
        ("amount", "75 000,50"),
        ("currency", "eur"),
        ("rule", "approval"),
        ("min_projects", "1"),
        ("max_projects", "0"),
        ("min_share_percent", "0"),
        ("results_rule", "greedy"),
        ("mes_utility", "cost"),
        ("add1_increment", "0"),
    ];
    let r = admin.post(&list_url, &fields);
    assert_eq!(r.status, 422, "approval needs K");
    assert!(r.body.contains("max_projects") && r.body.contains("Centre-ville"), "{}", r.body);
    fields[6] = ("max_projects", "3");
    let r = admin.post(&list_url, &fields);
    assert_eq!(r.status, 303, "{}", r.body);
    let budget_url = r.header("location").unwrap().split('?').next().unwrap().to_owned();
    let page = admin.get(&budget_url);
    assert!(page.body.contains("75\u{202f}000,50\u{a0}€"), "{}", page.body);
    let csrf = form_value(&page.body, "csrf").unwrap();
    let r = admin.post(
        &format!("{budget_url}/projects"),
        &[("csrf", &csrf), ("title", "Kiosque à musique"), ("amount", "12 500"), ("category", "Culture")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = admin.get(&budget_url);
    assert!(page.body.contains("Kiosque à musique") && page.body.contains("12\u{202f}500\u{a0}€"), "{}", page.body);

    // The project's images: checked by their content, shown with their text alternatives,
    // several per project, up to six.
    let page = page.body.replace("&#x2F;", "/");
    let marker = format!("{budget_url}/projects/");
    let at = page.find(&marker).unwrap() + marker.len();
    let project: String = page[at..].chars().take_while(char::is_ascii_digit).collect();
    let project_url = format!("{marker}{project}");
    let form = admin.get(&project_url);
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form_value(&form.body, "csrf").unwrap();
    let text = |alt: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", "Kiosque à musique".to_owned()),
            ("amount", "12500".to_owned()),
            ("category", "Culture".to_owned()),
            ("address", "Place du marché".to_owned()),
            ("description", "Un kiosque pour les concerts d'été.".to_owned()),
            ("image_alt", alt.to_owned()),
        ]
    };
    let as_refs = |v: &[(&'static str, String)]| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let post = |b: &mut Browser, fields: &[(&str, String)], files: &[(&str, &str, &[u8])]| {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post_multipart(&project_url, &f, files)
    };
    let images_count = |conn: &mut diesel::PgConnection| {
        count(conn, &format!("SELECT count(*) AS n FROM {schema}.budget_project_images WHERE project_id = {project}"))
    };
    let gif: &[u8] = b"GIF89a\x01\x00\x01\x00";
    let r = post(&mut admin, &as_refs(&text("Un kiosque")), &[("image", "kiosque.gif", gif)]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("PNG, JPEG ou WebP"), "{}", r.body);
    assert_eq!(images_count(&mut conn), 0);
    let png = |n: u8| -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
        b.push(n);
        b
    };
    let (first, second) = (png(1), png(2));
    let r = post(&mut admin, &as_refs(&text("Un kiosque octogonal au toit vert")), &[("image", "kiosque.png", &first)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = post(&mut admin, &as_refs(&text("Le plan de la place")), &[("image", "plan.png", &second)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(images_count(&mut conn), 2);
    let budget_id = budget_url.rsplit('/').next().unwrap();
    let public = admin.get(&format!("{}/budgets/{budget_id}", place.base)).body.replace("&#x2F;", "/");
    let src = format!("{}/budgets/{budget_id}/projects/{project}/images/", place.base);
    assert!(public.contains("alt=\"Un kiosque octogonal au toit vert\""), "{public}");
    assert!(public.contains("alt=\"Le plan de la place\""), "{public}");
    let urls: Vec<String> = public
        .match_indices(&src)
        .map(|(at, _)| public[at..].chars().take_while(|c| *c != '"').collect::<String>().replace("&amp;", "&"))
        .collect();
    assert_eq!(urls.len(), 2, "{urls:?}");
    let mut visitor = Browser::new(app.http, "adm.test");
    for (url, bytes) in urls.iter().zip([&first, &second]) {
        let image = visitor.get(url);
        assert_eq!(image.status, 200, "{url}");
        assert_eq!(image.header("content-type"), Some("image/png"));
        assert_eq!(image.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(image.body, String::from_utf8_lossy(bytes), "{url}");
    }
    // An image id of this project under another project's address is not found.
    let image_id: String = urls[0].rsplit('/').next().unwrap().chars().take_while(char::is_ascii_digit).collect();
    let other = format!(
        "{}/budgets/{budget_id}/projects/{}/images/{image_id}",
        place.base,
        project.parse::<i64>().unwrap() + 1
    );
    assert_eq!(visitor.get(&other).status, 404);
    // The administrator's form lists both; a text alternative changes, the first image
    // goes, and its file with it.
    let form = admin.get(&project_url);
    assert!(
        form.body.contains(&format!("name=\"alt.{image_id}\""))
            && form.body.contains(&format!("name=\"remove.{image_id}\"")),
        "{}",
        form.body
    );
    let second_id: String = urls[1].rsplit('/').next().unwrap().chars().take_while(char::is_ascii_digit).collect();
    let files_before =
        std::fs::read_dir(app.data_dir.join("blobs").join(tenant.id.to_string()).join("budgets").join(budget_id))
            .unwrap()
            .count();
    let (alt_key, remove_key) = (format!("alt.{second_id}"), format!("remove.{image_id}"));
    let mut fields = as_refs(&text(""));
    fields.push((alt_key.as_str(), "Plan de la place du marché".to_owned()));
    fields.push((remove_key.as_str(), "1".to_owned()));
    let r = post(&mut admin, &fields, &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(images_count(&mut conn), 1);
    assert_eq!(visitor.get(&urls[0]).status, 404);
    let files_after =
        std::fs::read_dir(app.data_dir.join("blobs").join(tenant.id.to_string()).join("budgets").join(budget_id))
            .unwrap()
            .count();
    assert_eq!(files_after, files_before - 1);
    let public = admin.get(&format!("{}/budgets/{budget_id}", place.base)).body;
    assert!(public.contains("alt=\"Plan de la place du marché\"") && !public.contains("octogonal"), "{public}");
    // An image id of another project in the form is refused, and nothing changes.
    let foreign = "alt.999999".to_owned();
    let mut bad = as_refs(&text(""));
    bad.retain(|(k, _)| *k != "title");
    bad.push(("title", "Renommé".to_owned()));
    bad.push((foreign.as_str(), "x".to_owned()));
    let r = post(&mut admin, &bad, &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        count(&mut conn, &format!("SELECT count(*) AS n FROM {schema}.budget_projects WHERE title = 'Renommé'")),
        0
    );
    // Up to six: the seventh is refused with a clear message, and its file is not kept.
    for n in 0..5u8 {
        let r = post(&mut admin, &as_refs(&text("Vue")), &[("image", "vue.png", &png(10 + n))]);
        assert_eq!(r.status, 303, "{}", r.body);
    }
    assert_eq!(images_count(&mut conn), 6);
    let form = admin.get(&project_url);
    assert!(form.body.contains("déjà 6 images") && !form.body.contains("name=\"image\""), "{}", form.body);
    let files =
        std::fs::read_dir(app.data_dir.join("blobs").join(tenant.id.to_string()).join("budgets").join(budget_id))
            .unwrap()
            .count();
    let r = post(&mut admin, &as_refs(&text("Une de trop")), &[("image", "trop.png", &png(20))]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("at most 6 images"), "{}", r.body);
    assert_eq!(images_count(&mut conn), 6);
    assert_eq!(
        std::fs::read_dir(app.data_dir.join("blobs").join(tenant.id.to_string()).join("budgets").join(budget_id))
            .unwrap()
            .count(),
        files
    );

    // A broken file: the line is named, nothing is stored.
    let budgets_before = count(&mut conn, &format!("SELECT count(*) AS n FROM {schema}.budgets"));
    let csrf = form_value(&admin.get(&list_url).body, "csrf").unwrap();
    let broken = "META\nkey;value\nbudget;1000\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;500\n2;abc\nVOTES\nvoter_id;vote\n1;1\n";
    let r = admin.post_multipart(
        &format!("{list_url}/import"),
        &[("csrf", &csrf)],
        &[("file", "broken.pb", broken.as_bytes())],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("ligne 8"), "{}", r.body);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM {schema}.budgets")), budgets_before);
    // A real file.
    let amsterdam = std::fs::read(pabulib_dir().join("netherlands_amsterdam_2022_west.pb")).unwrap();
    let r = admin.post_multipart(
        &format!("{list_url}/import"),
        &[("csrf", &csrf), ("title_fr", "Amsterdam West 2022"), ("currency", "EUR")],
        &[("file", "amsterdam.pb", &amsterdam)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let imported = admin.get(r.header("location").unwrap());
    assert!(imported.body.contains("Amsterdam West 2022"), "{}", imported.body);
    assert!(imported.body.contains("412 confirmés (412 importés)"), "{}", imported.body);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM {schema}.budget_ballots WHERE imported")), 412);
}
