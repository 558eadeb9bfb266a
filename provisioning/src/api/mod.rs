//! The provisioning JSON API, `/api/v1/...` on the provisioning listener only
//! (never on tenant hosts). Documented in `provisioning/openapi.yaml`.
//!
//! Every route names the access it needs in its parameters ([`access::ReadAccess`],
//! [`access::WriteAccess`]), so a route without a valid token cannot run.
pub mod access;
pub mod audit_log;
pub mod backups;
pub mod body;
pub mod error;
pub mod jobs;
pub mod tenants;
pub mod upgrades;

use std::sync::Arc;

use actix_web::web;
use tenant_core::blob::BlobStore;
use tenant_core::secrets::Keyring;
use tenant_core::Db;

use crate::console::limiter::SignInLimiter;
use crate::console::Views;

/// What the provisioning routes share.
#[derive(Clone)]
pub struct ProvisioningState {
    pub db: Db,
    pub blobs: Arc<dyn BlobStore>,
    /// Themes this installation has, so a tenant cannot be given a missing one.
    pub themes: Arc<[String]>,
    /// Seals staff TOTP secrets (and, later, identity provider secrets).
    pub keyring: Arc<Keyring>,
    /// The console's templates and messages.
    pub views: Arc<Views>,
    pub sign_in_limiter: Arc<SignInLimiter>,
    /// Cookies marked `Secure` (when served over TLS).
    pub secure_cookies: bool,
    /// Wakes this process's job workers when a route queues a job.
    pub job_waker: crate::jobs::JobWaker,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(tenants::configure)
            .configure(jobs::configure)
            .configure(audit_log::configure)
            .configure(backups::configure)
            .configure(upgrades::configure)
            .default_service(web::to(no_such_route)),
    );
}

async fn no_such_route() -> Result<actix_web::HttpResponse, error::ApiError> {
    Err(error::ApiError::not_found("no such API route"))
}
