//! `civitas demo` as a newcomer meets it: every demo site has a living participatory
//! budget (proposals with supports, an amendment, answers, a threaded conversation)
//! and its administrators find a moderation queue.
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::browser::{form_value, Browser};
use crate::support::{tenants, TestDb};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_demo_sites_show_a_living_participatory_budget() {
    let tdb = TestDb::new();
    let (http, ops, prov) = (free_port(), free_port(), free_port());
    let demo = tenants::civitas(&tdb.url)
        .env("CIVITAS_DIGEST_INTERVAL_SECONDS", "0")
        .args(["demo", "--http", &format!("127.0.0.1:{http}"), "--ops", &format!("127.0.0.1:{ops}")])
        .args(["--provisioning", &format!("127.0.0.1:{prov}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _demo = Demo(demo);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{http}").parse().unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(120), "the demo did not start");
        std::thread::sleep(Duration::from_millis(200));
    }
    for site in ["lumiere", "climat", "campus"] {
        let host = format!("{site}.localhost");
        let mut b = Browser::new(addr, &host);
        let space = b.get("/processes/budget-participatif-2027");
        assert_eq!(space.status, 200, "{site}");
        let space = space.body.replace("&#x2F;", "/");
        let at = space.find("/f/").unwrap_or_else(|| panic!("{site}: no component on the process"));
        let component: String = space[at + 3..].chars().take_while(char::is_ascii_digit).collect();
        let base = format!("/processes/budget-participatif-2027/f/{component}");
        let list = b.get(&base);
        assert!(list.body.contains("8 propositions") || list.body.contains("8 proposals"), "{site}: {}", list.body);
        for tag in ["tag-accepted", "tag-rejected", "tag-evaluating"] {
            assert!(list.body.contains(tag), "{site}: answers shown ({tag})");
        }
        // The first proposal: answered, amended (version 2), supported past its goal, discussed.
        let first = b.get(&format!("{base}?order=oldest")).body.replace("&#x2F;", "/");
        let at = first.find(&format!("{base}/")).unwrap_or_else(|| panic!("{site}: {first}")) + base.len() + 1;
        let id: String = first[at..].chars().take_while(char::is_ascii_digit).collect();
        let page = b.get(&format!("{base}/{id}"));
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Version 2"), "{site}: amended");
        assert!(page.body.contains("7</strong>"), "{site}: supported");
        assert!(page.body.matches("comment-list comment-replies").count() >= 2, "{site}: a thread three levels deep");
        // The admin's moderation queue has a reported comment waiting.
        let mut admin = Browser::new(addr, &host);
        let csrf = admin.csrf("/sign-in");
        let r = admin.post(
            "/sign-in",
            &[("csrf", &csrf), ("email", &format!("admin@{site}.localhost")), ("password", "civitas-demo-2026")],
        );
        assert_eq!(r.status, 303, "{site}: {}", r.body);
        let queue = admin.get("/admin/moderation");
        assert_eq!(queue.status, 200);
        assert!(form_value(&queue.body, "csrf").is_some(), "{site}: a hide button");
        assert!(queue.body.contains("stupid") || queue.body.contains("stupide"), "{site}: {}", queue.body);
        // Camille, the demo participant, has notifications about her proposal.
        let mut camille = Browser::new(addr, &host);
        let csrf = camille.csrf("/sign-in");
        let r = camille.post(
            "/sign-in",
            &[("csrf", &csrf), ("email", &format!("camille@{site}.localhost")), ("password", "civitas-demo-2026")],
        );
        assert_eq!(r.status, 303, "{site}: {}", r.body);
        assert!(camille.get("/notifications").body.contains("notification-unread"), "{site}");
    }

    // The city's district budgets, from real PaBuLib files: a vote under way (Camille
    // gets the ballot form) and a finished budget whose results compare the three rules.
    let mut b = Browser::new(addr, "lumiere.localhost");
    let process = "/processes/budgets-des-quartiers";
    let space = b.get(process).body.replace("&#x2F;", "/");
    let mut places: Vec<String> = space
        .match_indices(&format!("{process}/f/"))
        .map(|(at, m)| space[at + m.len()..].chars().take_while(char::is_ascii_digit).collect())
        .collect();
    places.dedup();
    assert_eq!(places.len(), 2, "two budgets components: {space}");
    let first_budget = |b: &mut Browser, place: &str| {
        let page = b.get(&format!("{process}/f/{place}")).body.replace("&#x2F;", "/");
        let marker = format!("{process}/f/{place}/budgets/");
        let at = page.find(&marker).unwrap_or_else(|| panic!("a budget in {page}")) + marker.len();
        let id: String = page[at..].chars().take_while(char::is_ascii_digit).collect();
        (page, format!("{marker}{id}"))
    };
    let (west, west_budget) = first_budget(&mut b, &places[0]);
    assert!(west.contains("Le vote est ouvert") && west.contains("Quartier Ouest"), "{west}");
    let (_, green_budget) = first_budget(&mut b, &places[1]);
    let results = b.get(&format!("{green_budget}/results"));
    assert_eq!(results.status, 200, "{}", results.body);
    for text in ["Méthode des parts égales", "Couverture maximale", "Votants représentés", "6\u{202f}586 bulletins"]
    {
        assert!(results.body.contains(text), "{text}: {}", results.body);
    }
    let mut camille = Browser::new(addr, "lumiere.localhost");
    let csrf = camille.csrf("/sign-in");
    let r = camille.post(
        "/sign-in",
        &[("csrf", &csrf), ("email", "camille@lumiere.localhost"), ("password", "civitas-demo-2026")],
    );
    assert_eq!(r.status, 303);
    let ballot = camille.get(&west_budget);
    assert!(ballot.body.contains("data-ballot") && ballot.body.contains("name=\"project\""), "{}", ballot.body);

    // The petitions site: petitions in every public state, with their counts.
    let mut b = Browser::new(addr, "parlement.localhost");
    let open = b.get("/petitions");
    assert_eq!(open.status, 200);
    assert!(open.body.contains(">4 pétitions"), "open for signatures: {}", open.body);
    let examined = b.get("/petitions?state=examination");
    assert!(examined.body.contains("<strong>100\u{202f}412</strong>"), "{}", examined.body);
    let answered = b.get("/petitions?state=answered").body.replace("&#x2F;", "/");
    let card = "<h2><a href=\"/petitions/";
    let at = answered.find(card).expect("an answered petition") + card.len();
    let id: String = answered[at..].chars().take_while(char::is_ascii_digit).collect();
    let page = b.get(&format!("/petitions/{id}"));
    assert!(page.body.contains("Réponse de l&#x27;institution"), "{}", page.body);
    assert!(page.body.contains("Publiée et ouverte à la signature"), "a timeline");
    let csv = b.get(&format!("/petitions/{id}/signatures.csv"));
    let total: i64 = csv.body.lines().skip(1).filter_map(|l| l.split(',').nth(1)?.parse::<i64>().ok()).sum();
    assert_eq!(total, 100_087);
    assert!(b.get("/petitions?state=closed").body.contains(">1 pétition<"));
}
