//! Extractors: what a handler names in its parameters, it gets, already resolved.
use std::future::{ready, Ready};
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use tenant_core::names::Locale;
use tenant_core::Tenant;

use super::error::AppError;
use super::locale::negotiate;

/// The tenant the request's host resolved to.
#[derive(Clone)]
pub struct CurrentTenant(pub Arc<Tenant>);

impl Deref for CurrentTenant {
    type Target = Tenant;
    fn deref(&self) -> &Tenant {
        &self.0
    }
}

impl FromRequest for CurrentTenant {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Arc<Tenant>>()
                .cloned()
                .map(CurrentTenant)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("handler reached without a resolved tenant"))),
        )
    }
}

/// The interface language for this request, among the tenant's locales.
#[derive(Clone, Copy, Debug)]
pub struct RequestLocale(pub Locale);

impl FromRequest for RequestLocale {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let tenant = req.extensions().get::<Arc<Tenant>>().cloned();
        ready(match tenant {
            Some(t) => Ok(RequestLocale(negotiate(req, &t))),
            None => Err(AppError::Internal(anyhow::anyhow!("locale asked for without a tenant"))),
        })
    }
}
