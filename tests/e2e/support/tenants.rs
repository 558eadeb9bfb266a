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
