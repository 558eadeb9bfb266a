//! `civitas tenant ...`: create, list, show, suspend, resume, move.
use anyhow::{bail, Context};

use provisioning::move_tenant::{move_tenant, MoveOptions};
use provisioning::{Actor, Logo, TenantSpec};
use tenant_core::names::{ClusterName, TenantSlug};
use tenant_core::{catalog, Tenant, TenantStatus};

use crate::cli::{CreateArgs, TenantCommand};
use crate::runtime::Database;
use crate::settings::Settings;

pub fn run(settings: &Settings, command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create(args) => {
            let spec = spec_from_args(settings, &args)?;
            let database = Database::open(settings)?;
            let blobs = crate::runtime::blob_store(settings)?;
            let tenant = provisioning::create_tenant(&database.db, blobs, spec, &Actor::cli())?;
            print_json(&tenant)
        }
        TenantCommand::List { json } => {
            let database = Database::open(settings)?;
            let tenants = database.db.catalog(catalog::load_all)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tenants)?);
            } else {
                print_table(&tenants);
            }
            Ok(())
        }
        TenantCommand::Show { slug } => {
            let slug = TenantSlug::parse(&slug)?;
            let database = Database::open(settings)?;
            let tenant = database.db.catalog(|conn| catalog::load_one(conn, &slug))?;
            print_json(&tenant)
        }
        TenantCommand::Import { archive, slug, hosts } => {
            let bytes = std::fs::read(&archive).with_context(|| format!("reading {}", archive.display()))?;
            let database = Database::open(settings)?;
            let blobs = crate::runtime::blob_store(settings)?;
            let tenant =
                provisioning::export_tenant::import_tenant(&database.db, blobs, &bytes, &slug, &hosts, &Actor::cli())?;
            print_json(&tenant)
        }
        TenantCommand::Certificate { slug, host, cert, key, remove } => {
            certificate(settings, &slug, &host, if remove { None } else { cert.zip(key) })
        }
        TenantCommand::Move { slug, cluster, pause_seconds } => {
            let slug = TenantSlug::parse(&slug)?;
            let cluster = ClusterName::parse(&cluster)?;
            if !(0.0..=600.0).contains(&pause_seconds) {
                bail!("--pause-seconds is 0 to 600");
            }
            let options = MoveOptions { pause: std::time::Duration::from_secs_f64(pause_seconds) };
            let database = Database::open(settings)?;
            let moved = move_tenant(&database.db, &slug, &cluster, options, &Actor::cli())?;
            if !moved.old_copy_dropped {
                eprintln!("warning: the old copy on cluster {} could not be dropped (see the log); drop schema t_{slug} there by hand", moved.from);
            }
            println!("{}", serde_json::to_string_pretty(&moved)?);
            Ok(())
        }
        TenantCommand::Suspend { slug } => set_status(settings, &slug, TenantStatus::Suspended),
        TenantCommand::Resume { slug } => set_status(settings, &slug, TenantStatus::Active),
    }
}

/// Checks everything that can be checked before touching the database.
pub fn spec_from_args(settings: &Settings, args: &CreateArgs) -> anyhow::Result<TenantSpec> {
    let mut spec = TenantSpec::parse(
        &args.slug,
        &args.name,
        &args.hosts,
        &args.locales,
        &args.modules,
        args.theme.as_deref(),
        args.color.as_deref(),
        args.description.as_deref(),
    )?;
    let theme = spec.theme.as_str();
    if !settings.themes_dir.join(theme).join("templates").is_dir() && theme != "default" {
        bail!("unknown theme {theme:?}: no folder {}", settings.themes_dir.join(theme).display());
    }
    spec.set_cluster(args.cluster.as_deref()).map_err(|e| anyhow::anyhow!("--cluster: {}", e.error))?;
    if let Some(path) = &args.logo {
        let bytes = std::fs::read(path).with_context(|| format!("reading the logo {}", path.display()))?;
        spec.logo = Some(Logo::parse(bytes)?);
    }
    Ok(spec)
}

/// Checks the files (they parse, the key matches, the certificate names the host),
/// then records their paths, with an audit entry.
fn certificate(
    settings: &Settings,
    slug: &str,
    host: &str,
    files: Option<(std::path::PathBuf, std::path::PathBuf)>,
) -> anyhow::Result<()> {
    let slug = TenantSlug::parse(slug)?;
    let host = tenant_core::names::HostName::parse(host)?;
    let files = match files {
        Some((cert, key)) => {
            let absolute = |p: std::path::PathBuf| std::path::absolute(&p).with_context(|| format!("{}", p.display()));
            Some((absolute(cert)?, absolute(key)?))
        }
        None => None,
    };
    let database = Database::open(settings)?;
    provisioning::host_certificates::set(&database.db, &slug, &host, files.clone(), &Actor::cli())?;
    match files {
        Some((cert, _)) => println!("{host}: certificate {} recorded", cert.display()),
        None => println!("{host}: certificate removed"),
    }
    Ok(())
}

fn set_status(settings: &Settings, slug: &str, status: TenantStatus) -> anyhow::Result<()> {
    let slug = TenantSlug::parse(slug)?;
    let database = Database::open(settings)?;
    let tenant = provisioning::set_tenant_status(&database.db, &slug, status, &Actor::cli())?;
    print_json(&tenant)
}

fn print_json(tenant: &Tenant) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(tenant)?);
    Ok(())
}

fn print_table(tenants: &[Tenant]) {
    println!("{:<20} {:<11} {:<12} {:<30} {:<8} NAME", "SLUG", "STATUS", "CLUSTER", "PRIMARY HOST", "LOCALES");
    for t in tenants {
        let locales: Vec<&str> = t.locales.iter().map(|l| l.as_str()).collect();
        let status = if t.read_only { format!("{} (ro)", t.status.as_str()) } else { t.status.as_str().to_owned() };
        println!(
            "{:<20} {:<11} {:<12} {:<30} {:<8} {}",
            t.slug,
            status,
            t.cluster,
            t.primary_host,
            locales.join(","),
            t.name
        );
    }
    println!("{} tenant(s)", tenants.len());
}
