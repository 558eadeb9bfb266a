//! The `civitas` command line.
use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "civitas", version, about = "Civitas: participatory democracy for many institutions, one binary")]
pub struct Cli {
    /// A TOML settings file (unknown keys are refused).
    #[arg(long, global = true, env = "CIVITAS_CONFIG")]
    pub config: Option<PathBuf>,
    /// PostgreSQL URL. When absent, an embedded cluster under the data folder is used.
    #[arg(long, global = true, env = "CIVITAS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Folder for the embedded database and stored files.
    #[arg(long, global = true, env = "CIVITAS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The master key file (32 bytes, base64, mode 0600); created when missing.
    #[arg(long, global = true, env = "CIVITAS_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Older master key files still accepted while secrets are re-sealed.
    #[arg(long, global = true, env = "CIVITAS_PREVIOUS_MASTER_KEY_FILES", value_delimiter = ',')]
    pub previous_master_key_files: Vec<PathBuf>,
    /// The platform's mail server, `smtp://user:password@host:587?tls=starttls`. When
    /// absent, messages are written as `.eml` files under `<data dir>/mail/<tenant>/`.
    #[arg(long, global = true, env = "CIVITAS_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The default sender of tenant mail (the tenant's name is shown as the sender name).
    #[arg(long, global = true, env = "CIVITAS_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// How people reach the tenant sites, for links in mail: `https` (the default), or
    /// `http` in development.
    #[arg(long, global = true, env = "CIVITAS_SITE_SCHEME")]
    pub site_scheme: Option<String>,
    /// The port in links to the tenant sites, when not the scheme's default.
    #[arg(long, global = true, env = "CIVITAS_SITE_PORT")]
    pub site_port: Option<u16>,
    /// Folder holding the themes (`default/` and the others).
    #[arg(long, global = true, env = "CIVITAS_THEMES_DIR")]
    pub themes_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the tenant sites and the ops listener.
    Serve(ServeArgs),
    /// Run catalog migrations, then the tenant migrations in every tenant schema.
    Migrate,
    /// Create, list, show, suspend and resume tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Start the embedded database, create demo tenants with sample content, and serve them.
    Demo(ServeArgs),
    /// The provisioning service alone (staff API and console, and the job workers).
    #[command(subcommand)]
    Provision(ProvisionCommand),
    /// Staff accounts and their API tokens.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Secrets at rest.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Notifications.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// Back up every tenant (or those named) and the catalog into the file store;
    /// `civitas backup list` shows what exists. See deploy/BACKUPS.md.
    Backup(BackupArgs),
    /// Restore one tenant from one of its backups, leaving every other tenant alone.
    Restore(RestoreArgs),
    /// The PostgreSQL clusters tenants are placed on (`main` holds the catalog).
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Tenants' files in the file store.
    #[command(subcommand)]
    Files(FilesCommand),
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Remove the files no row names (uploads whose row was never written), older
    /// than a grace period; exports and backups are left alone.
    Sweep {
        /// Only these tenants (repeatable); default: every active or suspended one.
        #[arg(long = "tenant")]
        tenants: Vec<String>,
        /// Keep unnamed files written less than this many minutes ago (an upload on
        /// its way to its row).
        #[arg(long, default_value_t = 60)]
        older_than_minutes: u32,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Register a cluster (its URL is checked by connecting, then stored sealed with
    /// the master key; it is never printed).
    Add {
        name: String,
        /// postgresql://user:password@host:port/database
        #[arg(long, env = "CIVITAS_CLUSTER_URL", hide_env_values = true)]
        url: String,
        /// How many tenants it is meant to hold.
        #[arg(long)]
        capacity: i32,
    },
    /// List clusters: name, tenants, capacity, status (no URL).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Change a cluster's capacity, or open/close it to new tenants.
    Set {
        name: String,
        #[arg(long)]
        capacity: Option<i32>,
        /// `open` (takes new tenants) or `closed` (keeps its own, takes no more).
        #[arg(long)]
        status: Option<String>,
    },
    /// Remove a cluster that holds no tenant.
    Remove { name: String },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// Back up only these tenants (repeatable); default: every active or suspended one.
    #[arg(long = "tenant")]
    pub tenants: Vec<String>,
    /// Leave the catalog out.
    #[arg(long)]
    pub no_catalog: bool,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// The latest backup of each tenant and of the catalog, or every backup of one tenant.
    List {
        slug: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove backups older than --keep-days, except each tenant's --keep-last latest
    /// successful ones, and the file copies only they needed.
    Prune {
        #[arg(long, default_value_t = 30)]
        keep_days: u32,
        #[arg(long, default_value_t = 7)]
        keep_last: u32,
    },
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The tenant to restore.
    pub slug: String,
    /// `latest` (the default) or a backup id from `civitas backup list SLUG`.
    #[arg(long, default_value = "latest")]
    pub backup: String,
}

#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// Send every notification digest that is due now, on every active tenant (one
    /// pass of what `civitas serve` does every --digest-interval-seconds).
    SendDigests,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every stored secret with the current master key. Run it after
    /// pointing CIVITAS_MASTER_KEY_FILE at a new key and listing the old one in
    /// CIVITAS_PREVIOUS_MASTER_KEY_FILES; then the old key can be retired.
    Rotate,
    /// Write a new master key file (mode 0600); refuses to overwrite one.
    GenerateKey {
        /// Where to write it.
        path: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProvisionCommand {
    /// Serve the provisioning API on --provisioning and run provisioning jobs.
    Serve(ServeArgs),
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff account and print its one-time setup link (password and TOTP).
    Create {
        #[arg(long)]
        email: String,
    },
    /// Issue an API token for a staff account; the token is printed once.
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The staff account that owns the token.
    #[arg(long)]
    pub email: String,
    /// What the token is for (shown in the audit log).
    #[arg(long)]
    pub name: String,
    /// read, write (write implies read).
    #[arg(long = "scope", required = true, value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Days until the token expires (1 to 366).
    #[arg(long, default_value_t = 30)]
    pub days: i64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address for the tenant sites.
    #[arg(long = "http", env = "CIVITAS_HTTP_ADDR")]
    pub http: Option<String>,
    /// Address for the tenant sites over TLS, each host with its own certificate
    /// (`civitas tenant certificate`); the HTTP address then redirects here.
    #[arg(long = "https", env = "CIVITAS_HTTPS_ADDR")]
    pub https: Option<String>,
    /// Address for /metrics, /healthz and /readyz (never served on tenant hosts).
    #[arg(long = "ops", env = "CIVITAS_OPS_ADDR")]
    pub ops: Option<String>,
    /// Address for the provisioning API (staff only; never on tenant hosts).
    #[arg(long = "provisioning", env = "CIVITAS_PROVISIONING_ADDR")]
    pub provisioning: Option<String>,
    /// A proxy whose X-Forwarded-Host / X-Forwarded-Proto headers are believed.
    #[arg(long = "trusted-proxy", env = "CIVITAS_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    /// Database connections in the pool (default: two per core, 4 to 32).
    #[arg(long, env = "CIVITAS_POOL_SIZE")]
    pub pool_size: Option<u32>,
    /// Distinct tenants a pooled connection may serve before it is replaced (default
    /// 1000). Each PostgreSQL backend keeps about 0.4 MB of catalog cache per tenant
    /// it has served; a replaced one starts cold, so below the tenants a cluster holds
    /// throughput drops (BENCHMARKS.md, "Many tenants").
    #[arg(long, env = "CIVITAS_POOL_MAX_TENANTS")]
    pub pool_max_tenants: Option<usize>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "CIVITAS_WORKERS")]
    pub workers: Option<usize>,
    /// How long an anonymous page may be served from memory, in milliseconds (0: never).
    #[arg(long, env = "CIVITAS_PAGE_CACHE_MS")]
    pub page_cache_ms: Option<u64>,
    /// Seconds between two passes of the notification digest sender (default 60;
    /// 0: no sender in this process).
    #[arg(long, env = "CIVITAS_DIGEST_INTERVAL_SECONDS")]
    pub digest_interval_seconds: Option<u64>,
    /// Do not run pending migrations at start.
    #[arg(long)]
    pub no_migrate: bool,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant: schema t_<slug>, migrations, hosts. All or nothing.
    Create(CreateArgs),
    /// List tenants.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one tenant as JSON.
    Show { slug: String },
    /// Take a tenant offline: its hosts answer 503 with a maintenance page.
    Suspend { slug: String },
    /// Bring a suspended tenant back.
    Resume { slug: String },
    /// Set the TLS certificate of one of a tenant's hosts (PEM chain and private key
    /// files, absolute paths, readable by the serving processes), or remove it.
    /// `civitas serve --https` picks it up within seconds, and again whenever the files
    /// are replaced (renewal): no restart.
    Certificate {
        slug: String,
        host: String,
        /// The certificate chain (PEM), the host's certificate first.
        #[arg(long, required_unless_present = "remove")]
        cert: Option<PathBuf>,
        /// Its private key (PEM).
        #[arg(long, required_unless_present = "remove")]
        key: Option<PathBuf>,
        /// Remove the host's certificate instead.
        #[arg(long, conflicts_with_all = ["cert", "key"])]
        remove: bool,
    },
    /// Move a tenant's schema to another database cluster. The tenant is read-only
    /// meanwhile (writes answer 503, pages are served); on failure it stays whole on
    /// its cluster and writable.
    Move {
        slug: String,
        /// The cluster to move it to.
        #[arg(long)]
        cluster: String,
        /// Seconds the serving processes get to see the read-only flag before the
        /// copy, and the new cluster before the old copy is dropped.
        #[arg(long, default_value_t = 2.0)]
        pause_seconds: f64,
    },
    /// Restore an export archive as a new tenant (all or nothing).
    Import {
        /// The `.tar.gz` downloaded from an export.
        archive: PathBuf,
        /// The new tenant's slug.
        #[arg(long)]
        slug: String,
        /// Its host names; the first is the primary.
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    /// Host names; the first is the primary, the others redirect to it.
    #[arg(long = "host", required = true)]
    pub hosts: Vec<String>,
    /// Interface languages; the first is the default (fr when none is given).
    #[arg(long = "locale")]
    pub locales: Vec<String>,
    /// Participation modules to switch on.
    #[arg(long = "module")]
    pub modules: Vec<String>,
    #[arg(long)]
    pub theme: Option<String>,
    /// Primary colour, #RRGGBB.
    #[arg(long)]
    pub color: Option<String>,
    /// A short presentation shown on the home page (in the default locale).
    #[arg(long)]
    pub description: Option<String>,
    /// A logo file (PNG, JPEG, WebP or SVG, at most 1 MiB).
    #[arg(long)]
    pub logo: Option<PathBuf>,
    /// The database cluster to place it on (default: the least loaded open one).
    #[arg(long)]
    pub cluster: Option<String>,
}
