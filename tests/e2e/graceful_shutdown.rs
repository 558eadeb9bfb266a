//! Graceful shutdown: SIGTERM while signers sign a petition. The process stops taking
//! connections, finishes the requests it has, and exits on its own (status 0) within
//! its deadline; every signature it acknowledged is stored, once, and the kept count
//! is the rows.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::petition_crash::{open_petition, signer, try_get, HOST};
use crate::support::app::temp_dir;
use crate::support::sql::count;
use crate::support::{tenants, TestDb};

const SIGNERS: usize = 4_000;
const THREADS: usize = 8;

#[test]
fn sigterm_finishes_the_requests_in_flight_and_loses_no_acknowledged_signature() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "crashsig", &[HOST], &["petitions"]);
    let id = open_petition(&db, &tenant, "auteur@arret.fr");
    let data = temp_dir("sigterm-data");
    let (mut child, http, _) =
        tenants::serve_process(&tdb.url, &[("CIVITAS_DATA_DIR", data.as_os_str())], "sigterm-log");
    let keyring = tenant_core::secrets::Keyring::load(&data.join("master.key"), &[]).expect("the server's key");
    let purpose = format!("petition:{id}");
    let expires = chrono::Utc::now().timestamp() + 3600;
    let proofs: Arc<Vec<String>> = Arc::new(
        (0..SIGNERS)
            .map(|i| {
                platform::identity::oidc::seal_anonymous_proof(&keyring, tenant.id, &purpose, &signer(i), expires)
                    .expect("sealed")
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicUsize::new(0));
    let gone = Arc::new(AtomicBool::new(false));
    let path = format!("/petitions/{id}/signature");
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (proofs, next, acked, gone, path) =
                (proofs.clone(), next.clone(), acked.clone(), gone.clone(), path.clone());
            std::thread::spawn(move || {
                let mut signed = Vec::new();
                while !gone.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= SIGNERS {
                        break;
                    }
                    match try_get(http, &path, &proofs[i]) {
                        Some(r) if r.status == 303 => {
                            let to = r.header("location").unwrap_or_default();
                            assert!(to.ends_with("?notice=petition_signed"), "signer {i}: {to}");
                            signed.push(i);
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Some(r) => panic!("signer {i}: {} {}", r.status, r.body),
                        // Refused: the listener is closed.
                        None => gone.store(true, Ordering::SeqCst),
                    }
                }
                signed
            })
        })
        .collect();
    while acked.load(Ordering::SeqCst) < 300 {
        std::thread::sleep(Duration::from_millis(2));
    }
    let term =
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill -TERM");
    assert!(term.success());
    let sent = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(sent.elapsed() < Duration::from_secs(20), "the server did not stop within its deadline");
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = sent.elapsed();
    assert!(status.success(), "the server exits cleanly after SIGTERM: {status}");
    gone.store(true, Ordering::SeqCst);
    let mut signed = Vec::new();
    for w in workers {
        signed.extend(w.join().expect("a signer thread"));
    }
    eprintln!("SIGTERM after {} signatures; the process exited in {took:?}", signed.len());
    assert!(signed.len() < SIGNERS, "SIGTERM came mid-load");

    // Every acknowledged signature is stored, once; the kept count is the rows.
    let mut conn = tdb.conn();
    let rows =
        count(&mut conn, &format!("SELECT count(*) AS n FROM t_crashsig.petition_signatures WHERE petition_id = {id}"));
    // Nothing acknowledged is missing, and nothing was stored without its answer
    // reaching the signer: the requests in flight were finished, not cut.
    assert_eq!(rows, signed.len() as i64, "stored rows and acknowledged signatures");
    for i in &signed {
        let n = count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM t_crashsig.petition_signatures WHERE petition_id = {id} AND signer = '{}'",
                signer(*i)
            ),
        );
        assert_eq!(n, 1, "signer {i} was told it signed and is stored once");
    }
    let (kept_rows, kept) = db.tenant(&tenant, |c| tenant_core::petitions::signatures::audit(c, id)).unwrap();
    assert_eq!(kept_rows, kept, "the kept count is the rows");
}
