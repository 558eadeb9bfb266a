//! Participatory spaces on a tenant's site: published processes and assemblies for
//! everyone, private ones for their members and the tenant's administrators,
//! unpublished ones for administrators only; a process's phases with one active.
use std::collections::BTreeMap;

use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::names::Locale;
use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
use tenant_core::CoreError;

use crate::support::browser::Browser;
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";

fn texts(fr: &str, en: &str) -> Texts {
    let mut t = BTreeMap::new();
    t.insert(Locale::Fr, fr.to_owned());
    if !en.is_empty() {
        t.insert(Locale::En, en.to_owned());
    }
    t
}

fn space(kind: SpaceKind, slug: &str, title: &Texts, private: bool, published: bool) -> NewSpace<'static> {
    let empty: &'static Texts = Box::leak(Box::default());
    NewSpace {
        kind,
        slug: Box::leak(slug.to_owned().into_boxed_str()),
        title: Box::leak(Box::new(title.clone())),
        subtitle: empty,
        description: Box::leak(Box::new(texts(
            "Pour décider ensemble.\n\nDeuxième paragraphe <b>en gras</b><script>alert(1)</script>.",
            "",
        ))),
        start_date: chrono::NaiveDate::from_ymd_opt(2026, 9, 1),
        end_date: chrono::NaiveDate::from_ymd_opt(2027, 6, 30),
        private,
        published,
    }
}

fn signed_in(app: &TestApp, host: &str, email: &str) -> Browser {
    let mut b = Browser::new(app.http, host);
    let csrf = b.csrf("/sign-in");
    let r = b.post("/sign-in", &[("csrf", &csrf), ("email", email), ("password", PASSWORD)]);
    assert_eq!(r.status, 303, "{}", r.body);
    b
}

#[test]
fn spaces_are_shown_to_whom_they_are_meant_for_with_their_phases() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "spc", &["spc.test"], &["pages"]);
    tenants::create(&db, "spd", &["spd.test"], &["pages"]);
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    let (member, _outsider, _admin, private_id, budget_id, phases) = db
        .tenant(&tenant, |conn| {
            let mut ids = Vec::new();
            for (nick, email, role) in [
                ("Membre", "membre@spc.fr", UserRole::Participant),
                ("Dehors", "dehors@spc.fr", UserRole::Participant),
                ("Admin", "admin@spc.fr", UserRole::Admin),
            ] {
                let new = NewUser {
                    nickname: nick,
                    email: Some(email),
                    password_hash: Some(&phc),
                    locale: Locale::Fr,
                    email_confirmed: true,
                    role,
                };
                ids.push(users::create(conn, &new)?.unwrap());
            }
            let budget = spaces::create(
                conn,
                &space(
                    SpaceKind::Process,
                    "budget-2027",
                    &texts("Budget participatif 2027", "Participatory budget 2027"),
                    false,
                    true,
                ),
            )?;
            let mut phases = Vec::new();
            for (fr, en) in [("Dépôt des idées", "Ideas"), ("Analyse", "Review"), ("Vote", "Vote")] {
                phases.push(spaces::add_phase(conn, budget, &texts(fr, en), &Texts::new(), (None, None))?);
            }
            spaces::activate_phase(conn, budget, phases[1])?;
            spaces::create(
                conn,
                &space(SpaceKind::Process, "brouillon", &texts("Brouillon secret", ""), false, false),
            )?;
            let private = spaces::create(
                conn,
                &space(SpaceKind::Process, "conseil-jeunes", &texts("Conseil des jeunes", ""), true, true),
            )?;
            spaces::add_member(conn, private, ids[0])?;
            spaces::create(
                conn,
                &space(SpaceKind::Assembly, "conseil-quartier", &texts("Conseil de quartier", ""), false, true),
            )?;
            // Bad input: a taken slug, a bad slug, no title.
            assert!(matches!(
                spaces::create(conn, &space(SpaceKind::Process, "budget-2027", &texts("x", ""), false, true)),
                Err(CoreError::Conflict(_))
            ));
            assert!(matches!(
                spaces::create(conn, &space(SpaceKind::Process, "Bad Slug", &texts("x", ""), false, true)),
                Err(CoreError::Invalid(_))
            ));
            assert!(matches!(
                spaces::create(conn, &space(SpaceKind::Process, "sans-titre", &texts(" ", ""), false, true)),
                Err(CoreError::Invalid(_))
            ));
            Ok::<_, CoreError>((ids[0], ids[1], ids[2], private, budget, phases))
        })
        .unwrap();
    let _ = member;
    let app = TestApp::start(&tdb, TestConfig::default());

    // Anyone: the published public process, in their language; not the draft or the private one.
    let mut anon = Browser::new(app.http, "spc.test");
    let list = anon.get("/processes");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Budget participatif 2027"));
    assert!(!list.body.contains("Brouillon secret") && !list.body.contains("Conseil des jeunes"));
    assert!(!list.body.contains("Conseil de quartier"), "assemblies are listed apart");
    assert!(anon.get("/assemblies").body.contains("Conseil de quartier"));
    let page = anon.get("/processes/budget-2027");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Étape en cours\u{a0}: Analyse"), "{}", page.body);
    assert!(page.body.contains("aria-current=\"step\""));
    assert!(page.body.contains("<b>en gras</b>"), "descriptions are sanitised rich text: {}", page.body);
    assert!(!page.body.contains("alert(1)"), "scripts are removed from descriptions");
    assert!(page.body.contains("01&#x2F;09&#x2F;2026"), "dates shown");
    let en = Browser::new(app.http, "spc.test");
    let mut en = en;
    en.headers.push(("Accept-Language".into(), "en".into()));
    assert!(en.get("/processes/budget-2027").body.contains("Participatory budget 2027"));
    assert_eq!(anon.get("/processes/brouillon").status, 404);
    assert_eq!(anon.get("/processes/conseil-jeunes").status, 404);
    assert_eq!(anon.get("/assemblies/budget-2027").status, 404, "a process is not an assembly");

    // A member sees the private space; another participant does not; an admin sees all.
    let mut m = signed_in(&app, "spc.test", "membre@spc.fr");
    assert!(m.get("/processes").body.contains("Conseil des jeunes"));
    assert_eq!(m.get("/processes/conseil-jeunes").status, 200);
    assert_eq!(m.get("/processes/brouillon").status, 404);
    let mut o = signed_in(&app, "spc.test", "dehors@spc.fr");
    assert!(!o.get("/processes").body.contains("Conseil des jeunes"));
    assert_eq!(o.get("/processes/conseil-jeunes").status, 404);
    let mut a = signed_in(&app, "spc.test", "admin@spc.fr");
    assert_eq!(a.get("/processes/brouillon").status, 200);
    assert!(a.get("/processes/brouillon").body.contains("Non publié"));
    assert_eq!(a.get("/processes/conseil-jeunes").status, 200);

    // Another tenant's host knows none of it.
    let mut other = Browser::new(app.http, "spd.test");
    assert_eq!(other.get("/processes/budget-2027").status, 404);
    assert!(!other.get("/processes").body.contains("Budget participatif"));

    // One active phase at a time.
    db.tenant(&tenant, |conn| spaces::activate_phase(conn, budget_id, phases[2])).unwrap();
    let mut conn = tdb.conn();
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM t_spc.space_phases WHERE space_id = {budget_id} AND active")
        ),
        1
    );
    assert!(anon.get("/processes/budget-2027").body.contains("Étape en cours\u{a0}: Vote"));
    assert!(
        db.tenant(&tenant, |conn| spaces::activate_phase(conn, private_id, phases[0])).is_err(),
        "a phase of another space"
    );
}

#[test]
fn tenant_admins_create_a_process_give_it_phases_and_publish_it() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "spe", &["spe.test"], &["pages"]);
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(&tenant, |conn| {
        for (nick, email, role) in
            [("Admin", "admin@spe.fr", UserRole::Admin), ("Citoyen", "citoyen@spe.fr", UserRole::Participant)]
        {
            let new = NewUser {
                nickname: nick,
                email: Some(email),
                password_hash: Some(&phc),
                locale: Locale::Fr,
                email_confirmed: true,
                role,
            };
            users::create(conn, &new)?.unwrap();
        }
        Ok::<_, CoreError>(())
    })
    .unwrap();
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut admin = signed_in(&app, "spe.test", "admin@spe.fr");
    let mut citizen = signed_in(&app, "spe.test", "citoyen@spe.fr");

    // Participants cannot reach it, even with their own form token.
    assert_eq!(citizen.get("/admin/spaces").status, 403);
    let csrf = citizen.csrf("/account");
    assert_eq!(citizen.post("/admin/spaces", &[("csrf", &csrf), ("slug", "x-y"), ("title_fr", "X")]).status, 403);

    // Bad input: the field is named, nothing is written.
    let csrf = admin.csrf("/admin/spaces");
    let bad = admin
        .post("/admin/spaces", &[("csrf", &csrf), ("kind", "process"), ("slug", "Pas Bon"), ("title_fr", "Titre")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("slug: 2 to 60"), "{}", bad.body);
    let bad = admin.post(
        "/admin/spaces",
        &[("csrf", &csrf), ("kind", "process"), ("slug", "ok-slug"), ("title_fr", "T"), ("start_date", "31/12/2026")],
    );
    assert_eq!(bad.status, 422);
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_spe.spaces"), 0);

    // Created unpublished: invisible to the public until published.
    let r = admin.post(
        "/admin/spaces",
        &[
            ("csrf", &csrf),
            ("kind", "process"),
            ("slug", "plan-velo"),
            ("title_fr", "Plan vélo"),
            ("title_en", "Cycling plan"),
            ("start_date", "2027-01-10"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").expect("location").to_owned();
    let id: i64 = location.trim_start_matches("/admin/spaces/").split('?').next().unwrap().parse().unwrap();
    assert_eq!(Browser::new(app.http, "spe.test").get("/processes/plan-velo").status, 404);
    for (fr, en) in [("Idées", "Ideas"), ("Vote", "Vote")] {
        assert_eq!(
            admin
                .post(&format!("/admin/spaces/{id}/phases"), &[("csrf", &csrf), ("title_fr", fr), ("title_en", en)])
                .status,
            303
        );
    }
    let vote: i64 =
        count(&mut conn, &format!("SELECT id AS n FROM t_spe.space_phases WHERE space_id = {id} AND position = 1"));
    assert_eq!(admin.post(&format!("/admin/spaces/{id}/phases/{vote}/activate"), &[("csrf", &csrf)]).status, 303);
    assert_eq!(
        admin.post(&format!("/admin/spaces/{id}/publication"), &[("csrf", &csrf), ("published", "1")]).status,
        303
    );
    let public = Browser::new(app.http, "spe.test").get("/processes/plan-velo");
    assert_eq!(public.status, 200);
    assert!(public.body.contains("Plan vélo") && public.body.contains("Étape en cours\u{a0}: Vote"), "{}", public.body);
    let page = admin.get(&format!("/admin/spaces/{id}"));
    assert!(page.body.contains("Dépublier"));
    // A phase of another space, or a space that does not exist: refused.
    assert_eq!(
        admin.post(&format!("/admin/spaces/{}/phases", id + 100), &[("csrf", &csrf), ("title_fr", "X")]).status,
        404
    );
}
