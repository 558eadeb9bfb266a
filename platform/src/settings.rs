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
    pub pool_max_tenants: Option<usize>,
    pub workers: Option<usize>,
    pub page_cache_ms: Option<u64>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub site_scheme: Option<String>,
    pub site_port: Option<u16>,
    pub digest_interval_seconds: Option<u64>,
    /// Files on S3 when set (else on disk under the data dir): the bucket's name.
    pub s3_bucket: Option<String>,
    pub s3_region: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_path_style: Option<bool>,
    pub s3_access_key: Option<String>,
    pub s3_secret_key: Option<String>,
    pub s3_timeout_seconds: Option<u64>,
    pub s3_presigned_url_seconds: Option<u64>,
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
    "CIVITAS_POOL_MAX_TENANTS",
    "CIVITAS_WORKERS",
    "CIVITAS_PAGE_CACHE_MS",
    "CIVITAS_SMTP_URL",
    "CIVITAS_SITE_SCHEME",
    "CIVITAS_SITE_PORT",
    "CIVITAS_DIGEST_INTERVAL_SECONDS",
    "CIVITAS_S3_BUCKET",
    "CIVITAS_S3_REGION",
    "CIVITAS_S3_ENDPOINT",
    "CIVITAS_S3_PATH_STYLE",
    "CIVITAS_S3_ACCESS_KEY",
    "CIVITAS_S3_SECRET_KEY",
    "CIVITAS_S3_TIMEOUT_SECONDS",
    "CIVITAS_S3_PRESIGNED_URL_SECONDS",
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
    /// Where files go: `None` is the local folder [`Settings::blobs_dir`] (the
    /// default), `Some` an S3 bucket.
    pub s3: Option<blob_s3::S3Settings>,
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

/// The S3 settings from the environment, then the file; `None` when no bucket is set
/// (files stay on disk). The secret key is read from `CIVITAS_S3_SECRET_KEY` or the
/// file only, never from a flag (flags show in `ps`), and never printed.
pub fn resolve_s3(file: &FileSettings) -> anyhow::Result<Option<blob_s3::S3Settings>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let Some(bucket) = env("CIVITAS_S3_BUCKET").or_else(|| file.s3_bucket.clone()).filter(|b| !b.trim().is_empty())
    else {
        let stray = [
            ("CIVITAS_S3_ENDPOINT", file.s3_endpoint.is_some()),
            ("CIVITAS_S3_ACCESS_KEY", file.s3_access_key.is_some()),
            ("CIVITAS_S3_SECRET_KEY", file.s3_secret_key.is_some()),
        ];
        if let Some((name, _)) = stray.iter().find(|(name, in_file)| *in_file || env(name).is_some()) {
            bail!("S3 storage: {name} (or its s3_* key in the settings file) is set but no bucket is: set CIVITAS_S3_BUCKET / s3_bucket too, or remove it");
        }
        return Ok(None);
    };
    let number = |name: &str, from_file: Option<u64>| -> anyhow::Result<Option<u64>> {
        match env(name) {
            Some(v) => Ok(Some(v.trim().parse().with_context(|| format!("{name}: a whole number of seconds"))?)),
            None => Ok(from_file),
        }
    };
    let path_style = match env("CIVITAS_S3_PATH_STYLE") {
        Some(v) => match v.trim() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" => false,
            other => bail!("CIVITAS_S3_PATH_STYLE {other:?}: true or false"),
        },
        None => file.s3_path_style.unwrap_or(false),
    };
    let access_key = env("CIVITAS_S3_ACCESS_KEY")
        .or_else(|| file.s3_access_key.clone())
        .context("S3 storage: the access key is missing (CIVITAS_S3_ACCESS_KEY or s3_access_key)")?;
    let secret_key = env("CIVITAS_S3_SECRET_KEY")
        .or_else(|| file.s3_secret_key.clone())
        .context("S3 storage: the secret key is missing (CIVITAS_S3_SECRET_KEY or s3_secret_key)")?;
    let timeout = number("CIVITAS_S3_TIMEOUT_SECONDS", file.s3_timeout_seconds)?.unwrap_or(30);
    if timeout == 0 {
        bail!("S3 storage: the timeout must be at least one second");
    }
    let presigned = number("CIVITAS_S3_PRESIGNED_URL_SECONDS", file.s3_presigned_url_seconds)?.filter(|s| *s > 0);
    Ok(Some(blob_s3::S3Settings {
        bucket,
        region: env("CIVITAS_S3_REGION").or_else(|| file.s3_region.clone()).unwrap_or_else(|| "us-east-1".into()),
        endpoint: env("CIVITAS_S3_ENDPOINT").or_else(|| file.s3_endpoint.clone()),
        path_style,
        access_key,
        secret_key: secret_key.into(),
        timeout: Duration::from_secs(timeout),
        presigned_url_ttl: presigned.map(Duration::from_secs),
    }))
}

/// Where the themes are: the setting, else `./themes`, else the source tree's.
pub fn default_themes_dir() -> PathBuf {
    let local = PathBuf::from("themes");
    if local.join("default").is_dir() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../themes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The environment is left alone (tests run in parallel): no CIVITAS_S3_* is set here.
    #[test]
    fn s3_settings_need_a_bucket_and_both_keys_and_the_secret_never_prints() {
        assert!(resolve_s3(&FileSettings::default()).unwrap().is_none(), "files stay on disk by default");
        let keys_only = FileSettings { s3_access_key: Some("ak".into()), ..FileSettings::default() };
        let err = resolve_s3(&keys_only).unwrap_err().to_string();
        assert!(err.contains("no bucket"), "{err}");
        let no_secret = FileSettings {
            s3_bucket: Some("files".into()),
            s3_access_key: Some("ak".into()),
            ..FileSettings::default()
        };
        assert!(resolve_s3(&no_secret).unwrap_err().to_string().contains("secret key is missing"));
        let full = FileSettings {
            s3_bucket: Some("files".into()),
            s3_endpoint: Some("http://127.0.0.1:8333".into()),
            s3_path_style: Some(true),
            s3_access_key: Some("ak".into()),
            s3_secret_key: Some("very-secret".into()),
            s3_presigned_url_seconds: Some(60),
            ..FileSettings::default()
        };
        let s3 = resolve_s3(&full).unwrap().unwrap();
        assert_eq!((s3.region.as_str(), s3.path_style, s3.timeout), ("us-east-1", true, Duration::from_secs(30)));
        assert_eq!(s3.presigned_url_ttl, Some(Duration::from_secs(60)));
        assert!(!format!("{s3:?}").contains("very-secret"));
    }
}
