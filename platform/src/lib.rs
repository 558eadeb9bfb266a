//! `platform`: the actix-web application and the `civitas` binary.
//!
//! It owns HTTP: host routing, extractors, module handlers, templates, metrics. It
//! reaches the database only through `tenant-core`, and tenants' lifecycle only
//! through `provisioning`. No process-wide "current tenant" exists: tenant, user
//! and locale are values carried by each request.
pub mod app;
pub mod cli;
pub mod commands;
pub mod fragment_cache;
pub mod http;
pub mod identity;
pub mod metrics;
pub mod modules;
pub mod ops;
pub mod page_cache;
pub mod runtime;
pub mod settings;
pub mod state;
pub mod theme_messages;
pub mod themes;
pub mod tls;

use std::time::Duration;

use cli::{Cli, ServeArgs};
use settings::{default_themes_dir, FileSettings, Settings};
use tenant_core::{DatabaseUrl, PoolOptions};

/// Merges defaults, the settings file, the environment and the flags.
pub fn resolve_settings(cli: &Cli, serve: Option<&ServeArgs>) -> anyhow::Result<Settings> {
    let file = match &cli.config {
        Some(path) => FileSettings::load(path)?,
        None => FileSettings::default(),
    };
    let s3 = settings::resolve_s3(&file)?;
    let database_url = cli.database_url.clone().or(file.database_url).filter(|u| !u.trim().is_empty());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let workers = serve.and_then(|s| s.workers).or(file.workers).unwrap_or(cores);
    // Two connections per core (at least 4): more let PostgreSQL's backends and the
    // server's threads preempt one another on the same cores, and lengthen the slowest
    // requests (BENCHMARKS.md, "Participation core": 8 against 4 on 2 cores).
    let pool_size = serve.and_then(|s| s.pool_size).or(file.pool_size).unwrap_or_else(|| default_pool_size(cores));
    let pool_max_tenants = serve
        .and_then(|s| s.pool_max_tenants)
        .or(file.pool_max_tenants)
        .unwrap_or(tenant_core::DEFAULT_MAX_TENANTS_PER_CONNECTION);
    if pool_size == 0 || workers == 0 || pool_max_tenants == 0 {
        anyhow::bail!("pool size, pool max tenants and workers must be at least 1");
    }
    let trusted = match serve {
        Some(s) if !s.trusted_proxies.is_empty() => s.trusted_proxies.clone(),
        _ => file.trusted_proxies.unwrap_or_default(),
    };
    let data_dir: std::path::PathBuf = cli.data_dir.clone().or(file.data_dir).unwrap_or_else(|| "var".into());
    let master_key_file =
        cli.master_key_file.clone().or(file.master_key_file).unwrap_or_else(|| data_dir.join("master.key"));
    let previous_master_key_files = if cli.previous_master_key_files.is_empty() {
        file.previous_master_key_files.unwrap_or_default()
    } else {
        cli.previous_master_key_files.clone()
    };
    Ok(Settings {
        s3,
        master_key_file,
        previous_master_key_files,
        database_url: database_url.map(DatabaseUrl::new),
        data_dir,
        themes_dir: cli.themes_dir.clone().or(file.themes_dir).unwrap_or_else(default_themes_dir),
        http_addr: serve.and_then(|s| s.http.clone()).or(file.http_addr).unwrap_or_else(|| "127.0.0.1:8080".into()),
        https_addr: serve.and_then(|s| s.https.clone()).or(file.https_addr),
        ops_addr: serve.and_then(|s| s.ops.clone()).or(file.ops_addr).unwrap_or_else(|| "127.0.0.1:9090".into()),
        provisioning_addr: serve
            .and_then(|s| s.provisioning.clone())
            .or(file.provisioning_addr)
            .unwrap_or_else(|| "127.0.0.1:8081".into()),
        trusted_proxies: trusted,
        pool: PoolOptions { size: pool_size, max_tenants_per_connection: pool_max_tenants, ..PoolOptions::default() },
        workers,
        site_scheme: match cli.site_scheme.clone().or(file.site_scheme).as_deref() {
            None | Some("https") => "https".into(),
            Some("http") => "http".into(),
            Some(other) => anyhow::bail!("site scheme {other:?}: http or https"),
        },
        site_port: cli.site_port.or(file.site_port),
        digest_interval: Duration::from_secs(
            serve.and_then(|s| s.digest_interval_seconds).or(file.digest_interval_seconds).unwrap_or(60),
        ),
        smtp_url: cli.smtp_url.clone().or(file.smtp_url).filter(|u| !u.trim().is_empty()),
        mail_from: cli
            .mail_from
            .clone()
            .or(file.mail_from)
            .unwrap_or_else(|| "Civitas <no-reply@civitas.localhost>".into()),
        page_cache_ttl: Duration::from_millis(
            serve.and_then(|s| s.page_cache_ms).or(file.page_cache_ms).unwrap_or(1000),
        ),
        extra_tenant_migrations: std::env::var_os("CIVITAS_TEST_EXTRA_TENANT_MIGRATIONS")
            .filter(|v| !v.is_empty())
            .map(Into::into),
    })
}

/// The database pool's size when none is set: two connections per core, 4 to 32.
pub fn default_pool_size(cores: usize) -> u32 {
    (cores.saturating_mul(2)).clamp(4, 32) as u32
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Command;

    fn resolved(args: &[&str]) -> anyhow::Result<Settings> {
        let cli = Cli::try_parse_from(args).expect("arguments parse");
        let Command::Serve(serve) = &cli.command else { panic!("not a serve command") };
        resolve_settings(&cli, Some(serve))
    }

    #[test]
    fn a_pooled_connection_serves_a_thousand_tenants_unless_told_otherwise() {
        let settings = resolved(&["civitas", "serve"]).unwrap();
        assert_eq!(settings.pool.max_tenants_per_connection, 1000);
        let settings = resolved(&["civitas", "serve", "--pool-max-tenants", "250"]).unwrap();
        assert_eq!(settings.pool.max_tenants_per_connection, 250);
        let error = resolved(&["civitas", "serve", "--pool-max-tenants", "0"]).unwrap_err();
        assert!(error.to_string().contains("pool max tenants"), "{error}");
    }
}
