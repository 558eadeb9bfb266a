//! Opening the database the settings point to (or the embedded one) and building the
//! shared state.
use std::sync::Arc;

use anyhow::Context;
use tenant_core::blob::{BlobStore, LocalBlobStore};
use tenant_core::db::embedded::EmbeddedPostgres;
use tenant_core::mail::{Mailer, SmtpSettings, Transport};
use tenant_core::{migrations, DatabaseUrl, Db, Directory};

use crate::commands::serve::keyring;
use crate::identity::Identity;
use crate::metrics::Metrics;
use crate::page_cache::PageCache;
use crate::settings::Settings;
use crate::state::AppState;
use crate::themes::Themes;

/// A database pool, and the embedded cluster behind it when there is one (stopped
/// when this value drops, unless another process still uses it).
pub struct Database {
    pub db: Db,
    /// Catalog migrations this start applied (empty when it was up to date).
    pub catalog_applied: Vec<String>,
    /// Held for its `Drop`, which stops the cluster when no other process uses it.
    _embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects (starting the embedded cluster if no URL is set) and brings the
    /// catalog schema up to date.
    pub fn open(settings: &Settings) -> anyhow::Result<Self> {
        let (url, embedded) = match &settings.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let pg = EmbeddedPostgres::start(&settings.embedded_pg_dir())?;
                (DatabaseUrl::new(pg.url()), Some(pg))
            }
        };
        let db = Db::new(url, &settings.pool);
        // Other clusters' URLs are sealed: they open with the master key, when there
        // is one (there is none until a first cluster is added or a server started).
        if settings.master_key_file.exists() {
            db.set_keyring(Arc::new(keyring(settings)?));
        }
        let conn = db.dedicated().context("connecting to PostgreSQL")?;
        let catalog_applied = migrations::run_catalog(conn)?;
        for version in &catalog_applied {
            tracing::info!(%version, "catalog migration applied");
        }
        Ok(Self { db, catalog_applied, _embedded: embedded })
    }
}

/// Everything the HTTP layer shares, ready to serve.
pub fn build_state(settings: &Settings, db: Db) -> anyhow::Result<AppState> {
    let themes = Themes::load(&settings.themes_dir)?;
    let keyring = Arc::new(keyring(settings)?);
    db.set_keyring(Arc::clone(&keyring));
    let identity = Arc::new(Identity::new(db.clone(), keyring, mailer(settings)?));
    let signatures = crate::modules::petitions::queue::SignatureQueue::new(db.clone());
    Ok(AppState {
        db,
        directory: Arc::new(Directory::default()),
        themes: Arc::new(themes),
        cache: Arc::new(PageCache::new(settings.page_cache_ttl)),
        metrics: Arc::new(Metrics::new()?),
        blobs: blob_store(settings)?,
        trusted_proxies: settings.trusted_proxies.clone().into(),
        identity,
        versions: Arc::default(),
        places: Arc::default(),
        fragments: Arc::default(),
        signatures: Arc::new(signatures),
        certificates: Arc::default(),
        budget_results: Arc::default(),
    })
}

/// The file store the settings name: an S3 bucket, checked now (a wrong key or an
/// unreachable server stops the start with the reason), else the local folder.
pub fn blob_store(settings: &Settings) -> anyhow::Result<Arc<dyn BlobStore>> {
    let Some(s3) = &settings.s3 else { return Ok(Arc::new(LocalBlobStore::new(settings.blobs_dir()))) };
    let store = blob_s3::S3BlobStore::new(s3)?;
    store.check().with_context(|| {
        let at = s3.endpoint.as_deref().unwrap_or("AWS");
        format!("S3 storage: bucket {:?} at {at} (region {}) does not answer as expected", s3.bucket, s3.region)
    })?;
    tracing::info!(bucket = %s3.bucket, endpoint = s3.endpoint.as_deref().unwrap_or("AWS"), "files are stored on S3");
    Ok(Arc::new(store))
}

/// The platform's mailer: its SMTP server, or `.eml` files under the data dir.
pub fn mailer(settings: &Settings) -> anyhow::Result<Mailer> {
    let default = match &settings.smtp_url {
        Some(url) => Transport::Smtp(SmtpSettings::from_url(url)?),
        None => Transport::Files(settings.mail_dir()),
    };
    tenant_core::mail::check_sender(&settings.mail_from)?;
    Ok(Mailer { default, from: settings.mail_from.clone() })
}
