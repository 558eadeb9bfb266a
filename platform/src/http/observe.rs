//! The outermost layer: a request id, a tracing span carrying it and the tenant
//! slug, and the request metrics.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use tenant_core::Tenant;
use tracing::Instrument;

use crate::state::AppState;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = format!("{:x}-{:x}", std::process::id(), NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.path(), tenant = tracing::field::Empty);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let result = next.call(req).instrument(span.clone()).await;
    let mut res = result?;
    let status = res.status().as_u16();
    let tenant = res.request().extensions().get::<Arc<Tenant>>().map(|t| t.slug.as_str().to_owned());
    let label = tenant.as_deref().unwrap_or("_none");
    if let Some(state) = state {
        state.metrics.observe(label, status, started.elapsed().as_secs_f64());
    }
    if status >= 500 {
        span.in_scope(|| tracing::warn!(status, "request answered with a server error"));
    } else {
        span.in_scope(|| tracing::debug!(status, elapsed_us = started.elapsed().as_micros() as u64, "request done"));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, v);
    }
    Ok(res)
}
