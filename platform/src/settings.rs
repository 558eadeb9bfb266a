//! One typed settings struct: defaults, then an optional TOML file, then `CIVITAS_*`
//! environment variables and command-line flags (clap merges those two). Unknown
//! keys in the file, and unknown `CIVITAS_*` variables, stop the program: a typo in
//! a setting must not be silently ignored.
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;
use tenant_core::{DatabaseUrl, PoolOptions};

/// Settings read from `--config FILE`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub themes_dir: Option<PathBuf>,
    pub http_addr: Option<String>,
    pub https_addr: Option<String>,
    pub ops_addr: Option<String>,
    pub provisioning_addr: Option<String>,
    pub master_key_file: Option<PathBuf>,
    pub previous_master_key_files: Option<Vec<PathBuf>>,
    pub trusted_proxies: Option<Vec<IpAddr>>,
    pub pool_size: Option<u32>,
    pub workers: Option<usize>,
    pub page_cache_ms: Option<u64>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub site_scheme: Option<String>,
    pub site_port: Option<u16>,
    pub digest_interval_seconds: Option<u64>,
}

impl FileSettings {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))
    }
}

/// Every environment variable Civitas reads.
pub const KNOWN_ENV: &[&str] = &[
    "CIVITAS_CONFIG",
    "CIVITAS_DATABASE_URL",
    "CIVITAS_DATA_DIR",
    "CIVITAS_THEMES_DIR",
    "CIVITAS_HTTP_ADDR",
    "CIVITAS_HTTPS_ADDR",
    "CIVITAS_OPS_ADDR",
    "CIVITAS_PROVISIONING_ADDR",
    "CIVITAS_MASTER_KEY_FILE",
    "CIVITAS_PREVIOUS_MASTER_KEY_FILES",
    "CIVITAS_TRUSTED_PROXIES",
    "CIVITAS_POOL_SIZE",
    "CIVITAS_WORKERS",
    "CIVITAS_PAGE_CACHE_MS",
    "CIVITAS_SMTP_URL",
    "CIVITAS_SITE_SCHEME",
    "CIVITAS_SITE_PORT",
    "CIVITAS_DIGEST_INTERVAL_SECONDS",
    // `civitas demo` only: the local FranceConnect-like provider deploy/dev/demo.sh starts.
    "CIVITAS_DEMO_FRANCECONNECT_ISSUER",
    "CIVITAS_MAIL_FROM",
    "CIVITAS_LOG",
    "CIVITAS_LOG_FORMAT",
];

/// Refuses `CIVITAS_*` variables that nothing reads (`CIVITAS_TEST_*` belongs to tests).
pub fn check_environment() -> anyhow::Result<()> {
    let unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("CIVITAS_") && !k.starts_with("CIVITAS_TEST_") && !KNOWN_ENV.contains(&k.as_str()))
        .collect();
    if !unknown.is_empty() {
        bail!("unknown environment variable(s) {}: known ones are {}", unknown.join(", "), KNOWN_ENV.join(", "));
    }
    Ok(())
}

/// The resolved settings the program runs with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: Option<DatabaseUrl>,
    pub data_dir: PathBuf,
    pub themes_dir: PathBuf,
    pub http_addr: String,
    /// The TLS listener of the tenant sites (certificates per host, by SNI); when
    /// set, the HTTP listener only redirects to it.
    pub https_addr: Option<String>,
    pub ops_addr: String,
    pub provisioning_addr: String,
    /// The platform's master key (encrypts secrets at rest); created on first use.
    pub master_key_file: PathBuf,
    /// Keys being rotated out: values they sealed can still be opened.
    pub previous_master_key_files: Vec<PathBuf>,
    pub trusted_proxies: Vec<IpAddr>,
    pub pool: PoolOptions,
    pub workers: usize,
    pub page_cache_ttl: Duration,
    /// The platform's mail server; `None` writes messages to files under the data dir.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// How people reach the tenant sites (for links in mail sent by jobs).
    pub site_scheme: String,
    pub site_port: Option<u16>,
    /// How often `civitas serve` sends the notification digests that are due (0: never;
    /// `civitas notifications send-digests` then does it).
    pub digest_interval: Duration,
    /// Benchmarks and tests only (`CIVITAS_TEST_EXTRA_TENANT_MIGRATIONS`): a folder of
    /// tenant migrations the create and upgrade jobs run after the embedded ones.
    pub extra_tenant_migrations: Option<PathBuf>,
}

impl Settings {
    pub fn blobs_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    pub fn embedded_pg_dir(&self) -> PathBuf {
        self.data_dir.join("pg")
    }
}

/// Where the themes are: the setting, else `./themes`, else the source tree's.
pub fn default_themes_dir() -> PathBuf {
    let local = PathBuf::from("themes");
    if local.join("default").is_dir() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../themes"))
}
