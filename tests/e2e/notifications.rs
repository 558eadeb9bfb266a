//! Follows and notifications: following spaces and people (only what one can see),
//! phase changes told to a space's followers, the list with its unread count in the
//! header, marking read (only one's own), @mentions, and the mail digests at each
//! person's frequency, never to blocked or erased accounts, never across tenants.
use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use platform::modules::notifications::send_digests::{send_all, send_tenant, SiteLinks};
use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::mail::{put_tenant_mail, SmtpSettings, SmtpTls, TenantMail};
use tenant_core::names::Locale;
use tenant_core::notifications::{self, Event, EventKind, Frequency};
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
use tenant_core::{follows, mentions, richtext, space_events, CoreError, Db, Tenant};

use crate::support::browser::{mails, Browser};
use crate::support::smtp::SmtpSink;
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";

fn texts(fr: &str, en: &str) -> Texts {
    let mut t = BTreeMap::new();
    t.insert(Locale::Fr, fr.to_owned());
    t.insert(Locale::En, en.to_owned());
    t
}

fn new_space(slug: &str, title: &Texts, private: bool) -> NewSpace<'static> {
    let empty: &'static Texts = Box::leak(Box::default());
    NewSpace {
        kind: SpaceKind::Process,
        slug: Box::leak(slug.to_owned().into_boxed_str()),
        title: Box::leak(Box::new(title.clone())),
        subtitle: empty,
        description: empty,
        start_date: None,
        end_date: None,
        private,
        published: true,
    }
}

/// Creates accounts `(nickname, role, locale)`, email `<lowercase nickname>@<slug>.fr`.
fn people(db: &Db, tenant: &Tenant, list: &[(&str, UserRole, Locale)]) -> Vec<i64> {
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(tenant, |conn| {
        let mut ids = Vec::new();
        for (nick, role, locale) in list {
            let email = format!("{}@{}.fr", nick.to_lowercase(), tenant.slug.as_str());
            let new = NewUser {
                nickname: nick,
                email: Some(&email),
                password_hash: Some(&phc),
                locale: *locale,
                email_confirmed: true,
                role: *role,
            };
            ids.push(users::create(conn, &new)?.unwrap());
        }
        Ok::<_, CoreError>(ids)
    })
    .unwrap()
}

/// A published process with phases "Idées"/"Ideas" and "Vote" (the first active).
fn process(db: &Db, tenant: &Tenant, slug: &str, title: &Texts, private: bool) -> (i64, Vec<i64>) {
    db.tenant(tenant, |conn| {
        let id = spaces::create(conn, &new_space(slug, title, private))?;
        let mut phases = Vec::new();
        for (fr, en) in [("Idées", "Ideas"), ("Vote", "Vote"), ("Bilan", "Review")] {
            phases.push(spaces::add_phase(conn, id, &texts(fr, en), &Texts::new(), (None, None))?);
        }
        spaces::activate_phase(conn, id, phases[0])?;
        Ok::<_, CoreError>((id, phases))
    })
    .unwrap()
}

fn signed_in(app: &TestApp, host: &str, email: &str) -> Browser {
    let mut b = Browser::new(app.http, host);
    let csrf = b.csrf("/sign-in");
    let r = b.post("/sign-in", &[("csrf", &csrf), ("email", email), ("password", PASSWORD)]);
    assert_eq!(r.status, 303, "{}", r.body);
    b
}

fn follow(b: &mut Browser, kind: &str, id: i64, action: &str) -> crate::support::http::Resp {
    let csrf = b.csrf("/account");
    let id = id.to_string();
    b.post(
        "/follows",
        &[("csrf", &csrf), ("resource_kind", kind), ("resource_id", &id), ("action", action), ("next", "/account")],
    )
}

/// The unread count in the header, if shown.
fn badge(b: &mut Browser) -> Option<i64> {
    let page = b.get("/account");
    let start = page.body.find("class=\"count-badge\">")? + "class=\"count-badge\">".len();
    page.body[start..].split('<').next()?.trim().parse().ok()
}

#[test]
fn people_follow_what_they_can_see_once_and_unfollow_as_often_as_they_like() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "fol", &["fol.test"], &["pages"]);
    let ids = people(
        &db,
        &tenant,
        &[
            ("Anne", UserRole::Participant, Locale::Fr),
            ("Bob", UserRole::Participant, Locale::Fr),
            ("Gone", UserRole::Participant, Locale::Fr),
        ],
    );
    let (anne, bob, gone) = (ids[0], ids[1], ids[2]);
    let (budget, _) = process(&db, &tenant, "budget", &texts("Budget participatif", "Participatory budget"), false);
    let (secret, _) = process(&db, &tenant, "jeunes", &texts("Conseil des jeunes", "Youth council"), true);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut a = signed_in(&app, "fol.test", "anne@fol.fr");
    let mut conn = tdb.conn();
    let follows_of = |conn: &mut diesel::PgConnection, kind: &str, id: i64| {
        count(
            conn,
            &format!("SELECT count(*) AS n FROM t_fol.follows WHERE resource_kind = '{kind}' AND resource_id = {id}"),
        )
    };

    // A space: twice is once; the page shows the count and an unfollow button.
    for _ in 0..2 {
        let r = follow(&mut a, "space", budget, "follow");
        assert_eq!((r.status, r.header("location")), (303, Some("/account")), "{}", r.body);
    }
    assert_eq!(follows_of(&mut conn, "space", budget), 1);
    let page = a.get("/processes/budget");
    assert!(page.body.contains("1 abonné(e)") && page.body.contains("Ne plus suivre"), "{}", page.body);
    let anon = Browser::new(app.http, "fol.test").get("/processes/budget");
    assert!(anon.body.contains("1 abonné(e)") && anon.body.contains("Connectez-vous pour suivre"));
    for _ in 0..2 {
        assert_eq!(follow(&mut a, "space", budget, "unfollow").status, 303);
    }
    assert_eq!(follows_of(&mut conn, "space", budget), 0);
    assert!(a.get("/processes/budget").body.contains("0 abonné(e)s"));

    // A private space one is not a member of: not found, nothing stored.
    assert_eq!(follow(&mut a, "space", secret, "follow").status, 404);
    assert_eq!(follow(&mut a, "space", secret + 1000, "follow").status, 404);
    assert_eq!(follows_of(&mut conn, "space", secret), 0);
    // Proposals are not wired yet; bad kinds and actions are refused.
    assert_eq!(follow(&mut a, "proposal", 1, "follow").status, 404);
    assert_eq!(follow(&mut a, "planet", 1, "follow").status, 400);
    assert_eq!(follow(&mut a, "space", budget, "like").status, 400);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_fol.follows"), 0);

    // A person: twice is once, and they are told once.
    for _ in 0..2 {
        assert_eq!(follow(&mut a, "user", bob, "follow").status, 303);
    }
    assert_eq!(follows_of(&mut conn, "user", bob), 1);
    assert_eq!(
        count(&mut conn, &format!("SELECT count(*) AS n FROM t_fol.notifications WHERE user_id = {bob} AND event = 'follow' AND actor_id = {anne}")),
        1
    );
    assert_eq!(follow(&mut a, "user", anne, "follow").status, 400, "oneself");
    // Part of "download my data", with the mail frequency.
    let data: serde_json::Value = serde_json::from_str(&a.get("/account/data").body).expect("json");
    assert_eq!(data["follows"][0]["resource"], serde_json::json!({ "kind": "user", "id": bob }));
    assert_eq!(data["notifications_by_mail"], "daily");
    assert_eq!(follows_of(&mut conn, "user", anne), 0);

    // The public profile: any case of the nickname; nothing private.
    let mut anon = Browser::new(app.http, "fol.test");
    let profile = anon.get("/profiles/bob");
    assert_eq!(profile.status, 200);
    assert!(profile.body.contains("<h1>Bob</h1>") && profile.body.contains("1 abonné(e)"), "{}", profile.body);
    assert!(!profile.body.contains("bob@fol.fr"));
    assert!(a.get("/profiles/Bob").body.contains("Ne plus suivre"));
    assert!(!a.get("/profiles/Anne").body.contains("name=\"action\""), "no button on one's own profile");
    assert_eq!(anon.get("/profiles/nobody").status, 404);
    let mut b = signed_in(&app, "fol.test", "bob@fol.fr");
    assert_eq!(badge(&mut b), Some(1));
    assert!(b.get("/notifications").body.contains("Anne vous suit désormais."));

    // An erased account: its profile is gone, it cannot be followed, its follows are forgotten.
    db.tenant(&tenant, |conn| {
        follows::follow(conn, gone, ResourceRef::new(ResourceKind::Space, budget))?;
        users::erase(conn, gone)
    })
    .unwrap();
    assert_eq!(anon.get("/profiles/gone").status, 404);
    assert_eq!(follow(&mut a, "user", gone, "follow").status, 404);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_fol.follows WHERE user_id = {gone}")), 0);

    // Signed out: sent to sign in, nothing stored.
    let mut anon = Browser::new(app.http, "fol.test");
    let csrf = anon.csrf("/sign-in");
    let budget_id = budget.to_string();
    let r = anon.post(
        "/follows",
        &[("csrf", &csrf), ("resource_kind", "space"), ("resource_id", &budget_id), ("action", "follow")],
    );
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap_or("").starts_with("/sign-in"));
    assert_eq!(follows_of(&mut conn, "space", budget), 0);
}

#[test]
fn a_new_phase_is_told_to_followers_who_read_it_in_the_app() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "ntf", &["ntf.test"], &["pages"]);
    let other = tenants::create(&db, "ntg", &["ntg.test"], &["pages"]);
    let ids = people(
        &db,
        &tenant,
        &[
            ("Anne", UserRole::Participant, Locale::Fr),
            ("Bob", UserRole::Participant, Locale::En),
            ("Admin", UserRole::Admin, Locale::Fr),
            ("Carl", UserRole::Participant, Locale::Fr),
        ],
    );
    let (anne, bob, admin) = (ids[0], ids[1], ids[2]);
    people(&db, &other, &[("Autre", UserRole::Participant, Locale::Fr)]);
    let (budget, phases) =
        process(&db, &tenant, "budget", &texts("Budget participatif", "Participatory budget"), false);
    let (secret, secret_phases) = process(&db, &tenant, "jeunes", &texts("Conseil des jeunes", "Youth council"), true);
    db.tenant(&tenant, |conn| {
        let space = ResourceRef::new(ResourceKind::Space, budget);
        for who in [anne, bob, admin] {
            follows::follow(conn, who, space)?;
        }
        // Anne follows the private space while a member; Carl was never one.
        spaces::add_member(conn, secret, anne)?;
        follows::follow(conn, anne, ResourceRef::new(ResourceKind::Space, secret))?;
        follows::follow(conn, ids[3], ResourceRef::new(ResourceKind::Space, secret))?;
        Ok::<_, CoreError>(())
    })
    .unwrap();
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut ad = signed_in(&app, "ntf.test", "admin@ntf.fr");
    let mut a = signed_in(&app, "ntf.test", "anne@ntf.fr");
    let b = signed_in(&app, "ntf.test", "bob@ntf.fr");
    assert_eq!(badge(&mut a), None);
    assert!(a.get("/notifications").body.contains("Aucune notification"));

    let csrf = ad.csrf("/admin/spaces");
    let r = ad.post(&format!("/admin/spaces/{budget}/phases/{}/activate", phases[1]), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let mut conn = tdb.conn();
    let notified = |conn: &mut diesel::PgConnection, who: i64| {
        count(conn, &format!("SELECT count(*) AS n FROM t_ntf.notifications WHERE user_id = {who}"))
    };
    assert_eq!((notified(&mut conn, anne), notified(&mut conn, bob), notified(&mut conn, admin)), (1, 1, 0));
    // Activating the active phase again tells nobody again.
    ad.post(&format!("/admin/spaces/{budget}/phases/{}/activate", phases[1]), &[("csrf", &csrf)]);
    assert_eq!(notified(&mut conn, anne), 1);
    // A private space: only followers who are members.
    ad.post(&format!("/admin/spaces/{secret}/phases/{}/activate", secret_phases[1]), &[("csrf", &csrf)]);
    assert_eq!((notified(&mut conn, anne), notified(&mut conn, ids[3])), (2, 0));

    // The header shows the count; the list the sentence in each one's language, with a link.
    assert_eq!(badge(&mut a), Some(2));
    let list = a.get("/notifications");
    assert!(list.body.contains("« Budget participatif » passe à l&#x27;étape « Vote »."), "{}", list.body);
    // The link opens the notification (marking it read) and leads to the space.
    let page = list.body.replace("&#x2F;", "/");
    let at = page.find("/open\"").expect("a link that opens the notification");
    let open = &page[page[..at].rfind('"').unwrap() + 1..at + 5];
    let r = a.get(open);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/processes/jeunes"), "the newest first: the private space's phase");
    assert_eq!(badge(&mut a), Some(1), "opened means read");
    assert!(list.body.contains("non lue"));
    let mut en = b;
    en.headers.push(("Accept-Language".into(), "en".into()));
    assert!(en.get("/notifications").body.contains("“Participatory budget” moved to the phase “Vote”."));
    let mut b = en;

    // Bob cannot mark Anne's notification read.
    let anne_first = count(&mut conn, &format!("SELECT min(id) AS n FROM t_ntf.notifications WHERE user_id = {anne}"));
    let bob_csrf = b.csrf("/notifications");
    assert_eq!(b.post(&format!("/notifications/{anne_first}/read"), &[("csrf", &bob_csrf)]).status, 404);
    assert_eq!(b.post("/notifications/abc/read", &[("csrf", &bob_csrf)]).status, 404);
    assert_eq!(b.get(&format!("/notifications/{anne_first}/open")).status, 404, "nor open it");
    assert_eq!(badge(&mut a), Some(1));
    // Without a form token: refused.
    assert_eq!(a.post(&format!("/notifications/{anne_first}/read"), &[("csrf", "x")]).status, 403);

    // Anne marks one read, then all.
    let csrf = a.csrf("/notifications");
    let r = a.post(&format!("/notifications/{anne_first}/read"), &[("csrf", &csrf), ("next", "/notifications")]);
    assert_eq!((r.status, r.header("location")), (303, Some("/notifications")));
    assert_eq!(badge(&mut a), None);
    assert_eq!(a.post(&format!("/notifications/{anne_first}/read"), &[("csrf", &csrf)]).status, 303, "twice is fine");
    assert_eq!(a.post("/notifications/read-all", &[("csrf", &csrf)]).status, 303);
    assert_eq!(badge(&mut a), None);
    assert!(!a.get("/notifications").body.contains("class=\"tag\">non lue"));
    assert_eq!(badge(&mut b), Some(1), "Bob's stay unread");

    // Another tenant's host: Anne's cookie means nothing there, and its own people
    // (with the same account ids) see none of it.
    let mut elsewhere = Browser::new(app.http, "ntg.test");
    elsewhere.cookies = a.cookies.clone();
    assert_eq!(elsewhere.get("/notifications").status, 303);
    let mut autre = signed_in(&app, "ntg.test", "autre@ntg.fr");
    let page = autre.get("/notifications");
    assert!(page.body.contains("Aucune notification") && !page.body.contains("Budget"), "{}", page.body);
    let csrf = autre.csrf("/notifications");
    let bob_first = count(&mut conn, &format!("SELECT min(id) AS n FROM t_ntf.notifications WHERE user_id = {bob}"));
    assert_eq!(autre.post(&format!("/notifications/{bob_first}/read"), &[("csrf", &csrf)]).status, 404);
    assert_eq!(badge(&mut b), Some(1));

    // The settings form: a choice is saved; a made-up one is refused, nothing written.
    let csrf = a.csrf("/account/notifications");
    let bad = a.post("/account/notifications", &[("csrf", &csrf), ("frequency", "hourly")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Choisissez une des fréquences proposées."));
    let r = a.post("/account/notifications", &[("csrf", &csrf), ("frequency", "weekly")]);
    assert_eq!(r.status, 303);
    let page = a.follow(r);
    assert!(page.body.contains("value=\"weekly\" checked") && page.body.contains("préférences de notification"));
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM t_ntf.users WHERE id = {anne} AND notifications_digest = 'weekly'")
        ),
        1
    );
    assert!(
        a.get("/account").body.contains("href=\"&#x2F;account&#x2F;notifications\"")
            || a.get("/account").body.contains("href=\"/account/notifications\"")
    );
}

#[test]
fn mentions_resolve_live_nicknames_in_any_case_and_render_as_escaped_links() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "men", &["men.test"], &["pages"]);
    let ids = people(
        &db,
        &tenant,
        &[
            ("Anne", UserRole::Participant, Locale::Fr),
            ("Jean-Éric", UserRole::Participant, Locale::Fr),
            ("Gone", UserRole::Participant, Locale::Fr),
            ("Auteur", UserRole::Participant, Locale::Fr),
        ],
    );
    let (anne, jean, gone, author) = (ids[0], ids[1], ids[2], ids[3]);
    db.tenant(&tenant, |conn| users::erase(conn, gone)).unwrap();
    let html = richtext::sanitize(
        "Merci @ANNE et @jean-éric. Écrire à a@b.fr ou anne@men.fr, pas @inconnu ni @gone. <script>alert(1)</script> @Auteur",
    );
    let (found, linked, sent) = db
        .tenant(&tenant, |conn| {
            let found = mentions::resolve(conn, &richtext::plain(&html))?;
            let linked = mentions::render_links(conn, &html)?;
            let mut to_users = found.clone();
            to_users.push(anne);
            let sent = notifications::publish(
                conn,
                &Event {
                    kind: EventKind::Mention,
                    resource: ResourceRef::new(ResourceKind::Comment, 7),
                    actor: Some(author),
                    to_users,
                    to_followers_of: Vec::new(),
                    data: serde_json::json!({ "title": "Pistes cyclables", "url": "/processes/x" }),
                },
            )?;
            Ok::<_, CoreError>((found, linked, sent))
        })
        .unwrap();
    assert_eq!(found, vec![anne, jean, author]);
    assert_eq!(sent, 2, "each once, never the author");
    assert!(linked.contains("<a class=\"mention\" href=\"/profiles/Anne\">@ANNE</a>"), "{linked}");
    assert!(linked.contains("<a class=\"mention\" href=\"/profiles/Jean-%C3%89ric\">@jean-éric</a>."), "{linked}");
    assert!(linked.contains("a@b.fr") && linked.contains("anne@men.fr") && linked.contains("@inconnu"), "{linked}");
    assert!(!linked.contains("<script") && !linked.contains("/profiles/gone"), "{linked}");
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_men.notifications WHERE event = 'mention'"), 2);
    // Bad data is refused and writes nothing.
    let bad = db.tenant(&tenant, |conn| {
        notifications::publish(
            conn,
            &Event {
                kind: EventKind::Mention,
                resource: ResourceRef::new(ResourceKind::Comment, 7),
                actor: None,
                to_users: vec![anne],
                to_followers_of: Vec::new(),
                data: serde_json::json!(["not", "an", "object"]),
            },
        )
    });
    assert!(matches!(bad, Err(CoreError::Invalid(_))));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_men.notifications"), 2);
}

#[test]
fn digests_go_out_at_each_persons_frequency_once_and_never_to_blocked_or_erased_accounts() {
    let tdb = TestDb::new();
    let db = tdb.db(3);
    let tenant = tenants::create(&db, "dig", &["dig.test", "www.dig.test"], &["pages"]);
    let ids = people(
        &db,
        &tenant,
        &[
            ("Imm", UserRole::Participant, Locale::Fr),
            ("Day", UserRole::Participant, Locale::Fr),
            ("Week", UserRole::Participant, Locale::En),
            ("Never", UserRole::Participant, Locale::Fr),
            ("Blocked", UserRole::Participant, Locale::Fr),
            ("Erased", UserRole::Participant, Locale::Fr),
            ("Admin", UserRole::Admin, Locale::Fr),
        ],
    );
    let (imm, day, week, never, blocked, erased, admin) = (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6]);
    let (budget, phases) =
        process(&db, &tenant, "budget", &texts("Budget participatif", "Participatory budget"), false);
    db.tenant(&tenant, |conn| {
        let space = ResourceRef::new(ResourceKind::Space, budget);
        for who in [imm, day, week, never, blocked, erased] {
            follows::follow(conn, who, space)?;
        }
        notifications::set_frequency(conn, imm, Frequency::Immediate)?;
        notifications::set_frequency(conn, week, Frequency::Weekly)?;
        notifications::set_frequency(conn, never, Frequency::None)?;
        notifications::set_frequency(conn, blocked, Frequency::Immediate)?;
        Ok::<_, CoreError>(())
    })
    .unwrap();
    let mut conn = tdb.conn();
    // A notification from before the block and the erasure reaches neither.
    db.tenant(&tenant, |conn| space_events::activate_phase(conn, budget, phases[1], Some(admin))).unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("UPDATE t_dig.users SET blocked_at = now() WHERE id IN ({blocked})")),
        &mut conn,
    )
    .unwrap();
    db.tenant(&tenant, |conn| users::erase(conn, erased)).unwrap();
    let app = TestApp::start(&tdb, TestConfig::default());
    let links = SiteLinks { scheme: "http".into(), port: None };
    let to = |mail: &str, who: &str| mail.contains(&format!("To: {who}@dig.fr"));
    let now = Utc::now();

    // First pass: everyone due who has something (the daily and weekly never had one).
    let report = send_all(&app.state, &links, now);
    assert_eq!((report.sent, report.failed), (3, 0), "{report:?}");
    let sent = mails(&app.data_dir, "dig");
    assert_eq!(sent.len(), 3);
    let imm_mail = sent.iter().find(|m| to(m, "imm")).expect("immediate mail");
    assert!(imm_mail.contains("« Budget participatif » passe à l'étape « Vote »."), "{imm_mail}");
    assert!(imm_mail.contains("http://dig.test/processes/budget"), "links to the primary host: {imm_mail}");
    assert!(imm_mail.contains("http://dig.test/account/notifications"));
    let week_mail = sent.iter().find(|m| to(m, "week")).expect("weekly mail");
    assert!(week_mail.contains("“Participatory budget” moved to the phase “Vote”."), "{week_mail}");
    assert!(!sent.iter().any(|m| to(m, "never") || to(m, "blocked") || to(m, "erased") || to(m, "admin")));
    // A second pass right away: nothing new.
    assert_eq!(send_all(&app.state, &links, now).sent, 0);
    assert_eq!(mails(&app.data_dir, "dig").len(), 3);

    // Another event: the immediate one gets it now; the daily one after 24 hours; the
    // weekly one after 7 days; `none` never.
    db.tenant(&tenant, |conn| space_events::activate_phase(conn, budget, phases[2], Some(admin))).unwrap();
    // While the tenant is read-only (being moved to another cluster), its digests wait.
    let read_only = |on: bool| {
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("UPDATE catalog.tenants SET read_only = {on} WHERE slug = 'dig'")),
            &mut tdb.conn(),
        )
        .unwrap()
    };
    read_only(true);
    let report = send_all(&app.state, &links, now + Duration::minutes(1));
    assert_eq!((report.sent, report.read_only, report.tenants), (0, 1, 0), "{report:?}");
    assert_eq!(mails(&app.data_dir, "dig").len(), 3);
    read_only(false);
    assert_eq!(send_all(&app.state, &links, now + Duration::minutes(1)).sent, 1);
    let last = mails(&app.data_dir, "dig");
    assert!(to(&last[3], "imm") && last[3].contains("« Bilan »"), "{}", last[3]);
    assert!(!last[3].contains("« Vote »"), "what was mailed is not mailed again");
    assert_eq!(send_all(&app.state, &links, now + Duration::hours(23)).sent, 0);
    assert_eq!(send_all(&app.state, &links, now + Duration::hours(25)).sent, 1);
    assert!(to(&mails(&app.data_dir, "dig")[4], "day"));
    assert_eq!(send_all(&app.state, &links, now + Duration::days(6)).sent, 0);
    assert_eq!(send_all(&app.state, &links, now + Duration::days(8)).sent, 1);
    assert!(to(&mails(&app.data_dir, "dig")[5], "week"));
    assert_eq!(send_all(&app.state, &links, now + Duration::days(30)).sent, 0);
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM t_dig.notifications WHERE user_id = {never} AND emailed_at IS NULL")
        ),
        2
    );
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM t_dig.notifications WHERE user_id IN ({blocked}, {erased}, {admin})")
        ),
        1,
        "only the blocked one's from before the block, never mailed"
    );

    // Read in the app: not mailed.
    db.tenant(&tenant, |conn| {
        space_events::activate_phase(conn, budget, phases[0], Some(admin))?;
        notifications::mark_all_read(conn, imm)
    })
    .unwrap();
    assert_eq!(send_all(&app.state, &links, now + Duration::days(31)).sent, 2, "the daily and weekly ones");
    let all = mails(&app.data_dir, "dig");
    assert_eq!(all.len(), 8);
    assert!(!all[6..].iter().any(|m| to(m, "imm")), "what was read is not mailed");
}

#[test]
fn a_failed_send_is_kept_for_the_next_pass_and_two_passes_at_once_send_once() {
    let tdb = TestDb::new();
    let db = tdb.db(3);
    let tenant = tenants::create(&db, "dif", &["dif.test"], &["pages"]);
    let ids = people(&db, &tenant, &[("Imm", UserRole::Participant, Locale::Fr)]);
    let (budget, phases) = process(&db, &tenant, "budget", &texts("Budget", "Budget"), false);
    db.tenant(&tenant, |conn| {
        follows::follow(conn, ids[0], ResourceRef::new(ResourceKind::Space, budget))?;
        notifications::set_frequency(conn, ids[0], Frequency::Immediate)?;
        space_events::activate_phase(conn, budget, phases[1], None)
    })
    .unwrap();
    let app = TestApp::start(&tdb, TestConfig::default());
    let links = SiteLinks { scheme: "https".into(), port: Some(8443) };
    let set_server = |port: u16| {
        let mail = TenantMail {
            from_address: "participation@dif.fr".into(),
            from_name: "Ville".into(),
            smtp: SmtpSettings {
                host: "127.0.0.1".into(),
                port,
                tls: SmtpTls::None,
                username: String::new(),
                password: None,
            },
        };
        db.catalog(|conn| put_tenant_mail(conn, &app.state.identity.keyring, tenant.id, &mail, None)).unwrap();
    };
    // A server that is not there: the send fails, the notification waits.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    set_server(closed);
    assert_eq!(send_tenant(&app.state, &links, &tenant, Utc::now()).unwrap(), (0, 1));
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_dif.notifications WHERE emailed_at IS NULL"), 1);

    // While one pass holds the person, another skips them.
    let skipped = db
        .tenant(&tenant, |conn| {
            let mine = notifications::due_digests(conn, Utc::now())?;
            let theirs = db.tenant(&tenant, |other| notifications::due_digests(other, Utc::now()))?;
            Ok::<_, CoreError>((mine.len(), theirs.len()))
        })
        .unwrap();
    assert_eq!(skipped, (1, 0));

    // The server is back: sent once, with links to the primary host.
    let sink = SmtpSink::start();
    set_server(sink.addr.port());
    assert_eq!(send_tenant(&app.state, &links, &tenant, Utc::now()).unwrap(), (1, 0));
    assert_eq!(send_tenant(&app.state, &links, &tenant, Utc::now()).unwrap(), (0, 0));
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].data.contains("https://dif.test:8443/processes/budget"), "{}", got[0].data);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_dif.notifications WHERE emailed_at IS NULL"), 0);
}

#[test]
fn the_cli_runs_one_pass_of_the_digests() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "dic", &["dic.test"], &["pages"]);
    let ids = people(&db, &tenant, &[("Imm", UserRole::Participant, Locale::Fr)]);
    let (budget, phases) = process(&db, &tenant, "budget", &texts("Budget", "Budget"), false);
    db.tenant(&tenant, |conn| {
        follows::follow(conn, ids[0], ResourceRef::new(ResourceKind::Space, budget))?;
        space_events::activate_phase(conn, budget, phases[1], None)
    })
    .unwrap();
    let data = crate::support::app::temp_dir("digest-cli");
    let run = || {
        tenants::civitas(&tdb.url)
            .env("CIVITAS_DATA_DIR", &data)
            .args(["notifications", "send-digests"])
            .output()
            .expect("civitas runs")
    };
    let out = run();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 sent, 0 failed"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let sent = mails(&data, "dic");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("To: imm@dic.fr") && sent[0].contains("https://dic.test/processes/budget"), "{}", sent[0]);
    let again = run();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 sent"), "the daily digest is not due again");
    assert_eq!(mails(&data, "dic").len(), 1);
}
