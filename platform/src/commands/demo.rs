//! `civitas demo`: three institutions with their own names, colours, logos, locales,
//! modules and themes on `*.localhost` (browsers resolve those to 127.0.0.1), with
//! sample pages and news, then serves them. Safe to run again: existing demo
//! tenants are kept as they are.
use std::path::PathBuf;
use std::sync::Arc;

use tenant_core::blob::BlobStore;
use tenant_core::content::{blog, pages};
use tenant_core::names::{Locale, TenantSlug};
use tenant_core::{catalog, CoreError, Db, Tenant};

use crate::commands::{migrate, serve};
use crate::runtime::{build_state, Database};
use crate::settings::Settings;

struct DemoTenant {
    slug: &'static str,
    name: &'static str,
    hosts: &'static [&'static str],
    locales: &'static [&'static str],
    modules: &'static [&'static str],
    theme: &'static str,
    color: &'static str,
    logo: &'static str,
    description: &'static str,
    pages: &'static [(&'static str, Locale, &'static str, &'static str, &'static str)],
    posts: &'static [(Locale, &'static str, &'static str)],
}

const DEMO: &[DemoTenant] = &[
    DemoTenant {
        slug: "lumiere",
        name: "Ville de Lumière-sur-Loire",
        hosts: &["lumiere.localhost", "www.lumiere.localhost"],
        locales: &["fr", "en"],
        modules: &["pages", "blog", "proposals", "budgets"],
        theme: "default",
        color: "#000091",
        logo: "lumiere.svg",
        description: "Bienvenue sur la plateforme de participation de Lumière-sur-Loire : proposez, débattez et suivez les projets de votre ville.",
        pages: &[
            ("participer", Locale::Fr, "Comment participer", "Les étapes pour contribuer aux projets de la ville.",
             "Créez un compte avec un pseudonyme : aucun nom réel n'est demandé.\n\nChaque concertation est ouverte pendant une période annoncée sur sa page. Vous pouvez y déposer des propositions, les commenter et les soutenir.\n\nLes services de la ville répondent publiquement à chaque proposition retenue."),
            ("participer", Locale::En, "How to take part", "The steps to contribute to the city's projects.",
             "Create an account with a nickname: no real name is required.\n\nEach consultation is open for a period shown on its page, during which you can submit proposals, comment and support them.\n\nThe city's departments answer every selected proposal publicly."),
            ("budget-2027", Locale::Fr, "Budget participatif 2027", "1,2 million d'euros pour des projets proposés par les habitants.",
             "Du 1er mars au 30 avril, déposez vos idées pour votre quartier.\n\nAu printemps, les services étudient leur faisabilité ; en septembre, tous les habitants de plus de 11 ans votent."),
        ],
        posts: &[
            (Locale::Fr, "Ouverture de la concertation sur les berges", "La ville lance une concertation sur l'aménagement des berges de la Loire. Réunion publique le 12 décembre à la médiathèque."),
            (Locale::Fr, "Résultats du budget participatif 2026", "32 projets lauréats, dont 9 jardins partagés et 4 pistes cyclables, ont été retenus par 8 412 votants."),
            (Locale::En, "Riverbank consultation opens", "The city is consulting residents on the redevelopment of the Loire riverbanks. Public meeting on 12 December at the media library."),
        ],
    },
    DemoTenant {
        slug: "climat",
        name: "Convention citoyenne pour le climat",
        hosts: &["climat.localhost"],
        locales: &["fr"],
        modules: &["pages", "proposals"],
        theme: "civic",
        color: "#18753c",
        logo: "climat.svg",
        description: "150 citoyennes et citoyens tirés au sort proposent des mesures pour réduire les émissions de gaz à effet de serre d'au moins 40 % d'ici 2030.",
        pages: &[
            ("mandat", Locale::Fr, "Le mandat de la Convention", "Ce que la Convention doit produire, et pour quand.",
             "La Convention définit une série de mesures permettant d'atteindre une baisse d'au moins 40 % des émissions de gaz à effet de serre d'ici 2030, dans un esprit de justice sociale.\n\nSes travaux sont organisés en cinq thématiques : se déplacer, consommer, se loger, produire et travailler, se nourrir."),
            ("sessions", Locale::Fr, "Calendrier des sessions", "Sept sessions de trois jours, d'octobre à juin.",
             "Chaque session alterne auditions d'experts, travail en groupes thématiques et séances plénières.\n\nLes séances plénières sont retransmises en direct et leurs comptes rendus publiés ici."),
        ],
        posts: &[],
    },
    DemoTenant {
        slug: "campus",
        name: "Rivebelle Open University",
        hosts: &["campus.localhost", "participer.campus.localhost"],
        locales: &["en", "fr"],
        modules: &["blog", "pages", "proposals"],
        theme: "civic",
        color: "#6e2a8c",
        logo: "campus.svg",
        description: "Students and staff shape campus life together: the library's opening hours, the student life fund and the sustainability plan.",
        pages: &[
            ("student-fund", Locale::En, "Student life fund", "€80,000 a year for projects run by students.",
             "Any student association may apply. Projects are presented in October and chosen by a vote open to every enrolled student."),
            ("student-fund", Locale::Fr, "Fonds de vie étudiante", "80 000 € par an pour des projets portés par les étudiants.",
             "Toute association étudiante peut candidater. Les projets sont présentés en octobre et choisis par un vote ouvert à tous les inscrits."),
        ],
        posts: &[
            (Locale::En, "Library open until midnight during exams", "Following the consultation in which 2,140 students took part, the main library stays open until midnight from 5 to 30 January."),
            (Locale::Fr, "Bibliothèque ouverte jusqu'à minuit pendant les examens", "À la suite de la consultation à laquelle 2 140 étudiants ont participé, la bibliothèque centrale reste ouverte jusqu'à minuit du 5 au 30 janvier."),
        ],
    },
    DemoTenant {
        slug: "parlement",
        name: "Assemblée des citoyens — Pétitions",
        hosts: &["parlement.localhost"],
        locales: &["fr", "en"],
        modules: &["pages", "petitions"],
        theme: "default",
        color: "#000091",
        logo: "parlement.svg",
        description: "Déposez une pétition, signez avec FranceConnect sans que votre nom soit conservé : à 100 000 signatures en six mois, la pétition est examinée et reçoit une réponse publique.",
        pages: &[
            ("fonctionnement", Locale::Fr, "Comment fonctionnent les pétitions", "Dépôt, recevabilité, signatures, examen et réponse.",
             "Toute personne ayant un compte peut déposer une pétition. Elle est d'abord examinée : une pétition contraire à la loi, injurieuse ou en doublon est déclarée irrecevable, avec le motif.\n\nUne pétition recevable est publiée et ouverte à la signature pendant six mois. On signe avec FranceConnect : nous vérifions que chaque personne ne signe qu'une fois, sans conserver son nom ni son identifiant.\n\nÀ 100 000 signatures, la pétition est examinée par la commission compétente, qui publie sa réponse."),
            ("fonctionnement", Locale::En, "How petitions work", "Filing, admissibility, signatures, examination and response.",
             "Anyone with an account may file a petition. It is first reviewed: a petition against the law, insulting or a duplicate is found not admissible, with the reason.\n\nAn admissible petition is published and open for signatures for six months. People sign with FranceConnect: we check that each person signs once, without keeping their name or identifier.\n\nAt 100,000 signatures, the relevant committee examines the petition and publishes its response."),
        ],
        posts: &[],
    },
];

pub fn run(settings: &Settings) -> anyhow::Result<()> {
    let database = Database::open(settings)?;
    migrate::migrate_tenants(&database)?;
    let blobs = crate::runtime::blob_store(settings)?;
    let keyring = serve::keyring(settings)?;
    let fc_issuer = std::env::var("CIVITAS_DEMO_FRANCECONNECT_ISSUER").ok().filter(|v| !v.is_empty());
    for demo in DEMO {
        let created = ensure_tenant(settings, &database.db, &blobs, demo)?;
        ensure_accounts(&database.db, demo)?;
        // Content comes after the demo accounts, so Camille's proposal is hers.
        if let Some(tenant) = created {
            fill(&database.db, &tenant, demo)?;
            if tenant.has_module(tenant_core::names::ModuleName::Budgets) {
                super::demo_budgets::fill(&database.db, &keyring, &tenant)?;
            }
            println!("demo tenant {} created", demo.slug);
        }
        if let Some(issuer) = &fc_issuer {
            configure_franceconnect(&database.db, &keyring, demo, issuer)?;
        }
    }
    let port = settings.http_addr.rsplit(':').next().unwrap_or("8080");
    println!("\nCivitas demo: open these in a browser (Ctrl-C stops the demo):");
    for demo in DEMO {
        println!("  http://{}:{port}/   {}", demo.hosts[0], demo.name);
    }
    println!("  http://www.lumiere.localhost:{port}/   redirects to its primary host");
    println!("  ops: http://{}/metrics", settings.ops_addr);
    println!(
        "  staff console: http://{} (create a staff account: civitas staff create --email you@example.org)",
        settings.provisioning_addr
    );
    println!("\nDemo accounts on every site (password: {DEMO_PASSWORD}):");
    println!("  admin@<site>.localhost (administrator: /admin), camille@<site>.localhost (participant)");
    if fc_issuer.is_some() {
        println!("  \"S'identifier avec FranceConnect\" signs in through the local test provider (pick a person, e.g. Angela)");
    }
    println!("Mail the sites send (confirmations, resets) is written under {}\n", settings.mail_dir().display());
    let state = build_state(settings, database.db.clone())?;
    serve::serve_state(settings, state)
}

/// Creates the demo tenant when missing; returns it when it is new.
fn ensure_tenant(
    settings: &Settings,
    db: &Db,
    blobs: &Arc<dyn BlobStore>,
    demo: &DemoTenant,
) -> anyhow::Result<Option<Tenant>> {
    let slug = TenantSlug::parse(demo.slug)?;
    match db.catalog(|conn| catalog::load_one(conn, &slug)) {
        Ok(_) => {
            println!("demo tenant {} already exists", demo.slug);
            return Ok(None);
        }
        Err(CoreError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let mut spec = provisioning::TenantSpec::parse(
        demo.slug,
        demo.name,
        &owned(demo.hosts),
        &owned(demo.locales),
        &owned(demo.modules),
        Some(demo.theme),
        Some(demo.color),
        Some(demo.description),
    )?;
    let logo_path = logo_dir(settings).join(demo.logo);
    match std::fs::read(&logo_path) {
        Ok(bytes) => spec.logo = Some(provisioning::Logo::parse(bytes)?),
        Err(e) => {
            tracing::warn!(path = %logo_path.display(), error = %e, "demo logo not found; tenant created without one")
        }
    }
    let tenant = provisioning::create_tenant(db, blobs.clone(), spec, &provisioning::Actor::system())?;
    Ok(Some(tenant))
}

/// The demo accounts' password (a local demo only).
const DEMO_PASSWORD: &str = "civitas-demo-2026";

/// An administrator and a participant on each demo site, confirmed, with the demo
/// password; kept when they exist.
fn ensure_accounts(db: &Db, demo: &DemoTenant) -> anyhow::Result<()> {
    use tenant_core::accounts::users::{self, NewUser, UserRole};
    let slug = TenantSlug::parse(demo.slug)?;
    let tenant = db.catalog(|conn| catalog::load_one(conn, &slug))?;
    let password = provisioning::auth::Password::parse(DEMO_PASSWORD.to_owned()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = provisioning::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let people = [
        ("Administration", format!("admin@{}.localhost", demo.slug), UserRole::Admin),
        ("Camille", format!("camille@{}.localhost", demo.slug), UserRole::Participant),
    ];
    db.tenant(&tenant, |conn| {
        for (nickname, email, role) in &people {
            if users::find_by_email(conn, email)?.is_some() {
                continue;
            }
            let new = NewUser {
                nickname,
                email: Some(email),
                password_hash: Some(&hash),
                locale: tenant.default_locale,
                email_confirmed: true,
                role: *role,
            };
            let _ = users::create(conn, &new)?;
        }
        Ok::<_, CoreError>(())
    })?;
    Ok(())
}

/// Points the site's FranceConnect button at the local test provider that
/// `deploy/dev/demo.sh` starts (client `civitas-<slug>`).
fn configure_franceconnect(
    db: &Db,
    keyring: &tenant_core::secrets::Keyring,
    demo: &DemoTenant,
    issuer: &str,
) -> anyhow::Result<()> {
    use provisioning::identity_providers::{self, ProviderInput, ProviderKind};
    identity_providers::put(
        db,
        keyring,
        &TenantSlug::parse(demo.slug)?,
        "fc",
        ProviderInput {
            kind: ProviderKind::FranceConnect,
            label: Some("FranceConnect".into()),
            issuer: issuer.to_owned(),
            client_id: format!("civitas-{}", demo.slug),
            client_secret: Some(tenant_core::secrets::SecretString::new(format!("{}-demo-secret", demo.slug))),
            scopes: None,
            acr_values: Some("eidas1".into()),
            enabled: true,
        },
        &provisioning::Actor::system(),
    )?;
    Ok(())
}

fn fill(db: &Db, tenant: &Tenant, demo: &DemoTenant) -> anyhow::Result<()> {
    db.tenant(tenant, |conn| {
        for (i, (slug, locale, title, summary, body)) in demo.pages.iter().enumerate() {
            pages::upsert(
                conn,
                &pages::PageInput {
                    slug: (*slug).into(),
                    locale: *locale,
                    title: (*title).into(),
                    summary: (*summary).into(),
                    body: (*body).into(),
                    position: i as i32,
                },
            )?;
        }
        for (locale, title, body) in demo.posts {
            blog::publish(conn, *locale, title, body)?;
        }
        if tenant.has_module(tenant_core::names::ModuleName::Proposals) {
            let (space, phases) = demo_process(conn)?;
            super::demo_participation::fill(conn, tenant, space, &phases)?;
        }
        if tenant.has_module(tenant_core::names::ModuleName::Petitions) {
            super::demo_petitions::fill(conn)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// A participatory budget with its four phases, the first under way: its id and phases.
fn demo_process(conn: &mut diesel::PgConnection) -> Result<(i64, Vec<i64>), CoreError> {
    use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
    let texts = |fr: &str, en: &str| -> Texts { [(Locale::Fr, fr.to_owned()), (Locale::En, en.to_owned())].into() };
    let id = spaces::create(
        conn,
        &NewSpace {
            kind: SpaceKind::Process,
            slug: "budget-participatif-2027",
            title: &texts("Budget participatif 2027", "Participatory budget 2027"),
            subtitle: &texts("1 million d'euros pour vos projets", "One million euros for your projects"),
            description: &texts(
                "Proposez des projets d'intérêt général, puis votez pour ceux que vous voulez voir réalisés.\n\nChaque habitant peut déposer jusqu'à trois projets.",
                "Propose projects for the common good, then vote for those you want to see built.\n\nEvery resident may submit up to three projects.",
            ),
            start_date: chrono::NaiveDate::from_ymd_opt(2026, 10, 1),
            end_date: chrono::NaiveDate::from_ymd_opt(2027, 6, 30),
            private: false,
            published: true,
        },
    )?;
    let mut phases = Vec::new();
    for (fr, en, start, end) in [
        ("Dépôt des projets", "Project submission", (2026, 10, 1), (2026, 12, 15)),
        ("Analyse par les services", "Review by the services", (2026, 12, 16), (2027, 2, 28)),
        ("Vote", "Vote", (2027, 3, 1), (2027, 3, 31)),
        ("Résultats et réalisation", "Results and delivery", (2027, 4, 1), (2027, 6, 30)),
    ] {
        let day = |(y, m, d): (i32, u32, u32)| chrono::NaiveDate::from_ymd_opt(y, m, d);
        phases.push(spaces::add_phase(conn, id, &texts(fr, en), &Texts::new(), (day(start), day(end)))?);
    }
    spaces::activate_phase(conn, id, phases[0])?;
    Ok((id, phases))
}

fn logo_dir(settings: &Settings) -> PathBuf {
    let beside_themes = settings.themes_dir.join("../deploy/demo/logos");
    if beside_themes.is_dir() {
        return beside_themes;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/demo/logos"))
}
