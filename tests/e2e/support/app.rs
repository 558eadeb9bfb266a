//! `TestApp`: the real server, in-process, on port 0, against a test database.
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use platform::app::{self, ServeOptions};
use platform::runtime::build_state;
use platform::settings::Settings;
use platform::state::AppState;
use tenant_core::db::listener::{DirectoryWatcher, WatchOptions};
use tenant_core::{DatabaseUrl, PoolOptions};

use super::cluster::TestDb;

pub struct TestConfig {
    pub pool_size: u32,
    pub page_cache_ms: u64,
    pub trusted_proxies: Vec<IpAddr>,
    pub workers: usize,
    /// Files on this S3 bucket rather than under the data dir.
    pub s3: Option<blob_s3::S3Settings>,
}

impl Default for TestConfig {
    fn default() -> Self {
        Self { pool_size: 4, page_cache_ms: 0, trusted_proxies: Vec::new(), workers: 2, s3: None }
    }
}

pub struct TestApp {
    pub http: SocketAddr,
    pub ops: SocketAddr,
    /// The provisioning API.
    pub prov: SocketAddr,
    pub state: AppState,
    pub data_dir: PathBuf,
    handles: Vec<actix_web::dev::ServerHandle>,
    _workers: provisioning::jobs::Workers,
    thread: Option<std::thread::JoinHandle<()>>,
    _watcher: DirectoryWatcher,
}

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn temp_dir(label: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{label}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn settings_for(url: &str, config: &TestConfig, data_dir: PathBuf) -> Settings {
    Settings {
        database_url: Some(DatabaseUrl::new(url)),
        data_dir: data_dir.clone(),
        themes_dir: workspace().join("themes"),
        http_addr: "127.0.0.1:0".into(),
        https_addr: None,
        ops_addr: "127.0.0.1:0".into(),
        provisioning_addr: "127.0.0.1:0".into(),
        master_key_file: data_dir.join("master.key"),
        previous_master_key_files: Vec::new(),
        trusted_proxies: config.trusted_proxies.clone(),
        pool: PoolOptions {
            size: config.pool_size,
            checkout_timeout: Duration::from_secs(2),
            ..PoolOptions::default()
        },
        workers: config.workers,
        page_cache_ttl: Duration::from_millis(config.page_cache_ms),
        smtp_url: None,
        mail_from: "Civitas <no-reply@civitas.localhost>".into(),
        site_scheme: "http".into(),
        site_port: None,
        digest_interval: Duration::ZERO,
        extra_tenant_migrations: None,
        s3: config.s3.clone(),
    }
}

impl TestApp {
    pub fn start(db: &TestDb, config: TestConfig) -> Self {
        Self::start_url(&db.url, config)
    }

    pub fn start_url(url: &str, config: TestConfig) -> Self {
        if std::env::var_os("CIVITAS_TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_env_filter("warn,platform=debug").with_test_writer().try_init();
        }
        let data_dir = temp_dir("app");
        let settings = settings_for(url, &config, data_dir.clone());
        let db = tenant_core::Db::new(DatabaseUrl::new(url), &settings.pool);
        let state = build_state(&settings, db).expect("state");
        state.directory.reload(&state.db).expect("directory");
        let watcher = DirectoryWatcher::spawn(
            state.db.clone(),
            Arc::clone(&state.directory),
            Arc::clone(&state.versions),
            WatchOptions::default(),
        )
        .expect("watch");
        let (prov, runner) = platform::commands::serve::provisioning_state(&settings, &state).expect("provisioning");
        let workers = runner.spawn_workers(1, "test").expect("job workers");
        let options = ServeOptions {
            http: settings.http_addr.clone(),
            ops: settings.ops_addr.clone(),
            provisioning: Some("127.0.0.1:0".into()),
            workers: config.workers,
            blocking_threads: (config.pool_size as usize).div_ceil(config.workers).max(2),
            https: None,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let served = state.clone();
        let thread = std::thread::spawn(move || {
            let system = actix_rt::System::new();
            system.block_on(async move {
                let running = app::start(served, Some(prov), &options).expect("bind");
                let addrs = (running.http_addrs[0], running.ops_addrs[0], running.provisioning_addrs[0]);
                tx.send((addrs, running.handles())).expect("send");
                let _ = running.wait().await;
            });
        });
        let ((http, ops, prov), handles) = rx.recv_timeout(Duration::from_secs(30)).expect("server started");
        Self { http, ops, prov, state, data_dir, handles, _workers: workers, thread: Some(thread), _watcher: watcher }
    }

    /// Re-reads the directory now, rather than waiting for NOTIFY.
    pub fn reload(&self) {
        self.state.directory.reload(&self.state.db).expect("reload");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends the command when called; the returned future only waits.
        for h in &self.handles {
            drop(h.stop(false));
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
