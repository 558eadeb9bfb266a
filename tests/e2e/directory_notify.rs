//! Two `civitas serve` processes on one database: a tenant created or suspended
//! through the CLI is served (or refused) by both within two seconds.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::http::get;
use crate::support::{tenants, TestDb};

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(url: &str) -> Server {
    let mut child = tenants::civitas(url)
        .args([
            "serve",
            "--http",
            "127.0.0.1:0",
            "--ops",
            "127.0.0.1:0",
            "--provisioning",
            "127.0.0.1:0",
            "--page-cache-ms",
            "1000",
            "--pool-size",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(rest) = line.strip_prefix("civitas: tenant sites on http://") {
            break rest.trim().parse().unwrap();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

fn within_two_seconds(servers: &[&Server], host: &str, want: u16) -> Duration {
    let start = Instant::now();
    loop {
        let statuses: Vec<u16> = servers.iter().map(|s| get(s.addr, host, "/").status).collect();
        if statuses.iter().all(|s| *s == want) {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(2), "after 2 s the servers answer {statuses:?}, not {want}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_tenant_created_or_suspended_by_the_cli_reaches_both_servers_within_two_seconds() {
    let tdb = TestDb::new();
    let a = serve(&tdb.url);
    let b = serve(&tdb.url);
    assert_eq!(get(a.addr, "fresh.test", "/").status, 404);
    assert_eq!(get(b.addr, "fresh.test", "/").status, 404);

    let out = tenants::civitas(&tdb.url)
        .args(["tenant", "create", "--slug", "fresh", "--name", "Fresh", "--host", "fresh.test"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen = within_two_seconds(&[&a, &b], "fresh.test", 200);
    eprintln!("created tenant served by both after {seen:?}");

    let out = tenants::civitas(&tdb.url).args(["tenant", "suspend", "fresh"]).output().unwrap();
    assert!(out.status.success());
    let seen = within_two_seconds(&[&a, &b], "fresh.test", 503);
    eprintln!("suspension seen by both after {seen:?}");

    let out = tenants::civitas(&tdb.url).args(["tenant", "resume", "fresh"]).output().unwrap();
    assert!(out.status.success());
    within_two_seconds(&[&a, &b], "fresh.test", 200);
}
