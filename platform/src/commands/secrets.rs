//! `civitas secrets rotate | generate-key`: master key management.
use std::path::Path;

use tenant_core::secrets::MasterKey;

use crate::commands::serve::keyring;
use crate::runtime::Database;
use crate::settings::Settings;

pub fn rotate(settings: &Settings) -> anyhow::Result<()> {
    let keyring = keyring(settings)?;
    let database = Database::open(settings)?;
    let count = provisioning::identity_providers::reseal_all(&database.db, &keyring)?;
    println!("{count} secret(s) re-sealed with key {}", keyring.current_key_id());
    Ok(())
}

pub fn generate(path: &Path) -> anyhow::Result<()> {
    let key = MasterKey::generate_file(path)?;
    println!("new master key {} written to {} (mode 0600)", key.key_id(), path.display());
    Ok(())
}
