//! The demo's living participation: on each demo site's participatory budget, a
//! proposals component with categories, proposals from several people, supports,
//! an accepted and a waiting amendment, the institution's answers, threaded
//! comments with stances and votes, and a moderation queue with a reported and a
//! hidden comment. Everything goes through the same code as the site (so the demo
//! participant, Camille, also finds her notifications).
use diesel::PgConnection;
use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::comments::{self, Alignment, NewComment, Vote};
use tenant_core::moderation::{self, NewReport, Reason};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::proposals::write::{self, Draft, Published};
use tenant_core::proposals::{self, amendments, supports, PhaseSettings, Settings};
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::spaces::{Texts, Viewer};
use tenant_core::{components, CoreError, Tenant};

use crate::modules::comments::commentable;
use crate::modules::proposals::{events, load, ComponentPath, Ctx};

type Result<T> = std::result::Result<T, CoreError>;

struct Content {
    component: (&'static str, &'static str),
    categories: [(&'static str, &'static str); 3],
    people: [&'static str; 8],
    /// (author index or None for official, category index, title, body)
    proposals: [(Option<usize>, usize, &'static str, &'static str); 8],
    amendment: (&'static str, &'static str),
    waiting_amendment: (&'static str, &'static str),
    answers: [(&'static str, &'static str); 3],
    comments: [&'static str; 6],
    rude: &'static str,
}

const FR: Content = Content {
    component: ("Vos idées de projets", "Your project ideas"),
    categories: [("Nature en ville", "Nature in town"), ("Mobilités", "Getting around"), ("Solidarités", "Solidarity")],
    people: ["Camille", "Yanis", "Maëlle", "Bernard", "Inès", "Thomas", "Awa", "Lucie"],
    proposals: [
        (Some(0), 0, "Un jardin partagé au square des Tilleuls", "Transformer la pelouse inutilisée du square des Tilleuls en jardin partagé, avec des bacs accessibles aux personnes en fauteuil et un composteur de quartier.\n\nL'école voisine pourrait y tenir un atelier chaque semaine."),
        (Some(1), 1, "Une piste cyclable continue sur le boulevard de la Loire", "Relier la gare au campus par une piste cyclable séparée de la circulation, sur les 2,4 km du boulevard.\n\nAujourd'hui, la piste s'interrompt trois fois et oblige à rouler entre les voitures."),
        (Some(2), 2, "Une bagagerie solidaire près de la gare", "Des casiers gratuits où les personnes sans domicile peuvent déposer leurs affaires en sécurité pour aller à un rendez-vous ou un entretien d'embauche."),
        (Some(3), 0, "Planter 200 arbres dans les cours d'école", "Débitumer une partie des cours d'école et y planter des arbres pour faire de l'ombre pendant les canicules, avec les enfants."),
        (Some(4), 1, "Des arceaux vélo devant chaque commerce du centre", "Installer des arceaux pour attacher son vélo devant les commerces de la rue Nationale, où il n'y en a presque pas."),
        (Some(5), 2, "Un frigo solidaire à la maison de quartier", "Un réfrigérateur en libre accès où commerçants et habitants déposent les invendus et les surplus, pour lutter contre le gaspillage."),
        (Some(6), 0, "Des nichoirs et un hôtel à insectes au parc des Mauves", "Installer des nichoirs à mésanges et un hôtel à insectes, avec des panneaux pour expliquer aux promeneurs la biodiversité du parc."),
        (None, 1, "Prolonger la ligne de bus 4 le dimanche", "Proposition de la ville : faire circuler la ligne 4 le dimanche jusqu'à 21 h, pour desservir le marché et l'hôpital."),
    ],
    amendment: ("Un jardin partagé et un composteur au square des Tilleuls", "Transformer la pelouse inutilisée du square des Tilleuls en jardin partagé, avec des bacs accessibles aux personnes en fauteuil, un composteur de quartier et un point d'eau de pluie.\n\nL'école voisine pourrait y tenir un atelier chaque semaine."),
    waiting_amendment: ("Une piste cyclable continue et éclairée sur le boulevard de la Loire", "Relier la gare au campus par une piste cyclable séparée de la circulation et éclairée la nuit, sur les 2,4 km du boulevard.\n\nAujourd'hui, la piste s'interrompt trois fois et oblige à rouler entre les voitures."),
    answers: [
        ("accepted", "Les services des espaces verts ont validé le projet : il sera soumis au vote en mars, pour un coût estimé à 18 000 €."),
        ("rejected", "Le boulevard relève du département, pas de la ville : nous avons transmis la proposition au conseil départemental, qui l'étudie dans son plan vélo."),
        ("evaluating", "Le service social étudie l'emplacement avec les associations de la gare."),
    ],
    comments: [
        "Très bonne idée, les enfants de l'école Jean-Zay en parlent depuis longtemps !",
        "Qui arrosera pendant les vacances d'été ? Il faudrait prévoir une association pour s'en occuper.",
        "Le conseil de quartier peut organiser un planning d'arrosage, on l'a fait rue des Acacias.",
        "@Camille je veux bien m'inscrire pour le mois d'août.",
        "Attention au coût de l'entretien sur plusieurs années.",
        "La piste actuelle est dangereuse au rond-point de la gare, je soutiens.",
    ],
    rude: "Encore une idée stupide, vous n'avez rien d'autre à faire ?",
};

const EN: Content = Content {
    component: ("Vos idées de projets", "Your project ideas"),
    categories: [("Nature en ville", "Green campus"), ("Mobilités", "Getting around"), ("Solidarités", "Student life")],
    people: ["Camille", "Priya", "Jonas", "Aoife", "Mateo", "Sara", "Kwame", "Lena"],
    proposals: [
        (Some(0), 0, "A shared vegetable garden behind the library", "Turn the unused lawn behind the library into a shared garden with raised beds reachable from a wheelchair, and a compost bin for the cafeteria.\n\nThe biology department offered to run a weekly workshop."),
        (Some(1), 1, "A safe cycle lane between the station and the campus", "A lane separated from traffic along the 2.4 km from the station, where the current lane stops three times."),
        (Some(2), 2, "Free period products in every building", "Dispensers with free period products in the toilets of every building, as several universities already do."),
        (Some(3), 0, "Plant 200 trees around the car parks", "Shade for the hottest weeks of the year and less run-off when it rains, planted with volunteer students."),
        (Some(4), 1, "Covered bike racks at the sports hall", "Most bikes are left in the rain at the sports hall: a covered shelter for 60 bikes."),
        (Some(5), 2, "A food-sharing fridge at the student union", "A fridge where the cafeteria and students leave unsold or surplus food, to fight waste."),
        (Some(6), 0, "Bird boxes and a bug hotel in the campus park", "Nesting boxes and an insect hotel, with signs explaining the park's biodiversity to walkers."),
        (None, 1, "Run the night bus on Sundays", "The university's proposal: run the night bus on Sundays until 11 pm to serve the halls of residence."),
    ],
    amendment: ("A shared vegetable garden and compost behind the library", "Turn the unused lawn behind the library into a shared garden with raised beds reachable from a wheelchair, a compost bin for the cafeteria and a rain-water tank.\n\nThe biology department offered to run a weekly workshop."),
    waiting_amendment: ("A safe, lit cycle lane between the station and the campus", "A lane separated from traffic and lit at night along the 2.4 km from the station, where the current lane stops three times."),
    answers: [
        ("accepted", "Estates validated the project: it goes to the vote in March, at an estimated cost of £15,000."),
        ("rejected", "The road belongs to the county council, not the university: we passed the proposal on to them."),
        ("evaluating", "Student services are looking at the cost with the students' union."),
    ],
    comments: [
        "Great idea, the gardening society has wanted this for years!",
        "Who will water it over the summer break? We need a rota.",
        "The gardening society can organise a summer rota, we did it for the herb beds.",
        "@Camille count me in for August.",
        "Mind the upkeep costs over several years.",
        "The current lane is dangerous at the station roundabout, I support this.",
    ],
    rude: "Another stupid idea, have you nothing better to do?",
};

fn texts(fr: &str, en: &str) -> Texts {
    [(Locale::Fr, fr.to_owned()), (Locale::En, en.to_owned())].into()
}

fn person(conn: &mut PgConnection, tenant: &Tenant, nickname: &str) -> Result<i64> {
    if let Some(u) = users::find_by_nickname(conn, nickname)? {
        return Ok(u.id);
    }
    let new = NewUser {
        nickname,
        email: None,
        password_hash: None,
        locale: tenant.default_locale,
        email_confirmed: false,
        role: UserRole::Participant,
    };
    users::create(conn, &new)?.map_err(|_| CoreError::Conflict(format!("demo nickname {nickname} is taken")))
}

/// Adds the participation content to the demo process `space_id` (once).
pub fn fill(conn: &mut PgConnection, tenant: &Tenant, space_id: i64, phases: &[i64]) -> Result<()> {
    let c = if tenant.default_locale == Locale::En { &EN } else { &FR };
    let lang = tenant.default_locale;
    let settings = Settings { supports_per_person: 5, support_threshold: 6, ..Settings::default() };
    let component = components::create(
        conn,
        space_id,
        ModuleName::Proposals,
        &texts(c.component.0, c.component.1),
        &settings.to_json(),
    )?;
    let open = PhaseSettings {
        creation_enabled: true,
        supports_enabled: true,
        amendments_enabled: true,
        ..PhaseSettings::default()
    };
    let review = PhaseSettings { supports_enabled: true, supports_blocked: true, ..PhaseSettings::default() };
    let mut per_phase = serde_json::Map::new();
    for (i, p) in phases.iter().enumerate() {
        let s = if i == 0 { &open } else { &review };
        per_phase.insert(p.to_string(), serde_json::to_value(s).unwrap_or_default());
    }
    components::update(conn, component, &texts(c.component.0, c.component.1), &settings.to_json(), &per_phase.into())?;
    components::set_published(conn, component, true)?;
    let mut categories = Vec::new();
    for (fr, en) in c.categories {
        categories.push(proposals::add_category(conn, space_id, &texts(fr, en))?);
    }
    let camille = users::find_by_nickname(conn, "Camille")?.map(|u| u.id);
    let mut people = Vec::new();
    for name in c.people {
        people.push(match (name, camille) {
            ("Camille", Some(id)) => id,
            _ => person(conn, tenant, name)?,
        });
    }
    let Some(place) = locate_component(conn, tenant, component)? else { return Ok(()) };
    let mut ids = Vec::new();
    for (author, cat, title, body) in c.proposals {
        let draft = Draft {
            title: title.into(),
            body: body.into(),
            category_id: Some(categories[cat]),
            address: String::new(),
        };
        let checked = write::check(&draft, &settings)?;
        let author_id = author.map(|a| people[a]);
        let id = match write::publish(conn, component, author_id, &checked, &settings, lang, None)? {
            Published::New(id) | Published::AlreadyPublished(id) => id,
        };
        if let Some(a) = author_id {
            events::published(conn, (&place.url(id), space_id), id, &checked.title, a, &checked.body)?;
        }
        ids.push(id);
    }
    // Supports: the garden reaches its goal; others are on the way.
    for (i, id) in ids.iter().enumerate() {
        let n = [7, 4, 5, 3, 2, 6, 1, 3][i];
        for supporter in people.iter().cycle().skip(i + 1).take(n) {
            let _ = supports::support(conn, component, *id, *supporter, &settings)?;
        }
    }
    // An accepted amendment (version 2 of the garden) and one waiting for its author.
    let garden =
        proposals::find(conn, component, ids[0])?.ok_or_else(|| CoreError::NotFound("demo proposal".into()))?;
    let amend = write::check(
        &Draft { title: c.amendment.0.into(), body: c.amendment.1.into(), ..Draft::default() },
        &settings,
    )?;
    let a = amendments::propose(conn, &garden, people[2], &amend)?;
    events::amendment_proposed(conn, &place.url(garden.id), garden.id, &garden.title, garden.author_id, people[2], a)?;
    amendments::decide(conn, &garden, people[0], a, true)?;
    events::amendment_decided(conn, &place.url(garden.id), garden.id, c.amendment.0, people[0], people[2], true)?;
    let lane = proposals::find(conn, component, ids[1])?.ok_or_else(|| CoreError::NotFound("demo proposal".into()))?;
    let wait = write::check(
        &Draft { title: c.waiting_amendment.0.into(), body: c.waiting_amendment.1.into(), ..Draft::default() },
        &settings,
    )?;
    let w = amendments::propose(conn, &lane, people[3], &wait)?;
    events::amendment_proposed(conn, &place.url(lane.id), lane.id, &lane.title, lane.author_id, people[3], w)?;
    // The institution's answers.
    for (i, (state, text)) in c.answers.iter().enumerate() {
        let id = [ids[0], ids[1], ids[2]][i];
        let p = proposals::find(conn, component, id)?.ok_or_else(|| CoreError::NotFound("demo proposal".into()))?;
        write::answer(conn, id, state, text)?;
        events::answered(conn, &place.url(id), id, &p.title, p.author_id, state)?;
    }
    // A conversation on the garden, three levels deep, with stances and votes.
    let garden_ref = ResourceRef::new(ResourceKind::Proposal, ids[0]);
    let policy = commentable::policy(conn, tenant, garden_ref, None)?
        .ok_or_else(|| CoreError::NotFound("demo policy".into()))?;
    let say = |conn: &mut PgConnection,
               who: i64,
               parent: Option<i64>,
               body: &str,
               alignment: Option<Alignment>,
               on: ResourceRef|
     -> Result<i64> {
        let created =
            comments::create(conn, &NewComment { resource: on, parent_id: parent, author_id: who, body, alignment })?
                .map_err(|r| CoreError::Invalid(format!("demo comment refused: {r:?}")))?;
        let policy = if on == garden_ref {
            policy.clone()
        } else {
            commentable::policy(conn, tenant, on, None)?.ok_or_else(|| CoreError::NotFound("demo policy".into()))?
        };
        crate::modules::comments::notify::comment_created(conn, &created, &policy, body)?;
        Ok(created.id)
    };
    let first = say(conn, people[1], None, c.comments[0], Some(Alignment::For), garden_ref)?;
    let question = say(conn, people[3], None, c.comments[1], Some(Alignment::Neutral), garden_ref)?;
    let rota = say(conn, people[4], Some(question), c.comments[2], None, garden_ref)?;
    say(conn, people[5], Some(rota), c.comments[3], None, garden_ref)?;
    say(conn, people[7], None, c.comments[4], Some(Alignment::Against), garden_ref)?;
    let lane_ref = ResourceRef::new(ResourceKind::Proposal, ids[1]);
    say(conn, people[6], None, c.comments[5], Some(Alignment::For), lane_ref)?;
    for voter in &people[2..6] {
        comments::vote(conn, first, *voter, Vote::Up)?.map_err(|r| CoreError::Invalid(format!("{r:?}")))?;
    }
    comments::vote(conn, rota, people[1], Vote::Up)?.map_err(|r| CoreError::Invalid(format!("{r:?}")))?;
    // The moderation queue: a rude comment reported twice (waiting for the admins),
    // and one reported three times (hidden by the threshold).
    let rude = say(conn, people[7], None, c.rude, None, lane_ref)?;
    let rude2 = say(conn, people[6], Some(first), c.rude, None, garden_ref)?;
    for (comment, reporters) in [(rude, &people[1..3]), (rude2, &people[1..4])] {
        let r = ResourceRef::new(ResourceKind::Comment, comment);
        let url = format!("{}#comment-{comment}", place.url(if comment == rude { ids[1] } else { ids[0] }));
        for reporter in reporters {
            moderation::report(
                conn,
                &NewReport {
                    resource: r,
                    reporter_id: *reporter,
                    reason: Reason::Offensive,
                    details: "",
                    excerpt: c.rude,
                    url: &url,
                },
                moderation::DEFAULT_HIDE_THRESHOLD,
            )?;
        }
    }
    Ok(())
}

fn locate_component(conn: &mut PgConnection, tenant: &Tenant, component: i64) -> Result<Option<Ctx>> {
    let order = [tenant.default_locale];
    let Some(c) = components::find(conn, component, &order)? else { return Ok(None) };
    let Some((space, _)) = tenant_core::spaces::find_any(conn, c.space_id, &order)? else { return Ok(None) };
    let path = ComponentPath { kind: "processes".into(), slug: space.slug, component };
    load(conn, &path, Viewer::Admin, &order)
}
