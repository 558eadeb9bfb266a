//! Building and starting the listeners: tenant sites, ops, and provisioning.
use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web, App, HttpResponse, HttpServer};
use provisioning::api::ProvisioningState;

use crate::http::error::AppError;
use crate::http::{error_pages::error_pages, observe::observe, resolve_tenant::resolve_tenant};
use crate::state::AppState;
use crate::{modules, ops};

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub http: String,
    pub ops: String,
    /// The provisioning listener, when this process serves it.
    pub provisioning: Option<String>,
    pub workers: usize,
    /// Threads for database work per worker; kept near the pool size so waiting
    /// requests queue instead of piling threads onto the pool (see FACTS.md).
    pub blocking_threads: usize,
    /// The TLS listener and its certificates: the tenant sites are served there, and
    /// `http` only redirects to it.
    pub https: Option<(String, std::sync::Arc<crate::tls::CertStore>)>,
}

/// The servers, bound and running.
pub struct Running {
    pub http_addrs: Vec<SocketAddr>,
    /// The TLS listener's addresses (empty without `--https`).
    pub https_addrs: Vec<SocketAddr>,
    pub ops_addrs: Vec<SocketAddr>,
    pub provisioning_addrs: Vec<SocketAddr>,
    servers: Vec<Server>,
}

impl Running {
    pub fn handles(&self) -> Vec<ServerHandle> {
        self.servers.iter().map(Server::handle).collect()
    }

    /// Runs until any server stops (a signal, or a handle's stop), then stops all.
    pub async fn wait(self) -> std::io::Result<()> {
        let handles = self.handles();
        let (result, _, _) = futures_util::future::select_all(self.servers).await;
        for h in handles {
            h.stop(true).await;
        }
        result
    }
}

/// Security headers on every tenant page.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Content-Security-Policy", crate::identity::csp::policy("")))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Binds the tenant and ops listeners (and provisioning, when asked) and starts
/// them. Must run inside an actix system.
pub fn start(
    state: AppState,
    provisioning: Option<ProvisioningState>,
    options: &ServeOptions,
) -> std::io::Result<Running> {
    let data = web::Data::new(state);
    let tenant_data = data.clone();
    let tenant_app = move || {
        App::new()
            .app_data(tenant_data.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|e, _| AppError::BadRequest(format!("the form could not be read: {e}")).into()),
            )
            .configure(modules::configure)
            .default_service(web::to(not_found))
            .wrap(from_fn(error_pages))
            .wrap(from_fn(crate::identity::csp::tenant_csp))
            .wrap(from_fn(resolve_tenant))
            .wrap(Compress::default())
            .wrap(security_headers())
            .wrap(from_fn(observe))
    };
    let mut servers = Vec::new();
    let mut https_addrs = Vec::new();
    let http_addrs = match &options.https {
        None => {
            let tenant = HttpServer::new(tenant_app)
                .workers(options.workers)
                .worker_max_blocking_threads(options.blocking_threads)
                .client_request_timeout(Duration::from_secs(10))
                .shutdown_timeout(10)
                .bind(&options.http)?;
            let addrs = tenant.addrs();
            servers.push(tenant.run());
            addrs
        }
        Some((addr, store)) => {
            let config = store.server_config().map_err(std::io::Error::other)?;
            let tls = HttpServer::new(tenant_app)
                .workers(options.workers)
                .worker_max_blocking_threads(options.blocking_threads)
                .client_request_timeout(Duration::from_secs(10))
                .shutdown_timeout(10)
                .bind_rustls_0_23(addr, config)?;
            https_addrs = tls.addrs();
            servers.push(tls.run());
            let port = https_addrs.first().map(SocketAddr::port).unwrap_or(443);
            let redirect_data = data.clone();
            let redirect = HttpServer::new(move || {
                App::new().app_data(redirect_data.clone()).default_service(web::to(
                    move |req: actix_web::HttpRequest, state: web::Data<AppState>| async move {
                        to_https(&req, &state, port)
                    },
                ))
            })
            .workers(options.workers.min(2))
            .worker_max_blocking_threads(1)
            .client_request_timeout(Duration::from_secs(10))
            .shutdown_timeout(2)
            .bind(&options.http)?;
            let addrs = redirect.addrs();
            servers.push(redirect.run());
            addrs
        }
    };

    let ops_data = data.clone();
    let ops = HttpServer::new(move || App::new().app_data(ops_data.clone()).configure(ops::configure))
        .workers(options.workers.min(2))
        .worker_max_blocking_threads(2)
        .shutdown_timeout(2)
        .bind(&options.ops)?;
    let ops_addrs = ops.addrs();

    servers.push(ops.run());
    let mut provisioning_addrs = Vec::new();
    if let (Some(addr), Some(state)) = (&options.provisioning, provisioning) {
        let (server, addrs) = start_provisioning(state, addr)?;
        servers.push(server);
        provisioning_addrs = addrs;
    }
    Ok(Running { http_addrs, https_addrs, ops_addrs, provisioning_addrs, servers })
}

/// The HTTP listener when TLS is on: a tenant host's address, moved to HTTPS (308
/// keeps the method and body); any other name gets a 404, as on the sites.
fn to_https(req: &actix_web::HttpRequest, state: &AppState, port: u16) -> HttpResponse {
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(tenant_core::names::HostName::from_header);
    let Some(host) = host.filter(|h| state.directory.lookup(h).is_some()) else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("unknown site\n");
    };
    let port = if port == 443 { String::new() } else { format!(":{port}") };
    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, format!("https://{}{port}{path}", host.as_str())))
        .insert_header((actix_web::http::header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
        .finish()
}

/// The provisioning listener alone (`civitas provision serve`).
pub fn start_provisioning_only(state: ProvisioningState, addr: &str) -> std::io::Result<Running> {
    let (server, provisioning_addrs) = start_provisioning(state, addr)?;
    Ok(Running {
        http_addrs: Vec::new(),
        https_addrs: Vec::new(),
        ops_addrs: Vec::new(),
        provisioning_addrs,
        servers: vec![server],
    })
}

fn start_provisioning(state: ProvisioningState, addr: &str) -> std::io::Result<(Server, Vec<SocketAddr>)> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            // A logo of 1 MiB is about 1.4 MB in base64.
            .app_data(web::PayloadConfig::new(2 * 1024 * 1024))
            .configure(provisioning::api::configure)
            .configure(provisioning::console::configure)
            .wrap(security_headers())
    })
    .workers(2)
    .worker_max_blocking_threads(4)
    .shutdown_timeout(10)
    .bind(addr)?;
    let addrs = server.addrs();
    Ok((server.run(), addrs))
}
