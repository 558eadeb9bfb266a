//! Comments on a commentable resource (a blog post): threads four levels deep,
//! votes, edit and delete by the author only, inert HTML, who may comment; reports,
//! the report threshold, and the administrators' moderation queue.
use diesel::RunQueryDsl;
use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::comments;
use tenant_core::content::blog;
use tenant_core::names::Locale;
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::{CoreError, Db, Tenant};

use crate::support::browser::Browser;
use crate::support::http::Resp;
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";

/// Makes confirmed accounts (nickname, email, admin?) and returns their ids.
fn people(db: &Db, tenant: &Tenant, who: &[(&str, &str, bool)]) -> Vec<i64> {
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(tenant, |conn| {
        let mut ids = Vec::new();
        for (nick, email, admin) in who {
            let new = NewUser {
                nickname: nick,
                email: Some(email),
                password_hash: Some(&phc),
                locale: Locale::Fr,
                email_confirmed: true,
                role: if *admin { UserRole::Admin } else { UserRole::Participant },
            };
            ids.push(users::create(conn, &new)?.unwrap());
        }
        Ok::<_, CoreError>(ids)
    })
    .unwrap()
}

fn post(db: &Db, tenant: &Tenant, title: &str) -> i64 {
    db.tenant(tenant, |conn| blog::publish(conn, Locale::Fr, title, "Le texte de l'actualité.")).unwrap()
}

fn signed_in(app: &TestApp, host: &str, email: &str) -> Browser {
    let mut b = Browser::new(app.http, host);
    let csrf = b.csrf("/sign-in");
    let r = b.post("/sign-in", &[("csrf", &csrf), ("email", email), ("password", PASSWORD)]);
    assert_eq!(r.status, 303, "{}", r.body);
    b
}

fn sql(db: &Db, tenant: &Tenant, statement: &str) {
    let statement = statement.to_owned();
    db.tenant(tenant, |conn| Ok::<_, CoreError>(diesel::sql_query(statement).execute(conn)?)).unwrap();
}

/// Posts a comment (or a reply); returns the response.
fn comment(b: &mut Browser, csrf: &str, post: i64, parent: Option<i64>, body: &str) -> Resp {
    let (post, parent) = (post.to_string(), parent.map(|p| p.to_string()).unwrap_or_default());
    b.post(
        "/comments",
        &[
            ("csrf", csrf),
            ("resource_kind", "blog_post"),
            ("resource_id", &post),
            ("parent_id", &parent),
            ("body", body),
            ("alignment", ""),
        ],
    )
}

/// The id of the comment a 303 after posting points at (`…#comment-<id>`).
fn created_id(r: &Resp, post: i64) -> i64 {
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap();
    let prefix = format!("/blog/{post}#comment-");
    assert!(location.starts_with(&prefix), "{location}");
    location[prefix.len()..].parse().unwrap()
}

fn report(b: &mut Browser, csrf: &str, id: i64, reason: &str) -> Resp {
    let id = id.to_string();
    b.post(
        "/reports",
        &[("csrf", csrf), ("resource_kind", "comment"), ("resource_id", &id), ("reason", reason), ("details", "")],
    )
}

fn moderate(b: &mut Browser, csrf: &str, action: &str, id: i64) -> Resp {
    let id = id.to_string();
    b.post(
        &format!("/admin/moderation/{action}"),
        &[("csrf", csrf), ("resource_kind", "comment"), ("resource_id", &id), ("filter", "pending")],
    )
}

fn pos(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} not on the page"))
}

#[test]
fn threads_nest_votes_toggle_and_only_authors_edit_or_delete() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "cma", &["cma.test"], &["blog"]);
    let other = tenants::create(&db, "cmb", &["cmb.test"], &["blog"]);
    people(&db, &tenant, &[("Alice", "alice@cma.fr", false), ("Bruno", "bruno@cma.fr", false)]);
    let post_id = post(&db, &tenant, "Le nouveau parc");
    post(&db, &other, "Autre site, premier");
    let elsewhere = post(&db, &other, "Autre site, second");
    assert_ne!(elsewhere, post_id, "the other tenant has a post id this one has not");
    let app = TestApp::start(&tdb, TestConfig::default());
    let page = format!("/blog/{post_id}");
    let mut conn = tdb.conn();
    let stored = |conn: &mut diesel::PgConnection| count(conn, "SELECT count(*) AS n FROM t_cma.comments");

    let mut alice = signed_in(&app, "cma.test", "alice@cma.fr");
    let mut bruno = signed_in(&app, "cma.test", "bruno@cma.fr");
    let ca = alice.csrf(&page);
    let cb = bruno.csrf(&page);

    // A thread four levels deep; a fifth level is refused with a clear message.
    let c0 = created_id(&comment(&mut alice, &ca, post_id, None, "Premier avis sur le parc"), post_id);
    let again = created_id(&comment(&mut alice, &ca, post_id, None, "Premier avis sur le parc"), post_id);
    assert_eq!(again, c0, "a double submit lands on the first comment, nothing new is written");
    let c1 = created_id(&comment(&mut bruno, &cb, post_id, Some(c0), "Réponse de niveau un"), post_id);
    let c2 = created_id(&comment(&mut alice, &ca, post_id, Some(c1), "Réponse de niveau deux"), post_id);
    let c3 = created_id(&comment(&mut bruno, &cb, post_id, Some(c2), "Réponse de niveau trois"), post_id);
    let too_deep = comment(&mut alice, &ca, post_id, Some(c3), "Niveau quatre");
    assert_eq!(too_deep.status, 422);
    assert!(too_deep.body.contains("troisième niveau"), "{}", too_deep.body);
    assert!(too_deep.body.contains("Niveau quatre"), "the text typed is kept");
    assert_eq!(stored(&mut conn), 4);
    assert_eq!(
        count(&mut conn, &format!("SELECT reply_count::bigint AS n FROM t_cma.comments WHERE id = {c0}")),
        3,
        "every level counts as discussion"
    );
    let html = Browser::new(app.http, "cma.test").get(&page).body;
    for (outer, inner) in [(c0, c1), (c1, c2), (c2, c3)] {
        let between =
            &html[pos(&html, &format!("id=\"comment-{outer}\""))..pos(&html, &format!("id=\"comment-{inner}\""))];
        assert!(between.contains("<ol class=\"comment-list comment-replies\">"), "{outer} nests {inner}");
    }
    assert!(html.contains("Commentaires (4)"), "the count is shown");

    // Votes: again the same way takes the vote back; the other way switches it.
    let votes = |conn: &mut diesel::PgConnection| {
        (
            count(conn, &format!("SELECT up_votes::bigint AS n FROM t_cma.comments WHERE id = {c0}")),
            count(conn, &format!("SELECT down_votes::bigint AS n FROM t_cma.comments WHERE id = {c0}")),
        )
    };
    let vote = |b: &mut Browser, csrf: &str, value: &str| {
        let r = b.post(&format!("/comments/{c0}/vote"), &[("csrf", csrf), ("value", value)]);
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.header("location"), Some(format!("/blog/{post_id}#comment-{c0}").as_str()));
    };
    vote(&mut bruno, &cb, "up");
    assert_eq!(votes(&mut conn), (1, 0));
    vote(&mut bruno, &cb, "up");
    assert_eq!(votes(&mut conn), (0, 0), "the same vote again takes it back");
    vote(&mut bruno, &cb, "down");
    assert_eq!(votes(&mut conn), (0, 1));
    vote(&mut bruno, &cb, "up");
    assert_eq!(votes(&mut conn), (1, 0), "the other vote switches it");
    vote(&mut alice, &ca, "up");
    assert_eq!(votes(&mut conn), (2, 0));
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_cma.comment_votes WHERE comment_id = {c0}")), 2);
    let seen = bruno.get(&page).body;
    let card = &seen[pos(&seen, &format!("id=\"comment-{c0}\""))..pos(&seen, &format!("id=\"comment-{c1}\""))];
    assert!(card.contains("value=\"up\" class=\"button-secondary\" aria-pressed=\"true\""), "Bruno's vote is marked");
    assert!(card.contains("data-votes=\"up\">2<") && card.contains("data-votes=\"down\">0<"), "{card}");
    assert_eq!(bruno.post(&format!("/comments/{c0}/vote"), &[("csrf", &cb), ("value", "sideways")]).status, 400);

    // Someone else's comment can be neither edited nor deleted, and stays as it was.
    assert_eq!(bruno.get(&format!("/comments/{c0}/edit")).status, 403);
    let r = bruno.post(&format!("/comments/{c0}/edit"), &[("csrf", &cb), ("body", "Texte pirate")]);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Seul l&#x27;auteur") || r.body.contains("Seul l'auteur"), "{}", r.body);
    assert_eq!(bruno.post(&format!("/comments/{c0}/delete"), &[("csrf", &cb)]).status, 403);
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM t_cma.comments WHERE id = {c0} AND body = '<p>Premier avis sur le parc</p>' \
                 AND edited_at IS NULL AND deleted_at IS NULL"
            )
        ),
        1
    );
    // Without the form token, nothing either.
    assert_eq!(alice.post(&format!("/comments/{c0}/edit"), &[("csrf", "forged"), ("body", "x")]).status, 403);

    // The author edits (the form shows the text as typed) and deletes; replies stay.
    let form = alice.get(&format!("/comments/{c0}/edit"));
    assert_eq!(form.status, 200);
    assert!(form.body.contains(">Premier avis sur le parc</textarea>"), "{}", form.body);
    let r = alice.post(&format!("/comments/{c0}/edit"), &[("csrf", &ca), ("body", "Premier avis, corrigé")]);
    assert_eq!(r.status, 303);
    let r = alice.post(&format!("/comments/{c0}/edit"), &[("csrf", &ca), ("body", &"x".repeat(2001))]);
    assert_eq!(r.status, 422, "an oversize edit is refused");
    let r = alice.post(&format!("/comments/{c2}/delete"), &[("csrf", &ca)]);
    assert_eq!(r.status, 303);
    let html = Browser::new(app.http, "cma.test").get(&page).body;
    assert!(html.contains("Premier avis, corrigé") && html.contains("(modifié)"));
    assert!(!html.contains("Réponse de niveau deux"));
    assert!(html.contains("Commentaire supprimé par son auteur."));
    assert!(html.contains("Réponse de niveau trois"), "the reply below a deleted comment stays");
    assert!(html.contains("Commentaires (3)"));
    let r = comment(&mut bruno, &cb, post_id, Some(c2), "Réponse à un commentaire supprimé");
    assert_eq!(r.status, 422);
    assert_eq!(alice.post(&format!("/comments/{c2}/vote"), &[("csrf", &ca), ("value", "up")]).status, 400);

    // Script and event-handler HTML is rendered inert.
    let xss = created_id(
        &comment(
            &mut alice,
            &ca,
            post_id,
            None,
            r#"<p onclick="steal()">Salut <strong>à tous</strong></p><script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">lien</a>"#,
        ),
        post_id,
    );
    let html = Browser::new(app.http, "cma.test").get(&page).body;
    assert!(html.contains("Salut <strong>à tous</strong>"), "formatting kept");
    for bad in ["<script", "onerror=", "onclick=", "javascript:", "<img"] {
        assert!(!html.to_lowercase().contains(bad), "{bad} on the served page");
    }

    // Oversize and empty bodies: a clear message, nothing stored.
    let before = stored(&mut conn);
    let r = comment(&mut alice, &ca, post_id, None, &"mot ".repeat(600));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("dépasse 2 000 caractères"), "{}", r.body);
    assert!(r.body.contains("aria-invalid=\"true\""));
    let r = comment(&mut alice, &ca, post_id, None, "<p> </p><script>x()</script>");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Votre commentaire est vide"));
    assert_eq!(stored(&mut conn), before);

    // A resource this tenant does not have (the other tenant's post id, another kind).
    assert_eq!(comment(&mut alice, &ca, elsewhere, None, "Ailleurs").status, 404);
    let r = alice.post(
        "/comments",
        &[("csrf", &ca), ("resource_kind", "proposal"), ("resource_id", "1"), ("body", "Proposition ?")],
    );
    assert_eq!(r.status, 404);
    let r = alice.post(
        "/comments",
        &[("csrf", &ca), ("resource_kind", "blog_post"), ("resource_id", "abc"), ("body", "Quoi ?")],
    );
    assert_eq!(r.status, 404);
    assert_eq!(stored(&mut conn), before);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_cmb.comments"), 0);
    assert!(Browser::new(app.http, "cmb.test").get(&format!("/blog/{post_id}")).body.contains("Aucun commentaire"));

    // Orders: recent puts the newest first; best rated and most discussed the first one.
    let order = |o: &str| {
        let html = Browser::new(app.http, "cma.test").get(&format!("{page}?order={o}")).body;
        pos(&html, &format!("id=\"comment-{c0}\"")) < pos(&html, &format!("id=\"comment-{xss}\""))
    };
    assert!(order("older"));
    assert!(!order("recent"));
    assert!(order("best_rated"));
    assert!(order("most_discussed"));
    let r = bruno.post(&format!("/comments/{xss}/vote"), &[("csrf", &cb), ("value", "up")]);
    assert_eq!(r.status, 303);
    let r = alice.post(&format!("/comments/{xss}/vote"), &[("csrf", &ca), ("value", "up")]);
    assert_eq!(r.status, 303);
    let r = alice.post(&format!("/comments/{c0}/vote"), &[("csrf", &ca), ("value", "up")]);
    assert_eq!(r.status, 303, "Alice takes her vote back: c0 has 1, the newer one 2");
    assert!(!order("best_rated"));
    assert!(order("most_discussed"));
}

#[test]
fn anonymous_unconfirmed_and_blocked_accounts_read_but_do_not_comment_and_posting_is_rate_limited() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "cmc", &["cmc.test"], &["blog"]);
    let ids = people(
        &db,
        &tenant,
        &[("Alice", "alice@cmc.fr", false), ("Ulysse", "ulysse@cmc.fr", false), ("Blaise", "blaise@cmc.fr", false)],
    );
    let post_id = post(&db, &tenant, "Travaux rue Haute");
    let app = TestApp::start(&tdb, TestConfig::default());
    let page = format!("/blog/{post_id}");
    let mut conn = tdb.conn();
    let stored = |conn: &mut diesel::PgConnection| count(conn, "SELECT count(*) AS n FROM t_cmc.comments");

    let mut alice = signed_in(&app, "cmc.test", "alice@cmc.fr");
    let ca = alice.csrf(&page);
    let first = created_id(&comment(&mut alice, &ca, post_id, None, "Enfin des travaux"), post_id);

    // Anyone can read; an anonymous visitor is asked to sign in and has no form.
    let mut anon = Browser::new(app.http, "cmc.test");
    let html = anon.get(&page).body;
    assert!(html.contains("Enfin des travaux") && html.contains("connectez-vous"), "{html}");
    assert!(!html.contains("action=\"/comments\"") && !html.contains("action=\"/reports\""));
    let r =
        anon.post("/comments", &[("resource_kind", "blog_post"), ("resource_id", &post_id.to_string()), ("body", "x")]);
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/sign-in"));

    // An account whose address is not confirmed sees the confirm gate.
    let mut ulysse = signed_in(&app, "cmc.test", "ulysse@cmc.fr");
    let cu = ulysse.csrf("/account");
    sql(&db, &tenant, &format!("UPDATE users SET email_confirmed_at = NULL WHERE id = {}", ids[1]));
    let html = ulysse.get(&page).body;
    assert!(html.contains("confirmez d&#x27;abord votre adresse") || html.contains("confirmez d'abord votre adresse"));
    assert!(!html.contains("action=\"/comments\""));
    let r = comment(&mut ulysse, &cu, post_id, None, "Sans adresse confirmée");
    assert_eq!(r.status, 403);
    assert!(r.body.contains("confirmez"), "{}", r.body);
    let r = ulysse.post(&format!("/comments/{first}/vote"), &[("csrf", &cu), ("value", "up")]);
    assert_eq!(r.status, 403);

    // A blocked account: told so, and refused comments, votes and reports.
    let mut blaise = signed_in(&app, "cmc.test", "blaise@cmc.fr");
    let cbl = blaise.csrf(&page);
    let own = created_id(&comment(&mut blaise, &cbl, post_id, None, "Avant le blocage"), post_id);
    sql(&db, &tenant, &format!("UPDATE users SET blocked_at = now(), blocked_reason = 'spam' WHERE id = {}", ids[2]));
    let html = blaise.get(&page).body;
    assert!(html.contains("Votre compte a été bloqué"), "{html}");
    assert!(!html.contains("action=\"/comments\"") && !html.contains("action=\"/reports\""));
    let r = comment(&mut blaise, &cbl, post_id, None, "Après le blocage");
    assert_eq!(r.status, 403);
    assert!(r.body.contains("bloqué"));
    assert_eq!(blaise.post(&format!("/comments/{first}/vote"), &[("csrf", &cbl), ("value", "down")]).status, 403);
    assert_eq!(report(&mut blaise, &cbl, first, "spam").status, 403);
    let r = blaise.post(&format!("/comments/{own}/edit"), &[("csrf", &cbl), ("body", "Modifié bloqué")]);
    assert_eq!(r.status, 403);
    assert_eq!(stored(&mut conn), 2);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_cmc.comment_votes"), 0);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_cmc.reports"), 0);

    // At most 10 comments a minute per account.
    for i in 1..10 {
        created_id(&comment(&mut alice, &ca, post_id, None, &format!("Message {i}")), post_id);
    }
    let r = comment(&mut alice, &ca, post_id, None, "Un de trop");
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(stored(&mut conn), 11);
    assert_eq!(
        db.tenant(&tenant, |conn| comments::count(conn, ResourceRef::new(ResourceKind::BlogPost, post_id))).unwrap(),
        11
    );
}

#[test]
fn reports_hide_a_comment_at_the_threshold_and_only_this_tenants_admins_moderate() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "cmd", &["cmd.test"], &["blog"]);
    let other = tenants::create(&db, "cme", &["cme.test"], &["blog"]);
    let ids = people(
        &db,
        &tenant,
        &[
            ("Alice", "alice@cmd.fr", false),
            ("Bruno", "bruno@cmd.fr", false),
            ("Carla", "carla@cmd.fr", false),
            ("Denis", "denis@cmd.fr", false),
            ("Admin", "admin@cmd.fr", true),
        ],
    );
    people(&db, &other, &[("Autre admin", "admin@cme.fr", true)]);
    let post_id = post(&db, &tenant, "Marché de Noël");
    let app = TestApp::start(&tdb, TestConfig::default());
    let page = format!("/blog/{post_id}");
    let mut conn = tdb.conn();

    let mut alice = signed_in(&app, "cmd.test", "alice@cmd.fr");
    let ca = alice.csrf(&page);
    let bad = created_id(&comment(&mut alice, &ca, post_id, None, "Achetez mes montres pas chères"), post_id);
    let reply = created_id(&comment(&mut alice, &ca, post_id, Some(bad), "Et mes bijoux aussi"), post_id);
    let fine = created_id(&comment(&mut alice, &ca, post_id, None, "Vivement décembre"), post_id);

    // Reporting twice is idempotent and says so.
    let mut bruno = signed_in(&app, "cmd.test", "bruno@cmd.fr");
    let cb = bruno.csrf(&page);
    assert!(bruno.get(&page).body.contains("action=\"/reports\""), "signed-in people get the report form");
    let r = report(&mut bruno, &cb, bad, "spam");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Merci pour votre signalement"));
    let r = report(&mut bruno, &cb, bad, "offensive");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Déjà signalé"), "{}", r.body);
    let reports_of = |conn: &mut diesel::PgConnection| {
        count(
            conn,
            &format!("SELECT count(*) AS n FROM t_cmd.reports WHERE resource_kind = 'comment' AND resource_id = {bad}"),
        )
    };
    assert_eq!(reports_of(&mut conn), 1);
    assert_eq!(
        count(&mut conn, &format!("SELECT report_count::bigint AS n FROM t_cmd.moderations WHERE resource_id = {bad}")),
        1
    );
    // Bad reports: unknown comment, no reason, details too long; nothing stored.
    assert_eq!(report(&mut bruno, &cb, 999_999, "spam").status, 404);
    assert_eq!(report(&mut bruno, &cb, fine, "").status, 400);
    let long = "x".repeat(501);
    let r = bruno.post(
        "/reports",
        &[
            ("csrf", &cb),
            ("resource_kind", "comment"),
            ("resource_id", &fine.to_string()),
            ("reason", "other"),
            ("details", &long),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("500 caractères"));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_cmd.reports"), 1);

    // Two reports: still visible, pending in the queue with the reasons.
    let mut carla = signed_in(&app, "cmd.test", "carla@cmd.fr");
    let cc = carla.csrf(&page);
    assert_eq!(report(&mut carla, &cc, bad, "offensive").status, 200);
    let mut anon = Browser::new(app.http, "cmd.test");
    assert!(anon.get(&page).body.contains("Achetez mes montres"));
    let mut admin = signed_in(&app, "cmd.test", "admin@cmd.fr");
    let cadm = admin.csrf("/admin/moderation");
    let queue = admin.get("/admin/moderation");
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("Achetez mes montres pas chères"), "{}", queue.body);
    assert!(queue.body.contains("Spam ou publicité × 1") && queue.body.contains("Contenu offensant × 1"));
    assert!(queue.body.contains(&format!("href=\"&#x2F;blog&#x2F;{post_id}#comment-{bad}\"")), "links to it");
    assert!(admin.get("/admin").body.contains("href=\"/admin/moderation\""), "linked from the admin page");

    // The third report hides it (and the reply under it) for everyone but admins.
    let mut denis = signed_in(&app, "cmd.test", "denis@cmd.fr");
    let cd = denis.csrf(&page);
    assert_eq!(report(&mut denis, &cd, bad, "does_not_belong").status, 200);
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM t_cmd.moderations m JOIN t_cmd.comments c ON c.id = m.resource_id \
                 WHERE m.resource_id = {bad} AND m.hidden_at IS NOT NULL AND m.hidden_by IS NULL AND c.hidden_at IS NOT NULL"
            )
        ),
        1,
        "hidden by the threshold, mirrored on the comment"
    );
    for b in [&mut anon, &mut bruno, &mut alice] {
        let html = b.get(&page).body;
        assert!(!html.contains("Achetez mes montres") && !html.contains("Et mes bijoux"), "{html}");
        assert!(html.contains("Vivement décembre") && html.contains("Commentaires (1)"));
    }
    assert_eq!(
        db.tenant(&tenant, |conn| comments::count(conn, ResourceRef::new(ResourceKind::BlogPost, post_id))).unwrap(),
        1
    );
    assert_eq!(bruno.post(&format!("/comments/{bad}/vote"), &[("csrf", &cb), ("value", "up")]).status, 404);
    assert_eq!(comment(&mut bruno, &cb, post_id, Some(bad), "Réponse au masqué").status, 422);
    let html = admin.get(&page).body;
    let card = &html[pos(&html, &format!("id=\"comment-{bad}\""))..];
    assert!(card.contains("Masqué par la modération") && card.contains("Achetez mes montres"), "admins see it marked");
    assert!(html.contains("Commentaires (1)"), "the count is what everyone can read");
    assert!(html.contains("Et mes bijoux"));
    let hidden = admin.get("/admin/moderation?filter=hidden").body;
    assert!(hidden.contains("Masqué automatiquement") && hidden.contains("Achetez mes montres"), "{hidden}");
    assert!(!admin.get("/admin/moderation?filter=pending").body.contains("Achetez mes montres"));

    // Unhide brings it back; reports alone no longer hide it once reviewed.
    let r = moderate(&mut admin, &cadm, "unhide", bad);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/admin/moderation?filter=pending&notice=admin_saved"));
    assert!(anon.get(&page).body.contains("Achetez mes montres"));
    assert!(anon.get(&page).body.contains("Et mes bijoux"), "and the reply under it");
    let ce = admin.csrf(&page);
    assert_eq!(report(&mut admin, &ce, bad, "other").status, 200, "a fourth report");
    assert!(anon.get(&page).body.contains("Achetez mes montres"), "the administrator's decision stands");
    assert!(admin.get("/admin/moderation").body.contains("Achetez mes montres"), "pending again");

    // An administrator hides a comment nobody reported, then shows it again.
    let r = moderate(&mut admin, &cadm, "hide", fine);
    assert_eq!(r.status, 303);
    assert!(!anon.get(&page).body.contains("Vivement décembre"));
    assert_eq!(
        count(&mut conn, &format!("SELECT hidden_by AS n FROM t_cmd.moderations WHERE resource_id = {fine}")),
        ids[4]
    );
    assert!(admin.get("/admin/moderation?filter=hidden").body.contains("Masqué par Admin"));
    assert_eq!(moderate(&mut admin, &cadm, "unhide", fine).status, 303);
    assert!(anon.get(&page).body.contains("Vivement décembre"));
    assert_eq!(moderate(&mut admin, &cadm, "hide", 999_999).status, 404);
    let _ = reply;

    // Participants cannot moderate.
    assert_eq!(bruno.get("/admin/moderation").status, 403);
    assert_eq!(moderate(&mut bruno, &cb, "hide", fine).status, 403);

    // An administrator of another tenant reaches neither this queue nor its content.
    let mut foreign = signed_in(&app, "cme.test", "admin@cme.fr");
    let cf = foreign.csrf("/admin/moderation");
    assert_eq!(foreign.get("/admin/moderation").status, 200, "their own queue");
    let mut intruder = Browser::new(app.http, "cmd.test");
    intruder.cookies = foreign.cookies.clone();
    let r = intruder.get("/admin/moderation");
    assert_eq!(r.status, 303, "their session means nothing here");
    assert!(r.header("location").unwrap().starts_with("/sign-in"));
    let r = moderate(&mut intruder, &cf, "hide", fine);
    assert!(r.status == 303 || r.status == 403, "{}", r.status);
    assert_eq!(moderate(&mut foreign, &cf, "hide", fine).status, 404, "this id means nothing on their own site");
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM t_cmd.moderations WHERE hidden_at IS NOT NULL"),
        0,
        "nothing hidden on this tenant"
    );
    assert!(anon.get(&page).body.contains("Vivement décembre"));
}
