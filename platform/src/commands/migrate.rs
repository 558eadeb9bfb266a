//! `civitas migrate`: the catalog, then every tenant schema, with a line per tenant.
use crate::runtime::Database;
use crate::settings::Settings;

pub fn run(settings: &Settings) -> anyhow::Result<()> {
    let database = Database::open(settings)?;
    if database.catalog_applied.is_empty() {
        println!("catalog: up to date");
    } else {
        println!("catalog: applied {}", database.catalog_applied.join(", "));
    }
    migrate_tenants(&database)
}

pub fn migrate_tenants(database: &Database) -> anyhow::Result<()> {
    let total = provisioning::migrate_all(&database.db, |p| {
        if p.applied.is_empty() {
            println!("[{}/{}] {}: up to date", p.index, p.total, p.slug);
        } else {
            println!("[{}/{}] {}: applied {}", p.index, p.total, p.slug, p.applied.join(", "));
        }
    })?;
    println!("{total} tenant schema(s) migrated");
    Ok(())
}
