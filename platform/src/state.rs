//! What every request handler can reach, built once at start.
use std::net::IpAddr;
use std::sync::Arc;

use tenant_core::blob::BlobStore;
use tenant_core::{Db, Directory};

use crate::identity::Identity;
use crate::metrics::Metrics;
use crate::page_cache::PageCache;
use crate::themes::Themes;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub directory: Arc<Directory>,
    pub themes: Arc<Themes>,
    pub cache: Arc<PageCache>,
    pub metrics: Arc<Metrics>,
    pub blobs: Arc<dyn BlobStore>,
    /// Peers whose forwarded headers are believed.
    pub trusted_proxies: Arc<[IpAddr]>,
    /// Accounts, sessions, mail, identity providers.
    pub identity: Arc<Identity>,
    /// Which tenants' places changed (told by the directory watcher).
    pub versions: Arc<tenant_core::content_versions::ContentVersions>,
    /// Component pages' places, kept until their tenant's version moves.
    pub places: Arc<tenant_core::spaces::PlaceCache>,
    /// Rendered pieces of pages shared by every visitor (proposal cards).
    pub fragments: Arc<crate::fragment_cache::FragmentCache>,
    /// The tenant hosts' TLS certificates (empty unless `serve --https`).
    pub certificates: Arc<crate::tls::CertStore>,
    /// Anonymous petition signatures, recorded in batches.
    pub signatures: Arc<crate::modules::petitions::queue::SignatureQueue>,
    /// Participatory budget results, kept under a digest of their inputs.
    pub budget_results: Arc<crate::modules::budgets::results::ResultsCache>,
}
