//! The proposals module end to end: publish (with attachments, sanitised text, a
//! double submit), supports within limits, amendments and versions, the admin's
//! answer, hide, merge, split, import and export; filters, search and the random
//! order per visitor; and who may do what.
use std::collections::BTreeMap;

use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::components;
use tenant_core::names::{Locale, ModuleName};
use tenant_core::proposals::{self, exchange, PhaseSettings, Settings};
use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
use tenant_core::{CoreError, Db, Tenant};

use crate::support::browser::{form_value, Browser};
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn texts(fr: &str) -> Texts {
    let mut t = BTreeMap::new();
    t.insert(Locale::Fr, fr.to_owned());
    t
}

pub struct Place {
    pub space: i64,
    pub phases: Vec<i64>,
    pub component: i64,
    pub base: String,
    pub users: BTreeMap<&'static str, i64>,
}

/// A tenant with a published process (two phases, the first active), a published
/// proposals component with `settings`, and accounts: auteur, soutien, autre
/// (confirmed participants), nonconfirme, bloque, admin.
pub fn setup(db: &Db, tenant: &Tenant, settings: &Settings) -> Place {
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(tenant, |conn| {
        let mut users_ = BTreeMap::new();
        for (nick, role, confirmed) in [
            ("auteur", UserRole::Participant, true),
            ("soutien", UserRole::Participant, true),
            ("autre", UserRole::Participant, true),
            ("nonconfirme", UserRole::Participant, false),
            ("bloque", UserRole::Participant, true),
            ("admin", UserRole::Admin, true),
        ] {
            let email = format!("{nick}@{}.fr", tenant.slug.as_str());
            let new = NewUser {
                nickname: nick,
                email: Some(&email),
                password_hash: Some(&phc),
                locale: Locale::Fr,
                email_confirmed: confirmed,
                role,
            };
            users_.insert(nick, users::create(conn, &new)?.unwrap());
        }
        diesel::RunQueryDsl::execute(
            diesel::sql_query("UPDATE users SET blocked_at = now(), blocked_reason = 'spam' WHERE nickname = 'bloque'"),
            conn,
        )?;
        let empty = Texts::new();
        let space = spaces::create(
            conn,
            &NewSpace {
                kind: SpaceKind::Process,
                slug: "budget",
                title: &texts("Budget participatif"),
                subtitle: &empty,
                description: &empty,
                start_date: None,
                end_date: None,
                private: false,
                published: true,
            },
        )?;
        let mut phases = Vec::new();
        for t in ["Dépôt", "Vote"] {
            phases.push(spaces::add_phase(conn, space, &texts(t), &empty, (None, None))?);
        }
        spaces::activate_phase(conn, space, phases[0])?;
        proposals::add_category(conn, space, &texts("Voirie"))?;
        proposals::add_category(conn, space, &texts("Écoles"))?;
        let open = PhaseSettings {
            creation_enabled: true,
            supports_enabled: true,
            amendments_enabled: true,
            ..PhaseSettings::default()
        };
        let vote = PhaseSettings { supports_enabled: true, ..PhaseSettings::default() };
        let component = components::create(conn, space, ModuleName::Proposals, &texts("Idées"), &settings.to_json())?;
        let per_phase = serde_json::json!({
            phases[0].to_string(): serde_json::to_value(&open).unwrap(),
            phases[1].to_string(): serde_json::to_value(&vote).unwrap(),
        });
        components::update(conn, component, &texts("Idées"), &settings.to_json(), &per_phase)?;
        components::set_published(conn, component, true)?;
        Ok::<_, CoreError>(Place {
            space,
            phases,
            component,
            base: format!("/processes/budget/f/{component}"),
            users: users_,
        })
    })
    .unwrap()
}

pub fn signed_in(app: &TestApp, host: &str, nick: &str, slug: &str) -> Browser {
    let mut b = Browser::new(app.http, host);
    let csrf = b.csrf("/sign-in");
    let r = b.post("/sign-in", &[("csrf", &csrf), ("email", &format!("{nick}@{slug}.fr")), ("password", PASSWORD)]);
    assert_eq!(r.status, 303, "{}", r.body);
    b
}

/// Publishes through the form; returns the response to the POST.
pub fn publish(
    b: &mut Browser,
    base: &str,
    title: &str,
    body: &str,
    files: &[(&str, &str, &[u8])],
) -> crate::support::http::Resp {
    let form = b.get(&format!("{base}/new"));
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form_value(&form.body, "csrf").unwrap();
    let key = form_value(&form.body, "submission").unwrap();
    b.post_multipart(
        &format!("{base}/new"),
        &[("csrf", &csrf), ("submission", &key), ("title", title), ("body", body)],
        files,
    )
}

fn proposal_id(location: &str) -> i64 {
    location.split('?').next().unwrap().rsplit('/').next().unwrap().parse().unwrap()
}

#[test]
fn a_proposal_is_published_supported_amended_and_answered() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "prp", &["prp.test"], &["proposals"]);
    tenants::create(&db, "prq", &["prq.test"], &["proposals"]);
    let settings = Settings { supports_per_person: 1, support_threshold: 2, ..Settings::default() };
    let place = setup(&db, &tenant, &settings);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let base = place.base.clone();

    // The space shows its component; anonymous visitors read but are asked to sign in.
    let mut anon = Browser::new(app.http, "prp.test");
    assert!(anon.get("/processes/budget").body.contains(&format!("f/{}", place.component)));
    let list = anon.get(&base);
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Pour participer, connectez-vous"), "{}", list.body);
    assert_eq!(anon.get(&format!("{base}/new")).status, 303, "the form sends to sign-in");

    // The author publishes, with a PDF; script and event handlers are rendered inert.
    let mut author = signed_in(&app, "prp.test", "auteur", "prp");
    let body =
        "Des bancs <script>alert(1)</script> place <b onclick=\"steal()\">Carnot</b>\n<img src=x onerror=alert(2)>";
    let r = publish(&mut author, &base, "Des bancs place Carnot", body, &[("attachments", "plan.pdf", PDF)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap().to_owned();
    assert!(location.contains("notice=proposal_published"));
    let id = proposal_id(&location);
    let page = author.get(&format!("{base}/{id}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Des bancs place Carnot"));
    assert!(page.body.contains("<b>Carnot</b>"), "{}", page.body);
    assert!(!page.body.contains("<script>alert") && !page.body.contains("onclick=") && !page.body.contains("onerror="));
    let att = form_attachment(&page.body);
    let file = anon.get(&att);
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("application/pdf"));
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(Browser::new(app.http, "prq.test").get(&att).status, 404, "not through another tenant's host");

    // The same form sent twice publishes once.
    let form = author.get(&format!("{base}/new"));
    let (csrf, key) = (form_value(&form.body, "csrf").unwrap(), form_value(&form.body, "submission").unwrap());
    let fields = [
        ("csrf", csrf.as_str()),
        ("submission", key.as_str()),
        ("title", "Un potager partagé"),
        ("body", "Un potager partagé au parc des Tilleuls."),
    ];
    let first = author.post_multipart(&format!("{base}/new"), &fields, &[]);
    let second = author.post_multipart(&format!("{base}/new"), &fields, &[]);
    assert_eq!(first.status, 303);
    assert!(second.header("location").unwrap().contains("notice=proposal_already"));
    assert_eq!(proposal_id(first.header("location").unwrap()), proposal_id(second.header("location").unwrap()));
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM t_prp.proposals WHERE author_id = {}", place.users["auteur"])
        ),
        2
    );

    // Bad input: a fake PDF, an empty title, an oversize body: clear errors, nothing written.
    let blobs_before = count(&mut conn, "SELECT count(*) AS n FROM t_prp.proposal_attachments");
    let fake = publish(
        &mut author,
        &base,
        "Une idée valable",
        "Un texte assez long pour passer.",
        &[("attachments", "virus.pdf", b"MZ\x90\x00 this is not a pdf")],
    );
    assert_eq!(fake.status, 422);
    assert!(fake.body.contains("is not a PDF, PNG, JPEG or WebP file"), "{}", fake.body);
    assert!(fake.body.contains("Une idée valable"), "the typed values are kept");
    let short = publish(&mut author, &base, "abc", "Un texte assez long pour passer.", &[]);
    assert_eq!(short.status, 422);
    assert!(short.body.contains("title: at least 5 characters"));
    let long = publish(&mut author, &base, "Un texte trop long", &"mot ".repeat(2000), &[]);
    assert_eq!(long.status, 422);
    assert!(long.body.contains("body: too long"), "{}", long.body);
    let mut big = PDF.to_vec();
    big.resize(6 * 1024 * 1024, b' ');
    let oversize = publish(
        &mut author,
        &base,
        "Un plan trop lourd",
        "Un texte assez long pour passer.",
        &[("attachments", "plan.pdf", &big)],
    );
    assert_eq!(oversize.status, 413);
    assert!(oversize.body.contains("each file at most 5 MiB"), "{}", oversize.body);
    let four: Vec<(&str, &str, &[u8])> = (0..4).map(|_| ("attachments", "a.pdf", PDF)).collect();
    let too_many = publish(&mut author, &base, "Trop de pièces jointes", "Un texte assez long pour passer.", &four);
    assert_eq!(too_many.status, 422);
    assert!(too_many.body.contains("at most 3 files"), "{}", too_many.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_prp.proposals"), 2);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_prp.proposal_attachments"), blobs_before);
    let files_on_disk = walk(&app.data_dir).iter().filter(|p| p.contains("/proposals/")).count();
    assert_eq!(files_on_disk, 1, "only the one accepted attachment is stored");

    // Supports: one per person here; twice is once; the limit is explained.
    let second_id = proposal_id(first.header("location").unwrap());
    let mut supporter = signed_in(&app, "prp.test", "soutien", "prp");
    let page = supporter.get(&format!("{base}/{id}"));
    let csrf = form_value(&page.body, "csrf").unwrap();
    for _ in 0..2 {
        let r = supporter.post(&format!("{base}/{id}/support"), &[("csrf", &csrf)]);
        assert_eq!(r.status, 303, "{}", r.body);
    }
    assert_eq!(
        count(&mut conn, &format!("SELECT supports_count::bigint AS n FROM t_prp.proposals WHERE id = {id}")),
        1
    );
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_prp.proposal_supports"), 1);
    let over = supporter.post(&format!("{base}/{second_id}/support"), &[("csrf", &csrf)]);
    assert_eq!(over.status, 409);
    assert!(over.body.contains("used all your 1 supports"), "{}", over.body);
    assert!(supporter.get(&format!("{base}/{id}")).body.contains("1</strong> soutien / 2"));

    // Unconfirmed and blocked accounts, and anonymous posts, are refused; nothing stored.
    // An unconfirmed account cannot even sign in (it is sent to confirm its address).
    let mut unconfirmed = Browser::new(app.http, "prp.test");
    let c = unconfirmed.csrf("/sign-in");
    let r = unconfirmed.post("/sign-in", &[("csrf", &c), ("email", "nonconfirme@prp.fr"), ("password", PASSWORD)]);
    assert_ne!(r.status, 303, "{}", r.body);
    let mut blocked = signed_in(&app, "prp.test", "bloque", "prp");
    let page = blocked.get(&format!("{base}/{id}"));
    assert!(page.body.contains("Votre compte a été bloqué"), "the page says why");
    let c = form_value(&page.body, "csrf").unwrap();
    assert_eq!(blocked.post(&format!("{base}/{id}/support"), &[("csrf", &c)]).status, 403);
    assert_eq!(anon.post(&format!("{base}/{id}/support"), &[("csrf", "x")]).status, 303, "sent to sign in");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_prp.proposal_supports"), 1);

    // Another participant amends; the author accepts; the history shows the difference.
    let mut other = signed_in(&app, "prp.test", "autre", "prp");
    let form = other.get(&format!("{base}/{id}/amend"));
    assert_eq!(form.status, 200, "{}", form.body);
    let c = form_value(&form.body, "csrf").unwrap();
    let r = other.post(
        &format!("{base}/{id}/amend"),
        &[
            ("csrf", &c),
            ("title", "Des bancs et des arbres place Carnot"),
            ("body", "Des bancs et des tilleuls place Carnot."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let amendment = r.header("location").unwrap().split('?').next().unwrap().to_owned();
    let again = other.post(
        &format!("{base}/{id}/amend"),
        &[("csrf", &c), ("title", "Encore une version"), ("body", "Une autre version du texte.")],
    );
    assert_eq!(again.status, 422, "one waiting amendment per person");
    let shown = anon.get(&amendment);
    assert!(shown.body.contains("<ins>") && shown.body.contains("tilleuls"), "{}", shown.body);
    assert!(!shown.body.contains("decision"), "only the author decides");
    let refused = other.post(&amendment, &[("csrf", &c), ("decision", "accept")]);
    assert_eq!(refused.status, 403, "the amender cannot accept their own amendment");
    let c = form_value(&author.get(&amendment).body, "csrf").unwrap();
    let accepted = author.post(&amendment, &[("csrf", &c), ("decision", "accept")]);
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    let page = anon.get(&format!("{base}/{id}"));
    assert!(page.body.contains("Des bancs et des arbres place Carnot"));
    assert!(page.body.contains("Version 2"));
    let v2 = anon.get(&format!("{base}/{id}/versions/2"));
    assert!(v2.body.contains("<del>") && v2.body.contains("autre"), "{}", v2.body);

    // Within the window the author edits (a new version); after it, no more.
    let form = author.get(&format!("{base}/{second_id}/edit"));
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"Un potager partagé\""), "{}", form.body);
    let c = form_value(&form.body, "csrf").unwrap();
    let edited = author.post(
        &format!("{base}/{second_id}/edit"),
        &[
            ("csrf", &c),
            ("title", "Un potager partagé aux Tilleuls"),
            ("body", "Un potager partagé au parc des Tilleuls, avec l'école."),
        ],
    );
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert_eq!(
        count(&mut conn, &format!("SELECT version::bigint AS n FROM t_prp.proposals WHERE id = {second_id}")),
        2
    );
    let bad =
        author.post(&format!("{base}/{second_id}/edit"), &[("csrf", &c), ("title", "abc"), ("body", "trop court")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("title: at least 5 characters") && bad.body.contains("value=\"abc\""));
    // The author can no longer edit after the window; withdrawing works once.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE t_prp.proposals SET published_at = now() - interval '1 day' WHERE id = {second_id}"
        )),
        &mut conn,
    )
    .unwrap();
    assert_eq!(author.get(&format!("{base}/{second_id}/edit")).status, 403);
    let c = form_value(&author.get(&format!("{base}/{second_id}")).body, "csrf").unwrap();
    assert_eq!(author.post(&format!("{base}/{second_id}/withdraw"), &[("csrf", &c)]).status, 303);
    assert_eq!(author.post(&format!("{base}/{second_id}/withdraw"), &[("csrf", &c)]).status, 409);
    assert_eq!(other.post(&format!("{base}/{id}/withdraw"), &[("csrf", &c)]).status, 403, "not the author");

    // The admin answers; everyone sees the answer; hiding removes it for all but admins.
    let mut admin = signed_in(&app, "prp.test", "admin", "prp");
    let admin_page = format!("/admin/components/{}/proposals/{id}", place.component);
    let c = form_value(&admin.get(&admin_page).body, "csrf").unwrap();
    let r = admin.post(&admin_page, &[("csrf", &c), ("state", "rejected"), ("answer", "")]);
    assert_eq!(r.status, 422, "a rejection says why");
    let r = admin.post(
        &admin_page,
        &[("csrf", &c), ("state", "accepted"), ("answer", "Ce sera fait en <em>2027</em>.<script>x</script>")],
    );
    assert_eq!(r.status, 303);
    let page = anon.get(&format!("{base}/{id}"));
    assert!(page.body.contains("Réponse de l&#x27;institution") || page.body.contains("Réponse de l'institution"));
    assert!(page.body.contains("<em>2027</em>") && !page.body.contains("<script>x"));
    assert_eq!(supporter.get(&admin_page).status, 403, "participants cannot reach the admin");
    // The author hears of the answer; opening the notification marks it read and leads to the proposal.
    let list = author.get("/notifications");
    assert!(list.body.contains("a reçu une réponse"), "{}", list.body);
    let unread_before = count(&mut conn, "SELECT count(*) AS n FROM t_prp.notifications WHERE read_at IS NULL");
    let at = list.body.find("/open\"").expect("an open link");
    let start = list.body[..at].rfind('"').unwrap() + 1;
    let open = list.body[start..at + 5].replace("&#x2F;", "/");
    let r = author.get(&open);
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with(&base), "{:?}", r.header("location"));
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM t_prp.notifications WHERE read_at IS NULL"),
        unread_before - 1
    );
    assert_eq!(other.get(&open).status, 404, "someone else's notification");
    let r = admin.post(&format!("{admin_page}/visibility"), &[("csrf", &c), ("hidden", "1")]);
    assert_eq!(r.status, 303);
    assert_eq!(anon.get(&format!("{base}/{id}")).status, 404);
    assert!(!anon.get(&base).body.contains("Des bancs et des arbres"));
    assert_eq!(admin.get(&format!("{base}/{id}")).status, 200);

    // Another tenant's host, and a tenant without the module, know nothing of it.
    assert_eq!(Browser::new(app.http, "prq.test").get(&base).status, 404);
    // The list's totals, kept by triggers, match the proposals after all of this: the
    // hidden one is no longer counted for visitors.
    assert_counts_kept(&mut conn, "t_prp");
    assert!(anon.get(&base).body.contains("role=\"status\">0 "), "the anonymous list counts no visible proposal");
}

/// `proposal_counts` (kept by triggers) holds exactly what counting the proposals gives.
fn assert_counts_kept(conn: &mut diesel::PgConnection, schema: &str) {
    let groups = count(conn, &format!("SELECT count(*) AS n FROM {schema}.proposals"));
    assert!(groups > 0, "nothing to compare");
    let wrong = count(
        conn,
        &format!(
            "SELECT count(*) AS n FROM
               (SELECT component_id, coalesce(category_id, 0) AS category_id, state, coalesce(answer_state, '') AS answer_state,
                       hidden_at IS NOT NULL AS hidden, count(*) AS n FROM {schema}.proposals GROUP BY 1, 2, 3, 4, 5) AS real
               FULL JOIN (SELECT * FROM {schema}.proposal_counts WHERE n > 0) AS kept
                 USING (component_id, category_id, state, answer_state, hidden)
              WHERE real.n IS DISTINCT FROM kept.n"
        ),
    );
    assert_eq!(wrong, 0, "proposal_counts differs from the proposals in {wrong} groups");
}

fn form_attachment(html: &str) -> String {
    let start = html.find("/attachments/").expect("an attachment link");
    let href_start = html[..start].rfind('"').unwrap() + 1;
    let end = start + html[start..].find('"').unwrap();
    html[href_start..end].replace("&#x2F;", "/")
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn lists_filter_search_and_keep_a_random_order_per_visitor() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "prl", &["prl.test"], &["proposals"]);
    let place = setup(&db, &tenant, &Settings::default());
    let cats = db.tenant(&tenant, |conn| proposals::categories(conn, place.space, &[Locale::Fr])).unwrap();
    let mut rows = Vec::new();
    for i in 0..45 {
        let (title, body, cat) = if i % 3 == 0 {
            (format!("Des bancs numéro {i}"), "Installer des bancs à l'ombre pour les aînés.".to_owned(), "Voirie")
        } else {
            (format!("Une cantine bio {i}"), "Des repas bio et locaux à la cantine.".to_owned(), "Écoles")
        };
        rows.push(exchange::ImportRow { title, body, category: cat.into(), address: String::new() });
    }
    db.tenant(&tenant, |conn| exchange::import(conn, place.component, &rows, &cats, &Settings::default(), Locale::Fr))
        .unwrap();
    let app = TestApp::start(&tdb, TestConfig::default());
    let base = &place.base;

    // French stemming: "banc" finds "bancs".
    let mut b = Browser::new(app.http, "prl.test");
    let found = b.get(&format!("{base}?q=banc"));
    assert!(found.body.contains("15 propositions"), "{}", found.body);
    let voirie = cats.iter().find(|c| c.name == "Voirie").unwrap().id;
    assert!(b.get(&format!("{base}?category={voirie}")).body.contains("15 propositions"));
    assert!(b.get(&format!("{base}?category={voirie}&q=cantine")).body.contains("0 propositions"));

    // The random order is the same for one visitor while paging, pages do not overlap,
    // and another visitor gets another order.
    let titles = |body: &str| -> Vec<String> {
        body.match_indices("<h2><a href=\"")
            .map(|(i, _)| {
                let rest = &body[i..];
                let a = rest.find("\">").unwrap() + 2;
                rest[a..a + rest[a..].find("</a>").unwrap()].to_owned()
            })
            .collect()
    };
    let mut seen = Vec::new();
    for page in 0..3 {
        let t = titles(&b.get(&format!("{base}?page={page}")).body);
        seen.extend(t);
    }
    assert_eq!(seen.len(), 45);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 45, "each proposal once across the pages");
    assert_eq!(titles(&b.get(&format!("{base}?page=0")).body), seen[..20].to_vec(), "stable for this visitor");
    let mut other = Browser::new(app.http, "prl.test");
    let mut differs = false;
    for _ in 0..5 {
        other.cookies.clear();
        if titles(&other.get(base).body) != seen[..20].to_vec() {
            differs = true;
            break;
        }
    }
    assert!(differs, "another visitor sees another order");
    let recent = titles(&b.get(&format!("{base}?order=recent")).body);
    assert_eq!(recent[0], "Une cantine bio 44");
}

#[test]
fn phases_settings_and_admin_tools_govern_what_can_be_done() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "pra", &["pra.test"], &["proposals"]);
    let place = setup(&db, &tenant, &Settings::default());
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let base = place.base.clone();
    let comp = format!("/admin/components/{}", place.component);

    let mut admin = signed_in(&app, "pra.test", "admin", "pra");
    let page = admin.get(&comp);
    assert_eq!(page.status, 200, "{}", page.body);
    let c = form_value(&page.body, "csrf").unwrap();
    // A bad number: refused with the setting's name, nothing changed.
    let before = count(
        &mut conn,
        &format!("SELECT length(settings::text)::bigint AS n FROM t_pra.components WHERE id = {}", place.component),
    );
    let bad = admin.post(
        &comp,
        &[("csrf", &c), ("name_fr", "Idées"), ("s.supports_per_person", "beaucoup"), ("s.default_order", "random")],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("supports_per_person"), "{}", bad.body);
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT length(settings::text)::bigint AS n FROM t_pra.components WHERE id = {}", place.component)
        ),
        before
    );

    // Creation closed in the active phase: the page says so and a post is refused.
    let p0 = place.phases[0];
    let form: Vec<(String, String)> = vec![
        ("csrf".into(), c.clone()),
        ("name_fr".into(), "Idées".into()),
        ("s.create_requires".into(), "account".into()),
        ("s.support_requires".into(), "franceconnect".into()),
        ("s.comment_requires".into(), "account".into()),
        ("s.amend_requires".into(), "account".into()),
        ("s.body_max_chars".into(), "3000".into()),
        ("s.edit_window_minutes".into(), "15".into()),
        ("s.default_order".into(), "recent".into()),
        (format!("p.{p0}.supports_enabled"), "1".into()),
    ];
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = admin.post(&comp, &fields);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let mut author = signed_in(&app, "pra.test", "auteur", "pra");
    assert!(
        author.get(&base).body.contains("Le dépôt de propositions n&#x27;est pas ouvert")
            || author.get(&base).body.contains("pas ouvert à cette étape")
    );
    let c2 = form_value(&author.get(&base).body, "csrf").unwrap_or_default();
    let r = author.post_multipart(
        &format!("{base}/new"),
        &[("csrf", &c2), ("title", "Une idée fermée"), ("body", "Ce dépôt devrait être refusé.")],
        &[],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_pra.proposals"), 0);

    // Supports need FranceConnect now: the page offers it, a post is refused.
    let cats = db.tenant(&tenant, |conn| proposals::categories(conn, place.space, &[Locale::Fr])).unwrap();
    let rows = vec![
        exchange::ImportRow {
            title: "Première idée".into(),
            body: "Le texte de la première idée.".into(),
            category: String::new(),
            address: String::new(),
        },
        exchange::ImportRow {
            title: "Deuxième idée".into(),
            body: "Le texte de la deuxième idée.".into(),
            category: "voirie".into(),
            address: String::new(),
        },
    ];
    db.tenant(&tenant, |conn| exchange::import(conn, place.component, &rows, &cats, &Settings::default(), Locale::Fr))
        .unwrap();
    let id = count(&mut conn, "SELECT min(id) AS n FROM t_pra.proposals");
    let page = author.get(&format!("{base}/{id}"));
    assert!(page.body.contains("FranceConnect"), "{}", page.body);
    let c2 = form_value(&page.body, "csrf").unwrap();
    let r = author.post(&format!("{base}/{id}/support"), &[("csrf", &c2)]);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("franceconnect verification"), "{}", r.body);

    // Export, a bad import (nothing imported), a good one, merge and split.
    let csv = admin.get(&format!("{comp}/proposals/export.csv"));
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("id,title,body,category"), "{}", csv.body);
    assert!(csv.body.contains("Deuxième idée") && csv.body.contains("Voirie"));
    let json = admin.get(&format!("{comp}/proposals/export.json")).json();
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    assert_eq!(
        Browser::new(app.http, "pra.test").get(&format!("{comp}/proposals/export.csv")).status,
        303,
        "anonymous: sign in"
    );
    let list = admin.get(&format!("{comp}/proposals"));
    let c = form_value(&list.body, "csrf").unwrap();
    let bad_csv = "title,body\nUn bon titre,Un texte assez long ici.\nabc,Un texte assez long ici.\n";
    let r = admin.post_multipart(
        &format!("{comp}/proposals/import"),
        &[("csrf", &c)],
        &[("file", "idees.csv", bad_csv.as_bytes())],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("proposal 2: title"), "{}", r.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_pra.proposals"), 2, "all or nothing");
    let good = "[{\"title\": \"Un jardin partagé\", \"body\": \"Un jardin partagé rue des Lilas.\"}]";
    let r = admin.post_multipart(
        &format!("{comp}/proposals/import"),
        &[("csrf", &c)],
        &[("file", "idees.json", good.as_bytes())],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_pra.proposals"), 3);
    let ids: Vec<String> = (0..2).map(|i| (id + i).to_string()).collect();
    let r = admin.post(
        &format!("{comp}/proposals/merge"),
        &[("csrf", &c), ("ids", &ids[0]), ("ids", &ids[1]), ("title", "Deux idées réunies")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_pra.proposals WHERE state = 'merged'"), 2);
    let merged = count(&mut conn, "SELECT max(id) AS n FROM t_pra.proposals");
    let shown = Browser::new(app.http, "pra.test").get(&format!("{base}/{merged}"));
    assert!(shown.body.contains("Issue de la fusion de"), "{}", shown.body);
    let r = admin.post(
        &format!("{comp}/proposals/{merged}/split"),
        &[("csrf", &c), ("titles", "Partie une du texte\nPartie deux du texte")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_pra.proposals WHERE state = 'split'"), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_pra.proposal_links WHERE kind = 'split'"), 2);
    // Imported, merged and split: the kept totals still match, and the list says so.
    assert_counts_kept(&mut conn, "t_pra");
    let open =
        count(&mut conn, "SELECT count(*) AS n FROM t_pra.proposals WHERE state = 'published' AND hidden_at IS NULL");
    assert!(
        Browser::new(app.http, "pra.test").get(&base).body.contains(&format!("role=\"status\">{open} ")),
        "the list shows {open}"
    );
}

#[test]
fn component_pages_see_a_change_made_outside_the_admin_pages_within_a_second() {
    // Places are kept in memory per tenant; the database's notification (a trigger on
    // spaces, phases, components, categories and members) drops them on every server.
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "prn", &["prn.test"], &["proposals"]);
    let other = tenants::create(&db, "pro", &["pro.test"], &["proposals"]);
    let place = setup(&db, &tenant, &Settings::default());
    let other_place = setup(&db, &other, &Settings::default());
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let mut anon = Browser::new(app.http, "prn.test");
    let page = anon.get(&place.base);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Idées"), "{}", page.body);
    assert_eq!(anon.get(&place.base).status, 200, "read again, from memory");
    let metrics = crate::support::http::get(app.ops, "127.0.0.1", "/metrics").body;
    assert!(
        metrics.contains(r#"civitas_memory_cache_lookups_total{cache="place",outcome="hit"} 1"#)
            && metrics.contains(r#"civitas_memory_cache_lookups_total{cache="place",outcome="miss"} 1"#),
        "{metrics}"
    );
    let within_a_second = |check: &mut dyn FnMut() -> bool| {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(1) {
            if check() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        false
    };
    // Renamed straight in the database (as a script or an import would).
    count(
        &mut conn,
        &format!(
            "WITH u AS (UPDATE t_prn.components SET name = '{{\"fr\": \"Vos projets\"}}' WHERE id = {} RETURNING 1)
             SELECT count(*) AS n FROM u",
            place.component
        ),
    );
    assert!(within_a_second(&mut || anon.get(&place.base).body.contains("Vos projets")), "the new name shows");
    // Unpublished the same way: the page is gone for visitors.
    count(
        &mut conn,
        &format!(
            "WITH u AS (UPDATE t_prn.components SET published_at = NULL WHERE id = {} RETURNING 1)
             SELECT count(*) AS n FROM u",
            place.component
        ),
    );
    assert!(within_a_second(&mut || anon.get(&place.base).status == 404), "the unpublished component is gone");
    // The other tenant's page, with the same path, is untouched.
    let theirs = Browser::new(app.http, "pro.test").get(&other_place.base);
    assert_eq!(theirs.status, 200);
    assert!(theirs.body.contains("Idées") && !theirs.body.contains("Vos projets"));
}
