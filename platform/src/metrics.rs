//! Every metric Civitas exports, in one place. Names and labels are fixed here;
//! `deploy/` dashboards and alert rules use exactly these (checked by
//! `deploy/check-ops-files.sh`). The `tenant` label only takes tenant slugs, a set
//! bounded by the catalog, or `_none`.
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use tenant_core::names::ClusterName;
use tenant_core::{Directory, PoolStatus};

use crate::page_cache::PageCache;

pub struct Metrics {
    registry: Registry,
    /// Requests answered on tenant hosts, by tenant and status class.
    pub requests: IntCounterVec,
    /// Time to answer a request on the tenant listener.
    pub latency: Histogram,
    pool_connections: IntGaugeVec,
    pool_max: IntGaugeVec,
    pool_waiting: IntGaugeVec,
    pool_failures: IntCounterVec,
    tenants: IntGaugeVec,
    directory_reloads: IntCounter,
    directory_last_reload: IntGauge,
    cache_hits: IntCounter,
    cache_misses: IntCounter,
    memory_caches: IntCounterVec,
    /// Provisioning job attempts by kind and outcome (succeeded, retried, failed).
    pub jobs: IntCounterVec,
    /// Time a provisioning job attempt took, by kind.
    pub job_duration: prometheus::HistogramVec,
    upgrade_total: IntGauge,
    upgrade_done: IntGauge,
    upgrade_failed: IntGauge,
    tls_expiry: IntGaugeVec,
    backup_last_success: IntGaugeVec,
    backup_never: IntGauge,
    backup_catalog_last_success: IntGauge,
}

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("civitas_http_requests_total", "Requests answered on tenant hosts, by tenant and status class."),
            &["tenant", "status_class"],
        )?;
        let latency = Histogram::with_opts(
            HistogramOpts::new(
                "civitas_http_request_duration_seconds",
                "Time to answer a request on the tenant listener.",
            )
            .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new("civitas_db_pool_connections", "Database connections in the pool, by cluster and state."),
            &["cluster", "state"],
        )?;
        let pool_max = IntGaugeVec::new(
            Opts::new("civitas_db_pool_max_connections", "Largest size the pool may reach, by cluster."),
            &["cluster"],
        )?;
        let pool_waiting = IntGaugeVec::new(
            Opts::new("civitas_db_pool_waiting", "Requests waiting for a database connection, by cluster."),
            &["cluster"],
        )?;
        let pool_failures = IntCounterVec::new(
            Opts::new(
                "civitas_db_pool_checkout_failures_total",
                "Times no database connection could be had in time, by cluster.",
            ),
            &["cluster"],
        )?;
        let tenants =
            IntGaugeVec::new(Opts::new("civitas_tenants", "Tenants in the directory, by status."), &["status"])?;
        let directory_reloads =
            IntCounter::new("civitas_directory_reloads_total", "Times the tenant directory was reloaded.")?;
        let directory_last_reload = IntGauge::new(
            "civitas_directory_last_reload_timestamp_seconds",
            "Unix time of the last successful directory reload.",
        )?;
        let cache_hits = IntCounter::new("civitas_page_cache_hits_total", "Pages served from the page cache.")?;
        let cache_misses = IntCounter::new("civitas_page_cache_misses_total", "Cacheable pages rendered afresh.")?;
        let memory_caches = IntCounterVec::new(
            Opts::new(
                "civitas_memory_cache_lookups_total",
                "Lookups in the in-memory caches: place (component pages' spaces) and fragment (proposal cards).",
            ),
            &["cache", "outcome"],
        )?;
        let jobs = IntCounterVec::new(
            Opts::new("civitas_provisioning_jobs_total", "Provisioning job attempts, by kind and outcome."),
            &["kind", "outcome"],
        )?;
        let job_duration = prometheus::HistogramVec::new(
            HistogramOpts::new("civitas_provisioning_job_duration_seconds", "Time a provisioning job attempt took.")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0]),
            &["kind"],
        )?;
        // Known series start at zero, so dashboards and alerts see them before the first job.
        for kind in ["create_tenant", "upgrade_tenants", "purge_tenant", "export_tenant"] {
            for outcome in ["succeeded", "retried", "failed"] {
                jobs.with_label_values(&[kind, outcome]);
            }
            job_duration.with_label_values(&[kind]);
        }
        let upgrade_total = IntGauge::new(
            "civitas_upgrade_tenants_total",
            "Tenants the latest upgrade job run by this process covers (0 before any).",
        )?;
        let upgrade_done = IntGauge::new(
            "civitas_upgrade_tenants_done",
            "Tenants of the latest upgrade job upgraded so far, earlier attempts included.",
        )?;
        let upgrade_failed = IntGauge::new(
            "civitas_upgrade_tenants_failed",
            "Tenants whose upgrade failed in the latest upgrade job attempt (retried later).",
        )?;
        let tls_expiry = IntGaugeVec::new(
            Opts::new(
                "civitas_tls_certificate_expiry_timestamp_seconds",
                "When each tenant host's TLS certificate stops being valid (serve --https), Unix seconds.",
            ),
            &["host"],
        )?;
        let backup_last_success = IntGaugeVec::new(
            Opts::new(
                "civitas_backup_last_success_timestamp_seconds",
                "When each tenant's last successful backup finished (civitas backup), Unix seconds.",
            ),
            &["tenant"],
        )?;
        let backup_never = IntGauge::new(
            "civitas_backup_tenants_without_backup",
            "Tenants (not being deleted) that have no successful backup yet.",
        )?;
        let backup_catalog_last_success = IntGauge::new(
            "civitas_backup_catalog_last_success_timestamp_seconds",
            "When the catalog's last successful backup finished, Unix seconds (0: never).",
        )?;
        let build_info = IntGaugeVec::new(Opts::new("civitas_build_info", "Civitas build, value 1."), &["version"])?;
        build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(pool_waiting.clone()))?;
        registry.register(Box::new(pool_failures.clone()))?;
        registry.register(Box::new(tenants.clone()))?;
        registry.register(Box::new(directory_reloads.clone()))?;
        registry.register(Box::new(directory_last_reload.clone()))?;
        registry.register(Box::new(cache_hits.clone()))?;
        registry.register(Box::new(cache_misses.clone()))?;
        registry.register(Box::new(memory_caches.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(job_duration.clone()))?;
        registry.register(Box::new(upgrade_total.clone()))?;
        registry.register(Box::new(upgrade_done.clone()))?;
        registry.register(Box::new(upgrade_failed.clone()))?;
        registry.register(Box::new(tls_expiry.clone()))?;
        registry.register(Box::new(backup_last_success.clone()))?;
        registry.register(Box::new(backup_never.clone()))?;
        registry.register(Box::new(backup_catalog_last_success.clone()))?;
        registry.register(Box::new(build_info))?;
        Ok(Self {
            registry,
            requests,
            latency,
            pool_connections,
            pool_max,
            pool_waiting,
            pool_failures,
            tenants,
            directory_reloads,
            directory_last_reload,
            cache_hits,
            cache_misses,
            memory_caches,
            jobs,
            job_duration,
            upgrade_total,
            upgrade_done,
            upgrade_failed,
            tls_expiry,
            backup_last_success,
            backup_never,
            backup_catalog_last_success,
        })
    }

    /// Counts one answered request.
    pub fn observe(&self, tenant: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests.with_label_values(&[tenant, class]).inc();
        self.latency.observe(seconds);
    }

    /// The text exposition, with gauges read fresh from their sources.
    /// `memory`: each in-memory cache's name, hits and misses. `backups`: the catalog's
    /// record of them, when it could be read (the last values stay otherwise).
    pub fn render(
        &self,
        pools: &[(ClusterName, PoolStatus)],
        directory: &Directory,
        cache: &PageCache,
        memory: &[(&str, &std::sync::atomic::AtomicU64, &std::sync::atomic::AtomicU64)],
        certificates: &[(String, i64)],
        backups: Option<&provisioning::backups::BackupsHealth>,
    ) -> String {
        use std::sync::atomic::Ordering;
        // One series per cluster whose pool this process opened (the bounded set of
        // clusters in the catalog).
        for (cluster, pool) in pools {
            let cluster = cluster.as_str();
            self.pool_connections.with_label_values(&[cluster, "idle"]).set(i64::from(pool.idle));
            self.pool_connections.with_label_values(&[cluster, "in_use"]).set(i64::from(pool.in_use));
            self.pool_max.with_label_values(&[cluster]).set(i64::from(pool.max_size));
            self.pool_waiting.with_label_values(&[cluster]).set(pool.waiting);
            catch_up(&self.pool_failures.with_label_values(&[cluster]), pool.checkout_failures);
        }
        for (status, n) in directory.snapshot().count_by_status() {
            self.tenants.with_label_values(&[status.as_str()]).set(n as i64);
        }
        catch_up(&self.directory_reloads, directory.reload_count());
        self.directory_last_reload.set(directory.last_reload_unix() as i64);
        catch_up(&self.cache_hits, cache.hits.load(Ordering::Relaxed));
        catch_up(&self.cache_misses, cache.misses.load(Ordering::Relaxed));
        for (name, hits, misses) in memory {
            catch_up(&self.memory_caches.with_label_values(&[name, "hit"]), hits.load(Ordering::Relaxed));
            catch_up(&self.memory_caches.with_label_values(&[name, "miss"]), misses.load(Ordering::Relaxed));
        }
        self.tls_expiry.reset();
        for (host, at) in certificates {
            self.tls_expiry.with_label_values(&[host]).set(*at);
        }
        if let Some(b) = backups {
            self.backup_last_success.reset();
            for (tenant, at) in &b.last_success {
                self.backup_last_success.with_label_values(&[tenant]).set(*at);
            }
            self.backup_never.set(b.never_backed_up);
            self.backup_catalog_last_success.set(b.catalog_last_success);
        }
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Brings a Prometheus counter up to a monotonic count kept elsewhere.
fn catch_up(counter: &IntCounter, total: u64) {
    let have = counter.get();
    if total > have {
        counter.inc_by(total - have);
    }
}

impl Metrics {
    /// Records one finished provisioning job attempt.
    pub fn observe_job(&self, kind: &str, outcome: &str, seconds: f64) {
        self.jobs.with_label_values(&[kind, outcome]).inc();
        self.job_duration.with_label_values(&[kind]).observe(seconds);
    }

    /// Records how far a job with one step per tenant has gone (the upgrade).
    pub fn observe_job_progress(&self, kind: &str, progress: provisioning::jobs::StepProgress) {
        if kind == provisioning::upgrade_tenants::KIND {
            self.upgrade_total.set(progress.total as i64);
            self.upgrade_done.set(progress.done as i64);
            self.upgrade_failed.set(progress.failed as i64);
        }
    }
}
