//! The demo's petitions site, modelled on a national parliament's: two kinds of
//! petition (100,000 signatures in six months through FranceConnect, anonymously;
//! a local one signed with an account, signers shown), and petitions in every state
//! of the workflow (draft, under review, not admissible, open, under examination,
//! answered, closed), with signatures spread over the days they were collected.
//! Transitions go through the module's own code; the dates are then moved back so
//! the timelines read like real ones. Generated signatures are random hashes: like
//! real ones, they say nothing about anyone.
use diesel::sql_types::{BigInt, Integer};
use diesel::{PgConnection, RunQueryDsl};
use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::names::Locale;
use tenant_core::petitions::{self, types, Checked, Created, Draft, TypeInput};
use tenant_core::CoreError;

type Result<T> = std::result::Result<T, CoreError>;

const BODY_FILLER: &str = "\n\nNous, citoyennes et citoyens signataires, demandons que cette question soit examinée \
     publiquement et qu'une réponse motivée nous soit apportée.";

/// (title, body, state, days since publication, signatures)
const PETITIONS: &[(&str, &str, &str, i64, i64)] = &[
    (
        "Rendre obligatoire l'affichage de l'empreinte carbone des produits alimentaires",
        "Un étiquetage simple, de A à E, sur chaque produit alimentaire vendu en France, calculé selon une méthode publique.",
        "examination",
        95,
        100_412,
    ),
    (
        "Créer un référendum d'initiative citoyenne au niveau local",
        "Permettre aux habitants d'une commune de demander un référendum local à partir de 10 % des inscrits sur les listes électorales.",
        "open",
        40,
        23_518,
    ),
    (
        "Garantir l'accès à un médecin généraliste à moins de 30 minutes de chez soi",
        "Un plan national contre les déserts médicaux, avec des objectifs chiffrés par département et un suivi annuel rendu public.",
        "open",
        12,
        4_276,
    ),
    (
        "Interdire la publicité lumineuse la nuit dans toutes les communes",
        "Éteindre les écrans et enseignes publicitaires entre 22 h et 7 h pour économiser l'énergie et protéger la biodiversité.",
        "answered",
        200,
        100_087,
    ),
    (
        "Rembourser intégralement les lunettes pour les moins de 18 ans",
        "Une prise en charge complète, sans reste à charge, pour tous les enfants et adolescents, quelle que soit leur mutuelle.",
        "closed",
        190,
        38_904,
    ),
];

fn texts(fr: &str, en: &str) -> Vec<(Locale, String)> {
    vec![(Locale::Fr, fr.to_owned()), (Locale::En, en.to_owned())]
}

/// Moves a petition's dates and timeline back, so that a demo petition published
/// "today" by the code reads as published `days` ago: drafted two weeks before,
/// submitted twelve days before, its threshold reached a third of the way, its
/// period over after 180 days, answered a fortnight ago.
fn backdate(conn: &mut PgConnection, id: i64, days: i64) -> Result<()> {
    let by_kind = "make_interval(days => $2 + CASE kind
            WHEN 'created' THEN 14 WHEN 'submitted' THEN 12
            WHEN 'threshold_reached' THEN -($2 / 3)
            WHEN 'period_over' THEN -180 WHEN 'closed' THEN -180
            WHEN 'answered' THEN 15 - $2
            ELSE 0 END)";
    diesel::sql_query(format!("UPDATE petition_events SET at = at - {by_kind} WHERE petition_id = $1"))
        .bind::<BigInt, _>(id)
        .bind::<Integer, _>(days as i32)
        .execute(conn)?;
    diesel::sql_query(
        "UPDATE petitions p SET
                created_at = (SELECT min(at) FROM petition_events e WHERE e.petition_id = p.id),
                submitted_at = (SELECT max(at) FROM petition_events e WHERE e.petition_id = p.id AND kind = 'submitted'),
                published_at = published_at - make_interval(days => $2),
                signatures_end_at = signatures_end_at - make_interval(days => $2),
                threshold_reached_at = (SELECT max(at) FROM petition_events e
                                        WHERE e.petition_id = p.id AND kind = 'threshold_reached'),
                answered_at = (SELECT max(at) FROM petition_events e WHERE e.petition_id = p.id AND kind = 'answered'),
                closed_at = CASE WHEN closed_at IS NOT NULL THEN signatures_end_at - make_interval(days => $2) END,
                updated_at = now() - make_interval(days => 1)
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Integer, _>(days as i32)
    .execute(conn)?;
    Ok(())
}

/// `n` signatures of random hashes, spread over `days` days ending `ended` days ago
/// (more at the start, as petitions go), with their daily counts.
fn signatures(conn: &mut PgConnection, id: i64, n: i64, days: i64, ended: i64) -> Result<()> {
    diesel::sql_query(
        "WITH s AS (
             INSERT INTO petition_signatures (petition_id, signer, signed_on)
             SELECT $1, encode(sha256(gen_random_uuid()::text::bytea), 'hex'),
                    current_date - $4::int - ($3 - floor(power(random(), 2) * $3))::int
             FROM generate_series(1, $2)
             RETURNING signed_on
         )
         INSERT INTO petition_signature_counts (petition_id, day, shard, n)
         SELECT $1, signed_on, 0, count(*) FROM s GROUP BY signed_on
         ON CONFLICT (petition_id, day, shard) DO UPDATE SET n = petition_signature_counts.n + EXCLUDED.n",
    )
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(n)
    .bind::<BigInt, _>(days.max(1))
    .bind::<BigInt, _>(ended.max(0))
    .execute(conn)?;
    Ok(())
}

fn new_petition(conn: &mut PgConnection, author: i64, type_id: i64, title: &str, body: &str) -> Result<i64> {
    let checked: Checked =
        petitions::check(&Draft { type_id, title: title.to_owned(), body: format!("{body}{BODY_FILLER}") })?;
    match petitions::create(conn, author, &checked, None)? {
        Created::New(id) | Created::Already(id) => Ok(id),
    }
}

/// Fills a petitions demo site (the caller's transaction, scoped to the tenant).
pub fn fill(conn: &mut PgConnection) -> Result<()> {
    let admin: i64 = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let a: Id =
            diesel::sql_query("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").get_result(conn)?;
        a.id
    };
    let mut people = Vec::new();
    for nick in ["Camille", "Nadia", "Hugo", "Sophie"] {
        let email = format!("{}@parlement.localhost", nick.to_lowercase());
        let existing = users::find_by_email(conn, &email)?;
        let id = match existing {
            Some(u) => u.id,
            None => users::create(
                conn,
                &NewUser {
                    nickname: nick,
                    email: Some(&email),
                    password_hash: None,
                    locale: Locale::Fr,
                    email_confirmed: true,
                    role: UserRole::Participant,
                },
            )?
            .map_err(|_| CoreError::Conflict(format!("demo nickname {nick} is taken")))?,
        };
        people.push(id);
    }
    let locales = [Locale::Fr, Locale::En];
    let national = types::save(
        conn,
        None,
        &types::check(
            &TypeInput {
                title: texts("Pétition nationale", "National petition"),
                description: texts(
                    "Si elle réunit 100 000 signatures en six mois, la pétition est examinée par la commission compétente, qui y répond publiquement.",
                    "With 100,000 signatures within six months, the petition is examined by the relevant committee, which answers it publicly.",
                ),
                threshold: "100000".into(),
                period_days: "180".into(),
                file_requires: "account".into(),
                sign_requires: "franceconnect_anonymous".into(),
                show_signers: false,
                comments_enabled: true,
                active: true,
            },
            &locales,
        )?,
    )?;
    let local = types::save(
        conn,
        None,
        &types::check(
            &TypeInput {
                title: texts("Pétition de circonscription", "Constituency petition"),
                description: texts(
                    "500 signatures en trois mois : la députée de la circonscription reçoit les pétitionnaires.",
                    "500 signatures within three months: the constituency's member meets the petitioners.",
                ),
                threshold: "500".into(),
                period_days: "90".into(),
                file_requires: "account".into(),
                sign_requires: "account".into(),
                show_signers: true,
                comments_enabled: true,
                active: true,
            },
            &locales,
        )?,
    )?;

    let now = chrono::Utc::now();
    for (i, (title, body, state, days, n)) in PETITIONS.iter().enumerate() {
        let id = new_petition(conn, people[i % people.len()], national, title, body)?;
        petitions::submit(conn, id, people[i % people.len()])?;
        petitions::publish(conn, id, admin, now)?;
        // Signatures from publication to the end of the period (or today).
        signatures(conn, id, *n, (*days).min(180), (*days - 180).max(0))?;
        // The threshold is checked by signers and by the sweep: let the sweep see it.
        petitions::sweep(conn, now)?;
        match *state {
            "answered" => petitions::answer(
                conn,
                id,
                admin,
                "La commission a examiné la pétition et auditionné ses auteurs. Un projet de loi reprenant \
                 l'extinction nocturne des publicités lumineuses sera débattu à la session de printemps.",
            )?,
            "closed" => {
                // The signature period ended below the threshold: the sweep, run as of
                // the end of the period, closes it.
                backdate(conn, id, *days)?;
                let ended = now - chrono::Duration::days(*days - 180);
                petitions::sweep(conn, ended)?;
                diesel::sql_query("UPDATE petition_events SET at = $2 WHERE petition_id = $1 AND kind = 'period_over'")
                    .bind::<BigInt, _>(id)
                    .bind::<diesel::sql_types::Timestamptz, _>(ended)
                    .execute(conn)?;
                continue;
            }
            _ => {}
        }
        backdate(conn, id, *days)?;
    }
    // A constituency petition, open, with signers who chose to appear.
    let id = new_petition(
        conn,
        people[1],
        local,
        "Rouvrir le bureau de poste du quartier de la Gare",
        "Le bureau de poste du quartier a fermé en septembre : les habitants âgés doivent désormais prendre le bus pour envoyer un colis.",
    )?;
    petitions::submit(conn, id, people[1])?;
    petitions::publish(conn, id, admin, now)?;
    for (who, nickname) in people.iter().zip(["Camille", "Nadia", "Hugo", "Sophie"]) {
        let signer = format!("{:064x}", u128::from(*who as u64) * 0x9e37_79b9_7f4a_7c15);
        petitions::signatures::sign(conn, id, &signer, Some(nickname), now)?;
    }
    signatures(conn, id, 183, 1, 0)?;
    // The workflow's first steps: under review, not admissible, and Camille's draft.
    let review = new_petition(
        conn,
        people[2],
        national,
        "Instaurer une journée nationale de la participation citoyenne",
        "Un jour par an où chaque commune ouvre ses conseils et ses projets au débat avec les habitants.",
    )?;
    petitions::submit(conn, review, people[2])?;
    let rejected = new_petition(
        conn,
        people[3],
        national,
        "Supprimer toutes les aides sociales aux étrangers",
        "Une pétition qui demande de réserver les aides sociales aux seules personnes de nationalité française.",
    )?;
    petitions::submit(conn, rejected, people[3])?;
    petitions::reject(
        conn,
        rejected,
        admin,
        "Irrecevable : la demande établit une discrimination fondée sur la nationalité, contraire à la Constitution.",
    )?;
    new_petition(
        conn,
        people[0],
        national,
        "Ouvrir les cours d'école aux habitants le week-end",
        "Les cours d'école restent fermées le samedi et le dimanche alors qu'elles pourraient accueillir des jeux et des jardins partagés.",
    )?;
    Ok(())
}
