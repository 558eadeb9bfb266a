//! `civitas cluster add | list | set | remove`: the PostgreSQL clusters tenants are
//! placed on. A URL is never printed.
use provisioning::Actor;
use tenant_core::names::ClusterName;
use tenant_core::DatabaseUrl;

use crate::cli::ClusterCommand;
use crate::commands::serve::keyring;
use crate::runtime::Database;
use crate::settings::Settings;

pub fn run(settings: &Settings, command: ClusterCommand) -> anyhow::Result<()> {
    match command {
        ClusterCommand::Add { name, url, capacity } => {
            let name = ClusterName::parse(&name)?;
            let keyring = keyring(settings)?;
            let database = Database::open(settings)?;
            provisioning::clusters::add(
                &database.db,
                &keyring,
                &name,
                &DatabaseUrl::new(url),
                capacity,
                &Actor::cli(),
            )?;
            println!("cluster {name} added (capacity {capacity} tenants)");
            Ok(())
        }
        ClusterCommand::List { json } => {
            let database = Database::open(settings)?;
            let clusters = provisioning::clusters::list(&database.db)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&clusters)?);
            } else {
                println!("{:<20} {:>8} {:>9} STATUS", "NAME", "TENANTS", "CAPACITY");
                for c in &clusters {
                    println!("{:<20} {:>8} {:>9} {}", c.name, c.tenants, c.capacity, c.status);
                }
            }
            Ok(())
        }
        ClusterCommand::Set { name, capacity, status } => {
            let name = ClusterName::parse(&name)?;
            if capacity.is_none() && status.is_none() {
                anyhow::bail!("nothing to change: give --capacity and/or --status");
            }
            let database = Database::open(settings)?;
            provisioning::clusters::update(&database.db, &name, capacity, status.as_deref(), &Actor::cli())?;
            println!("cluster {name} updated");
            Ok(())
        }
        ClusterCommand::Remove { name } => {
            let name = ClusterName::parse(&name)?;
            let database = Database::open(settings)?;
            provisioning::clusters::remove(&database.db, &name, &Actor::cli())?;
            println!("cluster {name} removed");
            Ok(())
        }
    }
}
