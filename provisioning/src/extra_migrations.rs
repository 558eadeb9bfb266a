//! The embedded tenant migrations plus extra ones read from a folder at run time.
//!
//! Only for benchmarks and tests (`CIVITAS_TEST_EXTRA_TENANT_MIGRATIONS`): they
//! need "one new migration" for the upgrade job to apply to a binary already
//! built, as the next release would bring. The folder has diesel's layout
//! (`<version>_<name>/up.sql`, `down.sql`); the create and upgrade jobs run the
//! embedded set and these, in version order.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel_migrations::FileBasedMigrations;
use tenant_core::migrations::TENANT;
use tenant_core::{CoreError, CoreResult};

use crate::create_tenant::MigrationsFactory;

struct EmbeddedAndExtra {
    dir: PathBuf,
}

impl MigrationSource<Pg> for EmbeddedAndExtra {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        let mut all = MigrationSource::<Pg>::migrations(&TENANT)?;
        all.extend(MigrationSource::<Pg>::migrations(&FileBasedMigrations::from_path(&self.dir)?)?);
        Ok(all)
    }
}

/// The embedded set followed by the migrations in `dir`. Fails now when the folder
/// is not a diesel migrations folder, holds nothing, or reuses an embedded version.
pub fn embedded_and_extra(dir: &Path) -> CoreResult<(MigrationsFactory, Vec<String>)> {
    let bad =
        |e: &dyn std::fmt::Display| CoreError::Migration(format!("extra tenant migrations in {}: {e}", dir.display()));
    let extra = MigrationSource::<Pg>::migrations(&FileBasedMigrations::from_path(dir).map_err(|e| bad(&e))?)
        .map_err(|e| bad(&e))?;
    let embedded: Vec<String> = MigrationSource::<Pg>::migrations(&TENANT)
        .map_err(|e| bad(&e))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let versions: Vec<String> = extra.iter().map(|m| m.name().version().to_string()).collect();
    if versions.is_empty() {
        return Err(bad(&"no migration found"));
    }
    if let Some(clash) = versions.iter().find(|v| embedded.contains(v)) {
        return Err(bad(&format!("version {clash} is already an embedded migration")));
    }
    let dir = dir.to_path_buf();
    let factory: MigrationsFactory = Arc::new(move || Box::new(EmbeddedAndExtra { dir: dir.clone() }));
    Ok((factory, versions))
}
