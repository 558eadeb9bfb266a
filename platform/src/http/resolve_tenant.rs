//! Host → tenant. Unknown host: a neutral 404 that names no tenant. Missing or
//! malformed host: 400. Secondary host: 301 to the primary, same path and query.
//! Suspended or provisioning tenant: 503 with a maintenance page. Read-only tenant
//! (being moved to another database cluster): writes (every method but GET and
//! HEAD, and the GETs that write: [`writes_on_get`]) get 503 "try again in a
//! moment", pages are served.
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use tenant_core::{Tenant, TenantStatus};

use super::error_pages::render_error;
use super::host::{request_host, RequestHost};
use super::locale::negotiate;
use super::render::{html, tenant_context};
use crate::state::AppState;

pub async fn resolve_tenant(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("application state missing"));
    };
    let peer = req.peer_addr().map(|a| a.ip());
    let tls = req.app_config().secure();
    let host = match request_host(req.head(), peer, &state.trusted_proxies, tls) {
        Ok(h) => h,
        Err(_) => return Ok(neutral(&state, req, StatusCode::BAD_REQUEST)),
    };
    let Some(found) = state.directory.lookup(&host.name) else {
        return Ok(neutral(&state, req, StatusCode::NOT_FOUND));
    };
    tracing::Span::current().record("tenant", found.tenant.slug.as_str());
    if !found.is_primary {
        let location = redirect_target(&host, &found.tenant, req.uri());
        let res = HttpResponse::MovedPermanently().insert_header((header::LOCATION, location)).finish();
        req.extensions_mut().insert(found.tenant);
        return Ok(req.into_response(res));
    }
    if found.tenant.status != TenantStatus::Active {
        let res = maintenance(&state, &req, &found.tenant);
        req.extensions_mut().insert(found.tenant);
        return Ok(req.into_response(res));
    }
    let write = !matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD)
        || writes_on_get(req.path());
    if write && found.tenant.read_only {
        let res = read_only(&state, &req, &found.tenant);
        req.extensions_mut().insert(found.tenant);
        return Ok(req.into_response(res));
    }
    // An administrator's change to spaces, phases, components, categories or members
    // reaches this server's place cache as soon as it is answered, before the
    // notification the database sends every server (content_versions).
    let admin_write = write && req.path().starts_with("/admin/");
    let schema = admin_write.then(|| found.tenant.schema.as_str().to_owned());
    req.extensions_mut().insert(found.tenant);
    req.extensions_mut().insert(host);
    let res = next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    if let Some(schema) = schema {
        state.versions.bump(&schema);
    }
    res
}

/// The answer for a request that belongs to no tenant: the neutral error page, or the
/// default theme's stylesheet that page uses (which names no tenant either).
fn neutral(state: &AppState, req: ServiceRequest, status: StatusCode) -> ServiceResponse<BoxBody> {
    if req.path() == NEUTRAL_STYLESHEET {
        if let Some(css) = state.themes.default_theme().asset("css/site.css") {
            let res = HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, css.content_type))
                .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
                .body(actix_web::web::Bytes::copy_from_slice(&css.bytes));
            return req.into_response(res);
        }
    }
    let page = render_error(state, req.request(), None, status, "");
    req.into_response(page)
}

const NEUTRAL_STYLESHEET: &str = "/static/css/site.css";

fn redirect_target(host: &RequestHost, tenant: &Tenant, uri: &actix_web::http::Uri) -> String {
    let port = host.port.map(|p| format!(":{p}")).unwrap_or_default();
    let path_and_query = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    format!("{}://{}{}{}", host.scheme, tenant.primary_host, port, path_and_query)
}

fn maintenance(state: &AppState, req: &ServiceRequest, tenant: &Tenant) -> HttpResponse {
    unavailable(state, req, tenant, "errors/maintenance.html", "300")
}

/// A write to a tenant being moved: its schema is copied to another cluster, which
/// takes seconds to minutes.
/// The GET requests that write to the tenant's schema: the way back from an identity
/// provider (it opens a session, may create the account) and the return from
/// FranceConnect that records a petition signature. Every other GET only reads (one-use
/// links show a form; a signed-in page view does not mark its session seen while the
/// tenant is read-only).
fn writes_on_get(path: &str) -> bool {
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("auth"), Some(_), Some("callback"), None) => true,
        (Some("petitions"), Some(id), Some("signature"), None) => id.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

fn read_only(state: &AppState, req: &ServiceRequest, tenant: &Tenant) -> HttpResponse {
    unavailable(state, req, tenant, "errors/read_only.html", "10")
}

fn unavailable(
    state: &AppState,
    req: &ServiceRequest,
    tenant: &Tenant,
    template: &str,
    retry_after: &'static str,
) -> HttpResponse {
    let locale = negotiate(req.request(), tenant);
    let theme = state.themes.get(tenant.theme.as_str());
    let mut ctx = tenant_context(state, tenant, locale, req.path());
    let mut res = match theme.render(template, &mut ctx) {
        Ok(body) => html(StatusCode::SERVICE_UNAVAILABLE, body),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), template, "maintenance page failed to render");
            HttpResponse::ServiceUnavailable().body("503 Service Unavailable")
        }
    };
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
    res
}

#[cfg(test)]
mod tests {
    use super::writes_on_get;

    #[test]
    fn the_gets_that_write_are_the_sign_in_callbacks_and_the_signature_return() {
        assert!(writes_on_get("/auth/franceconnect/callback"));
        assert!(writes_on_get("/petitions/12/signature"));
        for path in
            ["/", "/petitions/12", "/petitions/x/signature", "/auth/franceconnect/start", "/account/confirm/abc"]
        {
            assert!(!writes_on_get(path), "{path}");
        }
    }
}
