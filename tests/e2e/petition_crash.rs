//! No signature lost, none doubled: concurrent signers sign a petition through the
//! signature request while the `civitas` process is killed (`kill -9`) and started
//! again. Each signer tries until the server says it signed (a new signature, or
//! "already signed" when its earlier try was stored before the crash). Afterwards
//! every signer is stored exactly once, and the count the petition page shows is the
//! number of stored rows.
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::names::Locale;
use tenant_core::petitions::{self, types, Created, Draft, TypeInput};

use crate::support::app::temp_dir;
use crate::support::http::{parse_bytes, Resp};
use crate::support::sql::count;
use crate::support::{tenants, TestDb};

const SIGNERS: usize = 1_200;
const THREADS: usize = 8;
pub(crate) const HOST: &str = "crashsig.test";

/// `civitas serve` in its own process on `data`; its tenant-site address.
fn serve(tdb: &TestDb, data: &std::path::Path) -> (Child, SocketAddr) {
    let (child, http, _) = tenants::serve_process(&tdb.url, &[("CIVITAS_DATA_DIR", data.as_os_str())], "sig-crash-log");
    (child, http)
}

/// A GET that reports a refused or cut connection as `None` instead of failing.
pub(crate) fn try_get(addr: SocketAddr, path: &str, cookie: &str) -> Option<Resp> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: {HOST}\r\nCookie: civitas_anon={cookie}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).ok()?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).ok()?;
    let resp = parse_bytes(&bytes);
    (resp.status != 0).then_some(resp)
}

/// A published petition that signs through FranceConnect, anonymously, by a new
/// author with `email`.
pub(crate) fn open_petition(db: &tenant_core::Db, tenant: &tenant_core::Tenant, email: &str) -> i64 {
    db.tenant(tenant, |conn| {
        let author = users::create(
            conn,
            &NewUser {
                nickname: &email[..email.find('@').unwrap_or(email.len())],
                email: Some(email),
                password_hash: None,
                locale: Locale::Fr,
                email_confirmed: true,
                role: UserRole::Participant,
            },
        )?
        .unwrap();
        let t = types::check(
            &TypeInput {
                title: vec![(Locale::Fr, "Pétition".into())],
                threshold: "100000".into(),
                period_days: "30".into(),
                file_requires: "account".into(),
                sign_requires: "franceconnect_anonymous".into(),
                active: true,
                ..TypeInput::default()
            },
            &[Locale::Fr],
        )?;
        let type_id = types::save(conn, None, &t)?;
        let checked = petitions::check(&Draft {
            type_id,
            title: "Une pétition très signée pendant une panne".into(),
            body: "Le serveur s'arrête net au milieu des signatures ; aucune ne doit manquer ni compter double.".into(),
        })?;
        let Created::New(id) = petitions::create(conn, author, &checked, None)? else { unreachable!() };
        petitions::submit(conn, id, author)?;
        petitions::publish(conn, id, author, chrono::Utc::now())?;
        Ok(id)
    })
    .unwrap()
}

/// A signer hash (64 hexadecimal digits, as the callback's keyed hashes are).
pub(crate) fn signer(i: usize) -> String {
    format!("{:032x}{:032x}", (i as u128 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835), i)
}

/// Several signers recorded by one statement: each gets its own answer (new, with
/// the count just before it; already signed; refused; no such petition), and the
/// kept count is the rows. Through the queue, the same person three times at once
/// signs once.
#[test]
fn a_batch_of_signatures_answers_each_signer_and_the_queue_records_a_person_once() {
    use tenant_core::petitions::signatures::{self, Ask};
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "batchsig", &["batchsig.test"], &["petitions"]);
    let a = open_petition(&db, &tenant, "auteur.a@batchsig.fr");
    let b = open_petition(&db, &tenant, "auteur.b@batchsig.fr");
    // A draft: not open for signatures.
    let draft = db
        .tenant(&tenant, |conn| {
            let checked = petitions::check(&Draft {
                type_id: 1,
                title: "Un brouillon qu'on ne signe pas encore".into(),
                body: "Pas encore publiée : aucune signature ne peut y être ajoutée.".into(),
            })?;
            let Created::New(id) = petitions::create(conn, 1, &checked, None)? else { unreachable!() };
            Ok(id)
        })
        .unwrap();
    let now = chrono::Utc::now();
    let ask = |id: i64, i: usize| Ask { id, signer: signer(i) };
    let first = vec![ask(a, 1), ask(a, 2), ask(b, 1), ask(draft, 3), ask(999_999, 4)];
    let out = db.tenant_statement(&tenant, |c, s| signatures::sign_anonymous_batch(c, s, &first, 3, now)).unwrap();
    assert_eq!(out.len(), 5);
    let today = now.date_naive();
    type Outcome = (i64, Option<chrono::NaiveDate>, Option<chrono::NaiveDate>, i64, bool);
    let summary: Vec<Option<Outcome>> =
        out.iter().map(|o| o.as_ref().map(|s| (s.id, s.new_on, s.earlier_on, s.before, s.open))).collect();
    assert_eq!(
        summary,
        vec![
            Some((a, Some(today), None, 0, true)),
            Some((a, Some(today), None, 1, true)),
            Some((b, Some(today), None, 0, true)),
            Some((draft, None, None, 0, false)),
            None,
        ]
    );
    let second = vec![ask(a, 1), ask(a, 5)];
    let out = db.tenant_statement(&tenant, |c, s| signatures::sign_anonymous_batch(c, s, &second, 7, now)).unwrap();
    let summary: Vec<_> = out.iter().map(|o| o.as_ref().map(|s| (s.new_on, s.earlier_on, s.before))).collect();
    assert_eq!(summary, vec![Some((None, Some(today), 2)), Some((Some(today), None, 2))]);
    // A malformed signer refuses the whole batch and records nothing.
    let bad = vec![ask(a, 6), Ask { id: a, signer: "pas-un-hachage".into() }];
    assert!(db.tenant_statement(&tenant, |c, s| signatures::sign_anonymous_batch(c, s, &bad, 0, now)).is_err());
    assert_eq!(db.tenant(&tenant, |c| signatures::audit(c, a)).unwrap(), (3, 3));
    assert_eq!(db.tenant(&tenant, |c| signatures::audit(c, b)).unwrap(), (1, 1));

    // The queue: the same person three times at once among others.
    let queue = Arc::new(platform::modules::petitions::queue::SignatureQueue::new(db.clone()));
    let tenant = Arc::new(tenant);
    let answers = actix_rt::System::new().block_on(async {
        let asks: Vec<Ask> = [ask(b, 10), ask(b, 11), ask(b, 10), ask(a, 12), ask(b, 10), ask(b, 13)].into();
        let pending = asks.into_iter().map(|x| {
            let (queue, tenant) = (queue.clone(), tenant.clone());
            async move { queue.sign(tenant, x).await }
        });
        futures_util::future::join_all(pending).await
    });
    let outcomes: Vec<(bool, bool)> = answers
        .into_iter()
        .map(|r| r.expect("recorded").expect("the petition exists"))
        .map(|s| (s.new_on.is_some(), s.earlier_on.is_some()))
        .collect();
    assert_eq!(outcomes.iter().filter(|(new, _)| *new).count(), 4, "{outcomes:?}");
    let repeats: Vec<_> = [0, 2, 4].iter().map(|&i| outcomes[i]).collect();
    assert_eq!(repeats.iter().filter(|o| **o == (true, false)).count(), 1, "one of the three is new: {outcomes:?}");
    assert_eq!(repeats.iter().filter(|o| **o == (false, true)).count(), 2, "two already signed: {outcomes:?}");
    assert_eq!(db.tenant(&tenant, |c| signatures::audit(c, b)).unwrap(), (4, 4));
    assert_eq!(db.tenant(&tenant, |c| signatures::audit(c, a)).unwrap(), (4, 4));
}

#[test]
fn no_signature_is_lost_or_doubled_when_the_server_is_killed_mid_load() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "crashsig", &[HOST], &["petitions"]);
    let id = open_petition(&db, &tenant, "auteur@crashsig.fr");

    let data = temp_dir("sig-crash-data");
    let (child, http) = serve(&tdb, &data);
    let server = Arc::new(Mutex::new((child, Some(http))));
    // The proofs FranceConnect's callback would have handed each signer.
    let keyring = tenant_core::secrets::Keyring::load(&data.join("master.key"), &[]).expect("the server's key");
    let purpose = format!("petition:{id}");
    let expires = chrono::Utc::now().timestamp() + 3600;
    let signers: Arc<Vec<(String, String)>> = Arc::new(
        (0..SIGNERS)
            .map(|i| {
                let hash = signer(i);
                let sealed =
                    platform::identity::oidc::seal_anonymous_proof(&keyring, tenant.id, &purpose, &hash, expires)
                        .expect("sealed");
                (hash, sealed)
            })
            .collect(),
    );

    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let path = format!("/petitions/{id}/signature");
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (server, signers, next, acked, failures, path) =
                (server.clone(), signers.clone(), next.clone(), acked.clone(), failures.clone(), path.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= SIGNERS {
                        return seen;
                    }
                    let started = Instant::now();
                    loop {
                        assert!(started.elapsed() < Duration::from_secs(120), "signer {i} never got an answer");
                        let addr = server.lock().unwrap().1;
                        let Some(addr) = addr else {
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        };
                        match try_get(addr, &path, &signers[i].1) {
                            Some(r) if r.status == 303 => {
                                // The answer: the petition's page, saying which.
                                let to = r.header("location").unwrap_or_default();
                                let new = to.ends_with("?notice=petition_signed");
                                let already = to.ends_with("?notice=petition_already_signed");
                                assert!(new || already, "signer {i}: {to}");
                                seen.push((i, new));
                                acked.fetch_add(1, Ordering::SeqCst);
                                break;
                            }
                            Some(r) if r.status >= 500 => {
                                failures.fetch_add(1, Ordering::SeqCst);
                            }
                            Some(r) => panic!("signer {i}: {} {}", r.status, r.body),
                            None => {
                                failures.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            })
        })
        .collect();

    // Mid-load, kill -9 and start again on the same data.
    while acked.load(Ordering::SeqCst) < SIGNERS / 3 {
        std::thread::sleep(Duration::from_millis(2));
    }
    {
        let mut s = server.lock().unwrap();
        s.0.kill().expect("kill -9");
        s.0.wait().unwrap();
        s.1 = None;
    }
    let killed_at = acked.load(Ordering::SeqCst);
    let (child, http) = serve(&tdb, &data);
    *server.lock().unwrap() = (child, Some(http));

    let mut answers = Vec::new();
    for w in workers {
        answers.extend(w.join().expect("a signer thread"));
    }
    let already = answers.iter().filter(|(_, new)| !new).count();
    eprintln!(
        "signatures: killed after {killed_at} of {SIGNERS} acknowledged, {} failed tries, {already} signers told \"already signed\" after the restart",
        failures.load(Ordering::SeqCst)
    );
    assert!(killed_at < SIGNERS, "the kill came mid-load");
    assert!(failures.load(Ordering::SeqCst) > 0, "some requests met the dead server");
    assert_eq!(answers.len(), SIGNERS, "every signer got an answer");

    // Every signer stored exactly once; the kept count is the rows.
    let mut conn = tdb.conn();
    let rows =
        count(&mut conn, &format!("SELECT count(*) AS n FROM t_crashsig.petition_signatures WHERE petition_id = {id}"));
    assert_eq!(rows, SIGNERS as i64, "no signature lost, none doubled");
    #[derive(diesel::QueryableByName)]
    struct Signer {
        #[diesel(sql_type = diesel::sql_types::Text)]
        signer: String,
    }
    let stored: HashSet<String> = diesel::RunQueryDsl::load::<Signer>(
        diesel::sql_query(format!("SELECT signer FROM t_crashsig.petition_signatures WHERE petition_id = {id}")),
        &mut conn,
    )
    .unwrap()
    .into_iter()
    .map(|s| s.signer)
    .collect();
    for (i, _) in &answers {
        assert!(stored.contains(&signers[*i].0), "signer {i} was told it signed and is stored");
    }
    let (kept_rows, kept) = db.tenant(&tenant, |c| petitions::signatures::audit(c, id)).unwrap();
    assert_eq!((kept_rows, kept), (SIGNERS as i64, SIGNERS as i64), "the kept count is the rows");
    // The page shows that count.
    let page = crate::support::http::get(http, HOST, &format!("/petitions/{id}"));
    assert!(
        page.body.contains(&format!("<strong class=\"petition-count\">1\u{202f}{:03}</strong>", SIGNERS % 1000)),
        "{}",
        page.body
    );
    let _ = server.lock().unwrap().0.kill();
}
