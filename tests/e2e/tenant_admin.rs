//! The tenant's own administration (`/admin` on its host): who may reach it,
//! blocking participants, a space's texts, hero image, phases and members, static
//! pages, and the appearance (colour, logo, home page blocks).
use std::io::{Read, Write};
use std::path::Path;

use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::accounts::verifications::{gate, Gate, Requirement};
use tenant_core::names::Locale;
use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
use tenant_core::{CoreError, Db, Tenant};

use crate::support::browser::Browser;
use crate::support::http::{parse_bytes, Resp};
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";

/// A PNG as far as anyone sniffing its first bytes can tell.
fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(size.max(bytes.len()), 0);
    bytes
}

/// Accounts on `tenant`: (nickname, email, role) → ids, in order.
fn people(db: &Db, tenant: &Tenant, list: &[(&str, &str, UserRole)]) -> Vec<i64> {
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(tenant, |conn| {
        let mut ids = Vec::new();
        for (nickname, email, role) in list {
            let new = NewUser {
                nickname,
                email: Some(email),
                password_hash: Some(&phc),
                locale: Locale::Fr,
                email_confirmed: true,
                role: *role,
            };
            ids.push(users::create(conn, &new)?.unwrap());
        }
        Ok::<_, CoreError>(ids)
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

fn texts(fr: &str) -> Texts {
    [(Locale::Fr, fr.to_owned())].into_iter().collect()
}

fn new_process(db: &Db, tenant: &Tenant, slug: &str, title: &str, private: bool) -> i64 {
    let (title, empty) = (texts(title), Texts::new());
    db.tenant(tenant, |conn| {
        spaces::create(
            conn,
            &NewSpace {
                kind: SpaceKind::Process,
                slug,
                title: &title,
                subtitle: &empty,
                description: &empty,
                start_date: None,
                end_date: None,
                private,
                published: true,
            },
        )
    })
    .unwrap()
}

/// Posts a multipart form with one file, as a browser would.
fn post_file(b: &mut Browser, path: &str, fields: &[(&str, &str)], file: (&str, &str, &str, &[u8])) -> Resp {
    let boundary = "civitasboundary7d93";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    let (name, filename, ctype, bytes) = file;
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ctype}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let cookies = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookies}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        b.host,
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(b.addr).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).ok();
    stream.write_all(head.as_bytes()).expect("write");
    // The server may answer (and close) before reading a refused body to its end.
    let _ = stream.write_all(&body);
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    parse_bytes(&bytes)
}

/// The files stored for a tenant in the app's blob store.
fn stored_files(app: &TestApp, tenant: &Tenant) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.data_dir.join("blobs").join(tenant.id.to_string()), &mut out);
    out
}

#[test]
fn admin_pages_are_refused_to_participants_and_send_anonymous_visitors_to_sign_in() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "tadm", &["tadm.test"], &["pages"]);
    let other = tenants::create(&db, "tadn", &["tadn.test"], &["pages"]);
    people(
        &db,
        &tenant,
        &[("Admin", "admin@tadm.fr", UserRole::Admin), ("Citoyen", "citoyen@tadm.fr", UserRole::Participant)],
    );
    people(&db, &other, &[("Voisine", "admin@tadn.fr", UserRole::Admin)]);
    let space = new_process(&db, &tenant, "plan-velo", "Plan vélo", false);
    let phase =
        db.tenant(&tenant, |c| spaces::add_phase(c, space, &texts("Idées"), &Texts::new(), (None, None))).unwrap();
    tenants::add_page(&db, &tenant, "a-propos", "À propos", "Bonjour");
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut admin = signed_in(&app, "tadm.test", "admin@tadm.fr");
    let mut citizen = signed_in(&app, "tadm.test", "citoyen@tadm.fr");
    let other_admin = signed_in(&app, "tadn.test", "admin@tadn.fr");

    let pages = [
        "/admin".to_owned(),
        "/admin/people".to_owned(),
        "/admin/people/1".to_owned(),
        "/admin/spaces".to_owned(),
        format!("/admin/spaces/{space}"),
        format!("/admin/spaces/{space}/edit"),
        format!("/admin/spaces/{space}/members"),
        format!("/admin/spaces/{space}/phases/{phase}/edit"),
        "/admin/pages".to_owned(),
        "/admin/pages/new".to_owned(),
        "/admin/pages/a-propos/edit".to_owned(),
        "/admin/appearance".to_owned(),
    ];
    // The other tenant's admin, with their cookies sent to this host: no session here.
    let mut stranger = Browser::new(app.http, "tadm.test");
    stranger.cookies = other_admin.cookies.clone();
    for path in &pages {
        let page = admin.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(
            page.body.contains("aria-label=\"Rubriques de l&#x27;administration\""),
            "{path}: the admin navigation"
        );
        assert_eq!(citizen.get(path).status, 403, "{path} for a participant");
        let anonymous = Browser::new(app.http, "tadm.test").get(path);
        assert_eq!(anonymous.status, 303, "{path} for an anonymous visitor");
        assert!(anonymous.header("location").is_some_and(|l| l.starts_with("/sign-in?next=")), "{path}");
        let s = stranger.get(path);
        assert_eq!(s.status, 303, "{path} for another tenant's admin");
        assert!(s.header("location").is_some_and(|l| l.starts_with("/sign-in")));
    }
    // The overview links every area.
    let overview = admin.get("/admin").body;
    for link in ["/admin/people", "/admin/spaces", "/admin/pages", "/admin/appearance"] {
        assert!(overview.contains(&format!("href=\"{link}\"")), "{link}");
    }
    let mut en = signed_in(&app, "tadm.test", "admin@tadm.fr");
    en.headers.push(("Accept-Language".into(), "en".into()));
    let _ = en.get("/locale/en?next=/admin");
    assert!(en.get("/admin").body.contains("Appearance"), "in English too");

    // Forms too, even with the participant's own form token; nothing changes.
    let csrf = citizen.csrf("/account");
    let admin_id = count(&mut tdb.conn(), "SELECT id AS n FROM t_tadm.users WHERE nickname = 'Admin'");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/admin/people/{admin_id}/block"), vec![("reason", "x")]),
        (format!("/admin/spaces/{space}/edit"), vec![("title_fr", "Piraté")]),
        (format!("/admin/spaces/{space}/members"), vec![("who", "Citoyen")]),
        (format!("/admin/spaces/{space}/phases/{phase}/delete"), vec![]),
        ("/admin/pages/new".to_owned(), vec![("slug", "pirate"), ("title_fr", "Pirate")]),
        ("/admin/pages/a-propos/delete".to_owned(), vec![]),
        ("/admin/appearance/color".to_owned(), vec![("color", "#000000")]),
        ("/admin/appearance/blocks".to_owned(), vec![("kind", "news")]),
    ];
    for (path, fields) in &posts {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend(fields.iter().copied());
        assert_eq!(citizen.post(path, &all).status, 403, "POST {path}");
    }
    let hero = post_file(
        &mut citizen,
        &format!("/admin/spaces/{space}/hero"),
        &[("csrf", &csrf)],
        ("image", "a.png", "image/png", &png(100)),
    );
    assert_eq!(hero.status, 403);
    let mut conn = tdb.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tadm.users WHERE blocked_at IS NOT NULL"), 0);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM t_tadm.spaces WHERE title->>'fr' = 'Piraté' OR hero_image_key IS NOT NULL"
        ),
        0
    );
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tadm.space_phases"), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tadm.space_members"), 0);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tadm.pages WHERE slug IN ('pirate', 'a-propos')"), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tadm.home_blocks"), 0);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 'tadm' AND primary_color = '#000000'"),
        0
    );
}

#[test]
fn a_blocked_participant_keeps_reading_sees_why_and_cannot_act_until_unblocked() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "tblk", &["tblk.test"], &["pages"]);
    let ids = people(
        &db,
        &tenant,
        &[
            ("Maire", "maire@tblk.fr", UserRole::Admin),
            ("Adjointe", "adjointe@tblk.fr", UserRole::Admin),
            ("Troll", "troll@tblk.fr", UserRole::Participant),
        ],
    );
    let (maire, adjointe, troll) = (ids[0], ids[1], ids[2]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut admin = signed_in(&app, "tblk.test", "maire@tblk.fr");
    let mut person = signed_in(&app, "tblk.test", "troll@tblk.fr");
    let mut conn = tdb.conn();
    let blocked = |conn: &mut diesel::PgConnection| {
        count(conn, "SELECT count(*) AS n FROM t_tblk.users WHERE blocked_at IS NOT NULL")
    };
    let csrf = admin.csrf("/admin/people");

    // Refused, with a clear message and nothing written: no reason, yourself, another admin.
    let r = admin.post(&format!("/admin/people/{troll}/block"), &[("csrf", &csrf), ("reason", "  ")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Indiquez le motif du blocage"), "{}", r.body);
    let r = admin.post(&format!("/admin/people/{troll}/block"), &[("csrf", &csrf), ("reason", &"x".repeat(501))]);
    assert_eq!(r.status, 422);
    let r = admin.post(&format!("/admin/people/{maire}/block"), &[("csrf", &csrf), ("reason", "test")]);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Vous ne pouvez pas bloquer votre propre compte"));
    let r = admin.post(&format!("/admin/people/{adjointe}/block"), &[("csrf", &csrf), ("reason", "test")]);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("retirez-lui d&#x27;abord le rôle d&#x27;administrateur"), "{}", r.body);
    assert_eq!(blocked(&mut conn), 0);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tblk.admin_log"), 0);
    // The list offers no block button for oneself or another admin.
    let list = admin.get("/admin/people").body;
    assert!(list.contains(&format!("/admin/people/{troll}/block")));
    assert!(
        !list.contains(&format!("/admin/people/{maire}/block"))
            && !list.contains(&format!("/admin/people/{adjointe}/block"))
    );

    // Blocked from the list: back to the list, shown as blocked, logged with who and why.
    let r = admin.post(&format!("/admin/people/{troll}/block"), &[("csrf", &csrf), ("reason", "Insultes répétées")]);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/admin/people?notice=admin_saved"));
    assert_eq!(blocked(&mut conn), 1);
    assert!(admin.get("/admin/people").body.contains("Bloqué"));
    let page = admin.get(&format!("/admin/people/{troll}"));
    assert!(
        page.body.contains("Insultes répétées") && page.body.contains("Compte bloqué") && page.body.contains("Maire")
    );
    assert_eq!(
        count(&mut conn, &format!("SELECT count(*) AS n FROM t_tblk.admin_log WHERE action = 'user.block' AND actor_id = {maire} AND resource_kind = 'user' AND resource_id = {troll} AND details->>'reason' = 'Insultes répétées'")),
        1
    );
    // The person still signs in and reads, sees why, and every action's gate says blocked.
    let account = person.get("/account");
    assert_eq!(account.status, 200);
    assert!(
        account.body.contains("Votre compte a été bloqué") && account.body.contains("Insultes répétées"),
        "{}",
        account.body
    );
    assert_eq!(person.get("/processes").status, 200);
    signed_in(&app, "tblk.test", "troll@tblk.fr");
    db.tenant(&tenant, |c| {
        assert_eq!(gate(c, Some(troll), Requirement::Account)?, Gate::Blocked);
        assert_eq!(gate(c, Some(troll), Requirement::Nobody)?, Gate::Blocked);
        assert_eq!(gate(c, Some(adjointe), Requirement::Account)?, Gate::Allowed);
        Ok::<_, CoreError>(())
    })
    .unwrap();

    // Unblocked from the person's page: back there, the gate opens again, logged.
    let r = admin.post(
        &format!("/admin/people/{troll}/unblock"),
        &[("csrf", &csrf), ("next", &format!("/admin/people/{troll}"))],
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some(format!("/admin/people/{troll}?notice=admin_saved").as_str()));
    assert_eq!(blocked(&mut conn), 0);
    assert!(!person.get("/account").body.contains("Votre compte a été bloqué"));
    db.tenant(&tenant, |c| {
        assert_eq!(gate(c, Some(troll), Requirement::Account)?, Gate::Allowed);
        Ok::<_, CoreError>(())
    })
    .unwrap();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tblk.admin_log WHERE action = 'user.unblock'"), 1);
    assert!(admin.get(&format!("/admin/people/{troll}")).body.contains("Compte débloqué"));
    // A `next` off the admin pages is not followed.
    let r = admin.post(&format!("/admin/people/{troll}/unblock"), &[("csrf", &csrf), ("next", "//evil.example/")]);
    assert_eq!(r.header("location"), Some("/admin/people?notice=admin_saved"));
}

#[test]
fn admins_edit_a_space_its_hero_image_phases_and_members() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "tspc", &["tspc.test"], &["pages"]);
    // A small plan: 3,000 bytes of files.
    let mut conn = tdb.conn();
    count(&mut conn, "WITH u AS (UPDATE catalog.tenants SET max_storage_bytes = 3000 WHERE slug = 'tspc' RETURNING 1) SELECT count(*) AS n FROM u");
    let ids = people(
        &db,
        &tenant,
        &[("Admin", "admin@tspc.fr", UserRole::Admin), ("Membre", "membre@tspc.fr", UserRole::Participant)],
    );
    let space = new_process(&db, &tenant, "budget", "Budget", false);
    let phases: Vec<i64> = ["Idées", "Analyse", "Vote"]
        .iter()
        .map(|t| db.tenant(&tenant, |c| spaces::add_phase(c, space, &texts(t), &Texts::new(), (None, None))).unwrap())
        .collect();
    db.tenant(&tenant, |c| spaces::activate_phase(c, space, phases[1])).unwrap();
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut admin = signed_in(&app, "tspc.test", "admin@tspc.fr");
    let csrf = admin.csrf(&format!("/admin/spaces/{space}/edit"));
    let edit = format!("/admin/spaces/{space}/edit");

    // Texts per language, rich text sanitised; bad input names the field and writes nothing.
    let bad = admin.post(&edit, &[("csrf", &csrf), ("title_fr", ""), ("title_en", "")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("title: required"), "{}", bad.body);
    let bad = admin
        .post(&edit, &[("csrf", &csrf), ("title_fr", "B"), ("start_date", "2027-05-01"), ("end_date", "2027-01-01")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("end_date"));
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM t_tspc.spaces WHERE title->>'fr' = 'Budget' AND start_date IS NULL"
        ),
        1
    );
    let r = admin.post(
        &edit,
        &[
            ("csrf", &csrf),
            ("title_fr", "Budget participatif"),
            ("title_en", "Participatory budget"),
            ("subtitle_fr", "Vos idées pour la ville"),
            (
                "description_fr",
                "<p>Une <strong>vraie</strong> décision <img src=x onerror=alert(1)></p><script>alert(2)</script>",
            ),
            ("description_en", "Plain text\n\nin two paragraphs"),
            ("start_date", "2027-01-10"),
            ("end_date", "2027-06-30"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let public = Browser::new(app.http, "tspc.test").get("/processes/budget");
    assert!(public.body.contains("Budget participatif") && public.body.contains("Vos idées pour la ville"));
    assert!(public.body.contains("Une <strong>vraie</strong> décision"), "{}", public.body);
    assert!(!public.body.contains("alert(") && !public.body.contains("onerror"), "rendered inert");
    assert!(public.body.contains("10&#x2F;01&#x2F;2027"));
    let mut en = Browser::new(app.http, "tspc.test");
    en.headers.push(("Accept-Language".into(), "en".into()));
    assert!(en.get("/processes/budget").body.contains("<p>Plain text</p><p>in two paragraphs</p>"));

    // Private: members only. Added by nickname or address, removed, listed.
    let r = admin.post(&edit, &[("csrf", &csrf), ("title_fr", "Budget participatif"), ("private", "1")]);
    assert_eq!(r.status, 303);
    assert_eq!(Browser::new(app.http, "tspc.test").get("/processes/budget").status, 404);
    let mut member = signed_in(&app, "tspc.test", "membre@tspc.fr");
    assert_eq!(member.get("/processes/budget").status, 404);
    let members = format!("/admin/spaces/{space}/members");
    let r = admin.post(&members, &[("csrf", &csrf), ("who", "personne@ailleurs.fr")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Aucun participant n&#x27;a l&#x27;adresse ou le pseudonyme"), "{}", r.body);
    assert_eq!(admin.post(&members, &[("csrf", &csrf), ("who", "membre")]).status, 303, "nickname, any case");
    assert_eq!(admin.post(&members, &[("csrf", &csrf), ("who", "Membre@tspc.fr")]).status, 303, "twice is once");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tspc.space_members"), 1);
    assert!(admin.get(&members).body.contains("membre@tspc.fr"));
    assert_eq!(member.get("/processes/budget").status, 200);
    let r = admin.post(&format!("{members}/{}/remove", ids[1]), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(member.get("/processes/budget").status, 404);
    admin.post(&edit, &[("csrf", &csrf), ("title_fr", "Budget participatif")]);

    // The hero image: checked by content and size, nothing stored when refused.
    let hero = format!("/admin/spaces/{space}/hero");
    let refused = [
        (
            ("image", "photo.png", "image/png", b"<html><script>alert(1)</script></html>".to_vec()),
            "n&#x27;est pas une image PNG",
        ),
        (
            (
                "image",
                "logo.png",
                "image/png",
                b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
            ),
            "n&#x27;est pas une image PNG",
        ),
        (("image", "big.png", "image/png", png(2 * 1024 * 1024 + 1)), "dépasse 2 Mo"),
        (("image", "plan.png", "image/png", png(5000)), "espace de stockage"),
        (("image", "", "application/octet-stream", Vec::new()), "Choisissez un fichier image"),
    ];
    for ((name, filename, ctype, bytes), message) in &refused {
        let r = post_file(&mut admin, &hero, &[("csrf", &csrf)], (name, filename, ctype, bytes));
        assert_eq!(r.status, 422, "{filename}: {}", r.body);
        assert!(r.body.contains(message), "{filename}: {}", r.body);
        assert!(stored_files(&app, &tenant).is_empty(), "{filename}: nothing stored");
        assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tspc.spaces WHERE hero_image_key IS NOT NULL"), 0);
    }
    let r = post_file(&mut admin, &hero, &[("csrf", &csrf)], ("image", "photo.txt", "text/plain", &png(1200)));
    assert_eq!(r.status, 303, "a PNG is a PNG whatever its name: {}", r.body);
    let files = stored_files(&app, &tenant);
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with(".png") && files[0].contains(&format!("spaces/{space}/hero-")), "{files:?}");
    let page = Browser::new(app.http, "tspc.test").get("/processes/budget");
    assert!(
        page.body.contains("src=\"&#x2F;processes&#x2F;budget&#x2F;hero?v=hero-")
            || page.body.contains("src=\"/processes/budget/hero?v=hero-"),
        "{}",
        page.body
    );
    assert!(page.body.contains("alt=\"\""), "decorative: the title is next to it");
    assert!(
        Browser::new(app.http, "tspc.test").get("/processes").body.contains("/budget&#x2F;hero?v=hero-")
            || Browser::new(app.http, "tspc.test").get("/processes").body.contains("/budget/hero?v=hero-")
    );
    let image = Browser::new(app.http, "tspc.test").get("/processes/budget/hero");
    assert_eq!(image.status, 200);
    assert_eq!(image.header("content-type"), Some("image/png"));
    assert_eq!(Browser::new(app.http, "tspc.test").get("/processes/nope/hero").status, 404);
    // A new image replaces the old file.
    let r = post_file(&mut admin, &hero, &[("csrf", &csrf)], ("image", "b.png", "image/png", &png(900)));
    assert_eq!(r.status, 303, "{}", r.body);
    let now = stored_files(&app, &tenant);
    assert_eq!(now.len(), 1);
    assert_ne!(now, files);
    assert_eq!(admin.post(&format!("{hero}/remove"), &[("csrf", &csrf)]).status, 303);
    assert!(stored_files(&app, &tenant).is_empty());
    assert_eq!(Browser::new(app.http, "tspc.test").get("/processes/budget/hero").status, 404);

    // Phases: edit, reorder, delete (never the active one).
    let phase_edit = format!("/admin/spaces/{space}/phases/{}/edit", phases[0]);
    let r = admin.post(
        &phase_edit,
        &[("csrf", &csrf), ("title_fr", "Dépôt des idées"), ("title_en", "Ideas"), ("start_date", "2027-01-10")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let bad = admin.post(&phase_edit, &[("csrf", &csrf), ("title_fr", " ")]);
    assert_eq!(bad.status, 422);
    let order = |conn: &mut diesel::PgConnection| -> Vec<i64> {
        (0..3)
            .map(|i| count(conn, &format!("SELECT id AS n FROM t_tspc.space_phases WHERE space_id = {space} ORDER BY position OFFSET {i} LIMIT 1")))
            .collect()
    };
    let mv = |b: &mut Browser, phase: i64, dir: &str| {
        b.post(&format!("/admin/spaces/{space}/phases/{phase}/move"), &[("csrf", &csrf), ("direction", dir)]).status
    };
    assert_eq!(mv(&mut admin, phases[2], "up"), 303);
    assert_eq!(order(&mut conn), vec![phases[0], phases[2], phases[1]]);
    assert_eq!(mv(&mut admin, phases[0], "up"), 303, "the first stays first");
    assert_eq!(mv(&mut admin, phases[0], "down"), 303);
    assert_eq!(order(&mut conn), vec![phases[2], phases[0], phases[1]]);
    let public = Browser::new(app.http, "tspc.test").get("/processes/budget").body;
    let (vote, ideas) = (public.find("Vote").unwrap(), public.find("Dépôt des idées").unwrap());
    assert!(vote < ideas, "the public page follows the new order");
    let r = admin.post(&format!("/admin/spaces/{space}/phases/{}/delete", phases[1]), &[("csrf", &csrf)]);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("L&#x27;étape en cours ne peut pas être supprimée"), "{}", r.body);
    let r = admin.post(&format!("/admin/spaces/{space}/phases/{}/delete", phases[2]), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_tspc.space_phases WHERE space_id = {space}")), 2);
    let other = new_process(&db, &tenant, "autre", "Autre", false);
    assert_eq!(
        admin.post(&format!("/admin/spaces/{other}/phases/{}/delete", phases[0]), &[("csrf", &csrf)]).status,
        404,
        "a phase of another space"
    );
}

#[test]
fn admins_write_static_pages_drafts_stay_hidden_and_scripts_stay_inert() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "tpag", &["tpag.test"], &["pages"]);
    people(&db, &tenant, &[("Admin", "admin@tpag.fr", UserRole::Admin)]);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut admin = signed_in(&app, "tpag.test", "admin@tpag.fr");
    let mut conn = tdb.conn();
    let csrf = admin.csrf("/admin/pages/new");
    // Provisioning wrote the site's default pages.
    let defaults = count(&mut conn, "SELECT count(*) AS n FROM t_tpag.pages");

    // Bad input: the field is named, nothing is written.
    let bad = admin.post("/admin/pages/new", &[("csrf", &csrf), ("slug", "Crédits Site"), ("title_fr", "Crédits")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("slug: 1 to 80"), "{}", bad.body);
    let bad = admin.post("/admin/pages/new", &[("csrf", &csrf), ("slug", "vide"), ("title_fr", " "), ("title_en", "")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("title: required in at least one language"));
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tpag.pages"), defaults);

    // A draft in two languages, with a script in its body.
    let body = "<h3>Éditeur</h3><p onclick=\"alert(1)\">La <em>Ville</em><script>alert(2)</script><a href=\"javascript:alert(3)\">lien</a></p>";
    let r = admin.post(
        "/admin/pages/new",
        &[
            ("csrf", &csrf),
            ("slug", "credits"),
            ("position", "2"),
            ("title_fr", "Crédits du site"),
            ("summary_fr", "Qui publie ce site"),
            ("body_fr", body),
            ("title_en", "Site credits"),
            ("body_en", "Who publishes\n\nthis site"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tpag.pages WHERE slug = 'credits' AND NOT published"), 2);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tpag.pages WHERE slug = 'credits' AND (body LIKE '%script%' OR body LIKE '%onclick%' OR body LIKE '%javascript:%')"), 0, "stored sanitised");
    let mut public = Browser::new(app.http, "tpag.test");
    assert_eq!(public.get("/pages/credits").status, 404, "a draft is not public");
    assert!(!public.get("/pages").body.contains("Crédits du site"));
    let taken = admin.post("/admin/pages/new", &[("csrf", &csrf), ("slug", "credits"), ("title_fr", "Doublon")]);
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("already exists"));
    let list = admin.get("/admin/pages").body;
    assert!(list.contains("Crédits du site") && list.contains("Brouillon"));

    // Published: rendered sanitised, in the visitor's language.
    let edit = "/admin/pages/credits/edit";
    let form = admin.get(edit).body;
    assert!(form.contains("Qui publie ce site"));
    let r = admin.post(
        edit,
        &[
            ("csrf", &csrf),
            ("slug", "credits"),
            ("position", "2"),
            ("published", "1"),
            ("title_fr", "Crédits du site"),
            ("body_fr", body),
            ("title_en", "Site credits"),
            ("body_en", "Who publishes\n\nthis site"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = public.get("/pages/credits");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h3>Éditeur</h3>") && page.body.contains("La <em>Ville</em>"), "{}", page.body);
    assert!(
        !page.body.contains("alert(") && !page.body.contains("onclick") && !page.body.contains("javascript:"),
        "{}",
        page.body
    );
    assert!(public.get("/pages").body.contains("Crédits du site"));
    let mut en = Browser::new(app.http, "tpag.test");
    en.headers.push(("Accept-Language".into(), "en".into()));
    assert!(en.get("/pages/credits").body.contains("<p>Who publishes</p><p>this site</p>"));

    // Renamed, the English version dropped (no title), then deleted.
    let r = admin.post(
        edit,
        &[("csrf", &csrf), ("slug", "site"), ("published", "1"), ("title_fr", "Crédits du site"), ("body_fr", "Texte")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(public.get("/pages/credits").status, 404);
    assert_eq!(public.get("/pages/site").status, 200);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tpag.pages"), defaults + 1);
    assert_eq!(admin.post("/admin/pages/site/delete", &[("csrf", &csrf)]).status, 303);
    assert_eq!(public.get("/pages/site").status, 404);
    assert_eq!(admin.post("/admin/pages/site/delete", &[("csrf", &csrf)]).status, 404);
    assert_eq!(admin.get("/admin/pages/site/edit").status, 404);
}

#[test]
fn admins_choose_a_readable_colour_a_logo_and_the_home_page_blocks() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "tapp", &["tapp.test"], &["pages", "blog"]);
    let ids = people(&db, &tenant, &[("Admin", "admin@tapp.fr", UserRole::Admin)]);
    new_process(&db, &tenant, "plan-velo", "Plan vélo", false);
    new_process(&db, &tenant, "secret", "Conseil secret", true);
    tenants::add_page(&db, &tenant, "a-propos", "À propos de nous", "Bonjour");
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut admin = signed_in(&app, "tapp.test", "admin@tapp.fr");
    let mut conn = tdb.conn();
    let csrf = admin.csrf("/admin/appearance");
    let revision =
        |conn: &mut diesel::PgConnection| count(conn, "SELECT revision AS n FROM catalog.tenants WHERE slug = 'tapp'");
    let before = revision(&mut conn);

    // Colours: unreadable with white text, or malformed: refused with the reason.
    let r = admin.post("/admin/appearance/color", &[("csrf", &csrf), ("color", "#ffcc00")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("contraste de 1,") && r.body.contains("4,5:1"), "{}", r.body);
    assert!(r.body.contains("value=\"#ffcc00\""), "the typed value stays");
    let r = admin.post("/admin/appearance/color", &[("csrf", &csrf), ("color", "bleu")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("six chiffres hexadécimaux"));
    assert_eq!(revision(&mut conn), before, "nothing changed");
    // A readable one: in the catalog, revision bumped, audited, served at once.
    let r = admin.post("/admin/appearance/color", &[("csrf", &csrf), ("color", "#18753C")]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 'tapp' AND primary_color = '#18753c'"),
        1
    );
    assert_eq!(revision(&mut conn), before + 1);
    let actor = format!("tenant_admin:{}", ids[0]);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM catalog.audit_log WHERE actor = '{actor}' AND action = 'tenant.update' AND target = 'tapp'")), 1);
    assert!(Browser::new(app.http, "tapp.test").get("/branding.css").body.contains("--c-primary: #18753c"));

    // The logo: same rules as images, nothing stored when refused.
    let r = post_file(
        &mut admin,
        "/admin/appearance/logo",
        &[("csrf", &csrf)],
        ("logo", "logo.png", "image/png", b"GIF89a not accepted"),
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("n&#x27;est pas une image PNG"));
    let r = post_file(
        &mut admin,
        "/admin/appearance/logo",
        &[("csrf", &csrf)],
        ("logo", "logo.png", "image/png", &png(2 * 1024 * 1024 + 10)),
    );
    assert_eq!(r.status, 422);
    assert!(stored_files(&app, &tenant).is_empty());
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 'tapp' AND logo_key IS NULL"),
        1
    );
    assert_eq!(revision(&mut conn), before + 1);
    let r = post_file(
        &mut admin,
        "/admin/appearance/logo",
        &[("csrf", &csrf)],
        ("logo", "logo.webp", "image/webp", &png(500)),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(stored_files(&app, &tenant).len(), 1);
    let logo = Browser::new(app.http, "tapp.test").get("/branding/logo");
    assert_eq!(logo.status, 200);
    assert_eq!(logo.header("content-type"), Some("image/png"), "the content decides, not the name");
    assert!(admin.get("/").body.contains("class=\"brand-logo\""));
    // A second logo replaces the first file.
    assert_eq!(
        post_file(&mut admin, "/admin/appearance/logo", &[("csrf", &csrf)], ("logo", "l.png", "image/png", &png(600)))
            .status,
        303
    );
    assert_eq!(stored_files(&app, &tenant).len(), 1);

    // Home page: without blocks, the default layout.
    let mut public = Browser::new(app.http, "tapp.test");
    let home = public.get("/").body;
    assert!(home.contains("id=\"hero-title\"") && home.contains("Tenant tapp"));
    // Blocks: refused when empty, then added, ordered, hidden, removed.
    let r = admin.post("/admin/appearance/blocks", &[("csrf", &csrf), ("kind", "text")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("a text block needs a title or a text"));
    assert_eq!(admin.post("/admin/appearance/blocks", &[("csrf", &csrf), ("kind", "carousel")]).status, 422);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_tapp.home_blocks"), 0);
    for fields in [
        vec![("kind", "hero"), ("title_fr", "Bienvenue à Tapp"), ("body_fr", "Participez <script>alert(1)</script>!")],
        vec![("kind", "text"), ("title_fr", "Bloc Alpha"), ("body_fr", "<p>Premier <strong>texte</strong></p>")],
        vec![("kind", "processes")],
        vec![("kind", "text"), ("title_fr", "Bloc Omega"), ("title_en", "Omega block")],
        vec![("kind", "pages")],
    ] {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend(fields);
        let r = admin.post("/admin/appearance/blocks", &all);
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let block = |title: &str| {
        count(
            &mut tdb.conn(),
            &format!("SELECT id AS n FROM t_tapp.home_blocks WHERE texts->'fr'->>'title' = '{title}'"),
        )
    };
    let (alpha, omega) = (block("Bloc Alpha"), block("Bloc Omega"));
    let home = public.get("/").body;
    let at = |text: &str| home.find(text).unwrap_or_else(|| panic!("{text} not on the home page: {home}"));
    assert!(
        at("Bienvenue à Tapp") < at("Bloc Alpha")
            && at("Bloc Alpha") < at("Plan vélo")
            && at("Plan vélo") < at("Bloc Omega")
            && at("Bloc Omega") < at("À propos de nous")
    );
    assert!(home.contains("Premier <strong>texte</strong>") && !home.contains("alert("), "{home}");
    assert!(!home.contains("Conseil secret"), "private spaces stay off the home page");
    assert!(!home.contains("id=\"hero-title\""), "not the default layout");
    let mut en = Browser::new(app.http, "tapp.test");
    en.headers.push(("Accept-Language".into(), "en".into()));
    assert!(en.get("/").body.contains("Omega block"));
    // Omega moves up twice: before the processes, then before Alpha.
    for _ in 0..2 {
        let r = admin.post(&format!("/admin/appearance/blocks/{omega}/move"), &[("csrf", &csrf), ("direction", "up")]);
        assert_eq!(r.status, 303);
    }
    let home = public.get("/").body;
    assert!(home.find("Bloc Omega").unwrap() < home.find("Bloc Alpha").unwrap(), "{home}");
    // Edited, hidden, shown, deleted.
    let r = admin
        .post(&format!("/admin/appearance/blocks/{alpha}"), &[("csrf", &csrf), ("title_fr", "Bloc Alpha modifié")]);
    assert_eq!(r.status, 303);
    assert!(public.get("/").body.contains("Bloc Alpha modifié"));
    let r = admin.post(&format!("/admin/appearance/blocks/{alpha}/enabled"), &[("csrf", &csrf), ("enabled", "0")]);
    assert_eq!(r.status, 303);
    assert!(!public.get("/").body.contains("Bloc Alpha"));
    assert!(admin.get("/admin/appearance").body.contains("masqué"));
    admin.post(&format!("/admin/appearance/blocks/{alpha}/enabled"), &[("csrf", &csrf), ("enabled", "1")]);
    assert!(public.get("/").body.contains("Bloc Alpha"));
    let all: Vec<i64> = (0..5)
        .map(|i| count(&mut conn, &format!("SELECT id AS n FROM t_tapp.home_blocks ORDER BY id OFFSET {i} LIMIT 1")))
        .collect();
    for id in all {
        assert_eq!(admin.post(&format!("/admin/appearance/blocks/{id}/delete"), &[("csrf", &csrf)]).status, 303);
    }
    assert!(public.get("/").body.contains("id=\"hero-title\""), "back to the default layout");

    // The civic theme draws the blocks too.
    admin.post("/admin/appearance/blocks", &[("csrf", &csrf), ("kind", "text"), ("title_fr", "Bloc civique")]);
    count(&mut conn, "WITH u AS (UPDATE catalog.tenants SET theme = 'civic', revision = revision + 1 WHERE slug = 'tapp' RETURNING 1) SELECT count(*) AS n FROM u");
    app.reload();
    let home = public.get("/").body;
    assert!(home.contains("theme-civic") && home.contains("Bloc civique"), "{home}");
}
