//! The embedded default: one private cluster per data folder, shared by every
//! `civitas` process using it, stopped when the last one exits.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::app::{temp_dir, workspace};
use crate::support::http::get;

fn civitas_embedded(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_civitas"));
    cmd.env_remove("CIVITAS_DATABASE_URL")
        .env("CIVITAS_DATA_DIR", data_dir)
        .env("CIVITAS_THEMES_DIR", workspace().join("themes"))
        .env("CIVITAS_LOG", "warn");
    cmd
}

#[test]
fn the_embedded_cluster_is_shared_by_processes_and_stopped_by_the_last_one() {
    let dir = temp_dir("embedded");
    let pid_file = dir.join("pg/data/postmaster.pid");
    let mut serve = civitas_embedded(&dir)
        .args(["serve", "--http", "127.0.0.1:0", "--ops", "127.0.0.1:0", "--provisioning", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let addr: std::net::SocketAddr = loop {
        let line = lines.next().expect("serve started").unwrap();
        if let Some(a) = line.strip_prefix("civitas: tenant sites on http://") {
            break a.trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    assert!(pid_file.exists(), "serve started the cluster");

    // A second process reuses the running cluster and leaves it running.
    let out = civitas_embedded(&dir)
        .args(["tenant", "create", "--slug", "shared", "--name", "Shared", "--host", "shared.test"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(pid_file.exists(), "the CLI must not stop a cluster the server still uses");
    let start = Instant::now();
    while get(addr, "shared.test", "/").status != 200 {
        assert!(start.elapsed() < Duration::from_secs(2), "tenant not served after 2 s");
        std::thread::sleep(Duration::from_millis(50));
    }

    // SIGTERM: the server stops, and takes the cluster down with it.
    let status = Command::new("kill").args(["-TERM", &serve.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = serve.wait().unwrap();
    assert!(exit.success(), "serve exits cleanly on SIGTERM: {exit:?}");
    let start = Instant::now();
    while pid_file.exists() {
        assert!(start.elapsed() < Duration::from_secs(15), "the cluster was left running");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Started again, the same data is there.
    let out = civitas_embedded(&dir).args(["tenant", "list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"slug\": \"shared\""));
    assert!(!pid_file.exists(), "a one-off command stops the cluster it started");
}
