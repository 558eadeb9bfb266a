//! Building and starting the two listeners: tenant sites and ops.
use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web, App, HttpResponse, HttpServer};

use crate::http::error::AppError;
use crate::http::{error_pages::error_pages, observe::observe, resolve_tenant::resolve_tenant};
use crate::state::AppState;
use crate::{modules, ops};

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub http: String,
    pub ops: String,
    pub workers: usize,
    /// Threads for database work per worker; kept near the pool size so waiting
    /// requests queue instead of piling threads onto the pool (see FACTS.md).
    pub blocking_threads: usize,
}

/// Both servers, bound and running.
pub struct Running {
    pub http_addrs: Vec<SocketAddr>,
    pub ops_addrs: Vec<SocketAddr>,
    tenant: Server,
    ops: Server,
}

impl Running {
    pub fn handles(&self) -> (ServerHandle, ServerHandle) {
        (self.tenant.handle(), self.ops.handle())
    }

    /// Runs until either server stops (a signal, or a handle's stop), then stops both.
    pub async fn wait(self) -> std::io::Result<()> {
        let (th, oh) = self.handles();
        let result = tokio::select! {
            r = self.tenant => r,
            r = self.ops => r,
        };
        th.stop(true).await;
        oh.stop(true).await;
        result
    }
}

/// Security headers on every tenant page.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Binds both listeners and starts them. Must run inside an actix system.
pub fn start(state: AppState, options: &ServeOptions) -> std::io::Result<Running> {
    let data = web::Data::new(state);
    let tenant_data = data.clone();
    let tenant = HttpServer::new(move || {
        App::new()
            .app_data(tenant_data.clone())
            .configure(modules::configure)
            .default_service(web::to(not_found))
            .wrap(from_fn(error_pages))
            .wrap(from_fn(resolve_tenant))
            .wrap(Compress::default())
            .wrap(security_headers())
            .wrap(from_fn(observe))
    })
    .workers(options.workers)
    .worker_max_blocking_threads(options.blocking_threads)
    .client_request_timeout(Duration::from_secs(10))
    .shutdown_timeout(10)
    .bind(&options.http)?;
    let http_addrs = tenant.addrs();
    let tenant = tenant.run();

    let ops_data = data.clone();
    let ops = HttpServer::new(move || App::new().app_data(ops_data.clone()).configure(ops::configure))
        .workers(options.workers.min(2))
        .worker_max_blocking_threads(2)
        .shutdown_timeout(2)
        .bind(&options.ops)?;
    let ops_addrs = ops.addrs();
    let ops = ops.run();
    Ok(Running { http_addrs, ops_addrs, tenant, ops })
}
