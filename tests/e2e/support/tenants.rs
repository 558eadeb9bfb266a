//! Creating tenants and content for tests, through the same code as the CLI.
use std::process::Command;

use provisioning::TenantSpec;
use tenant_core::blob::LocalBlobStore;
use tenant_core::content::pages::{self, PageInput};
use tenant_core::names::Locale;
use tenant_core::{Db, Tenant};

use super::app::{temp_dir, workspace};

pub fn spec(slug: &str, hosts: &[&str], modules: &[&str]) -> TenantSpec {
    let hosts: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
    let modules: Vec<String> = modules.iter().map(|m| (*m).to_owned()).collect();
    TenantSpec::parse(
        slug,
        &format!("Tenant {slug}"),
        &hosts,
        &["fr".to_owned(), "en".to_owned()],
        &modules,
        None,
        Some("#123456"),
        Some(&format!("Description of {slug}")),
    )
    .expect("valid spec")
}

pub fn create(db: &Db, slug: &str, hosts: &[&str], modules: &[&str]) -> Tenant {
    let blobs = std::sync::Arc::new(LocalBlobStore::new(temp_dir("blobs")));
    provisioning::create_tenant(db, blobs, spec(slug, hosts, modules), &provisioning::Actor::system())
        .expect("tenant created")
}

pub fn add_page(db: &Db, tenant: &Tenant, slug: &str, title: &str, body: &str) {
    db.tenant(tenant, |conn| {
        pages::upsert(
            conn,
            &PageInput {
                slug: slug.into(),
                locale: Locale::Fr,
                title: title.into(),
                summary: String::new(),
                body: body.into(),
                position: 0,
            },
        )
    })
    .expect("page written");
}

/// The `civitas` binary, pointed at a database and a scratch data folder.
pub fn civitas(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_civitas"));
    cmd.env("CIVITAS_DATABASE_URL", url)
        .env("CIVITAS_DATA_DIR", temp_dir("cli"))
        .env("CIVITAS_THEMES_DIR", workspace().join("themes"))
        .env("CIVITAS_LOG", "warn")
        .env_remove("CIVITAS_CONFIG");
    cmd
}

/// `civitas serve` in its own process (every listener on a free port of 127.0.0.1),
/// with `envs` on top of [`civitas`]'s; returns it and the addresses it printed for
/// the tenant sites and the ops listener. Its stderr goes to a file under `label`.
pub fn serve_process(
    url: &str,
    envs: &[(&str, &std::ffi::OsStr)],
    label: &str,
) -> (std::process::Child, std::net::SocketAddr, std::net::SocketAddr) {
    let s = serve_process_with(url, envs, &[], label);
    (s.child, s.http, s.ops)
}

/// A `civitas serve` process and the addresses it printed.
pub struct Served {
    pub child: std::process::Child,
    pub http: std::net::SocketAddr,
    /// With `--https`.
    pub https: Option<std::net::SocketAddr>,
    pub ops: std::net::SocketAddr,
    pub provisioning: Option<std::net::SocketAddr>,
    /// Its stderr.
    pub log: std::path::PathBuf,
}

/// [`serve_process`] with more arguments (`--https 127.0.0.1:0`...).
pub fn serve_process_with(url: &str, envs: &[(&str, &std::ffi::OsStr)], args: &[&str], label: &str) -> Served {
    use std::io::{BufRead, BufReader};
    let log = temp_dir(label).join("stderr");
    let mut cmd = civitas(url);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args(["serve", "--http", "127.0.0.1:0", "--ops", "127.0.0.1:0", "--provisioning", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("server log"))
        .spawn()
        .expect("civitas serve started");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut http, mut https, mut ops, mut provisioning) = (None, None, None, None);
    // The provisioning line comes last.
    while http.is_none() || ops.is_none() || provisioning.is_none() {
        let Some(line) = lines.next() else {
            panic!("the server stopped before serving: {}", std::fs::read_to_string(&log).unwrap_or_default());
        };
        let line = line.expect("a line");
        if let Some(rest) = line.strip_prefix("civitas: tenant sites on http://") {
            http = rest.trim().parse().ok();
        } else if let Some(rest) = line.strip_prefix("civitas: tenant sites over TLS on https://") {
            https = rest.trim().parse().ok();
        } else if let Some(rest) = line.strip_prefix("civitas: ops on http://") {
            ops = rest.split_whitespace().next().and_then(|a| a.parse().ok());
        } else if let Some(rest) = line.strip_prefix("civitas: provisioning on http://") {
            provisioning = rest.split_whitespace().next().and_then(|a| a.parse().ok());
        }
    }
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Served { child, http: http.expect("http"), https, ops: ops.expect("ops"), provisioning, log }
}
