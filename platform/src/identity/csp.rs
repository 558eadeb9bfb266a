//! The Content-Security-Policy of a tenant's pages. `form-action 'self'` would stop a
//! browser from following our sign-in and sign-out forms to the tenant's identity
//! providers (browsers apply `form-action` to the redirects a form leads to), so the
//! origins of the tenant's enabled providers are added, and only those.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CONTENT_SECURITY_POLICY};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use parking_lot::Mutex;
use tenant_core::Tenant;
use uuid::Uuid;

use crate::state::AppState;

/// Every directive but `form-action`.
pub const BASE: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                        object-src 'none'; frame-ancestors 'none'; base-uri 'self'";

/// The policy with `form-action` limited to this site and `extra` origins.
pub fn policy(extra: &str) -> String {
    if extra.is_empty() {
        format!("{BASE}; form-action 'self'")
    } else {
        format!("{BASE}; form-action 'self' {extra}")
    }
}

const TTL: Duration = Duration::from_secs(60);

/// The origins, when they were read, and the directory generation then.
type Cached = (Arc<str>, Instant, u64);

/// Per tenant, the provider origins forms may lead to: refreshed every minute, and at
/// once when the directory reloads (a provider change notifies it).
#[derive(Default)]
pub struct FormOrigins {
    cache: Mutex<HashMap<Uuid, Cached>>,
}

fn origin(url: &str) -> Option<String> {
    let parsed = openidconnect::url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.origin().ascii_serialization())
}

impl FormOrigins {
    async fn for_tenant(&self, state: &web::Data<AppState>, tenant: &Tenant) -> Option<Arc<str>> {
        let generation = state.directory.reload_count();
        if let Some((v, at, seen)) = self.cache.lock().get(&tenant.id) {
            if at.elapsed() < TTL && *seen == generation {
                return Some(v.clone());
            }
        }
        let (s, id) = (state.clone(), tenant.id);
        let providers = web::block(move || provisioning::identity_providers::enabled(&s.db, id)).await.ok()?.ok()?;
        let mut origins: Vec<String> = Vec::new();
        for p in &providers {
            origins.extend(origin(&p.issuer));
            // The endpoints discovery named, when already fetched (they may sit on
            // another host than the issuer).
            if let Some(m) = state.identity.discovery.cached(&p.issuer) {
                origins.extend(origin(m.authorization_endpoint().url().as_str()));
                if let Some(end) = &m.additional_metadata().end_session_endpoint {
                    origins.extend(origin(end.url().as_str()));
                }
            }
        }
        origins.sort();
        origins.dedup();
        let value: Arc<str> = origins.join(" ").into();
        self.cache.lock().insert(tenant.id, (value.clone(), Instant::now(), generation));
        Some(value)
    }
}

/// Sets the tenant's policy on its pages (the default one stays elsewhere).
pub async fn tenant_csp(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let tenant = req.extensions().get::<Arc<Tenant>>().cloned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut res = next.call(req).await?.map_into_boxed_body();
    if let (Some(tenant), Some(state)) = (tenant, state) {
        if let Some(extra) = state.identity.form_origins.for_tenant(&state, &tenant).await {
            if let Ok(v) = HeaderValue::from_str(&policy(&extra)) {
                res.headers_mut().insert(CONTENT_SECURITY_POLICY, v);
            }
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    #[test]
    fn origins_and_policy() {
        assert_eq!(
            super::origin("https://fcp.integ01.dev-franceconnect.fr/api/v2").as_deref(),
            Some("https://fcp.integ01.dev-franceconnect.fr")
        );
        assert_eq!(super::origin("http://127.0.0.1:4000/api/v2").as_deref(), Some("http://127.0.0.1:4000"));
        assert_eq!(super::origin("javascript:alert(1)"), None);
        assert!(super::policy("").ends_with("form-action 'self'"));
        assert!(super::policy("https://a.fr").ends_with("form-action 'self' https://a.fr"));
    }
}
