//! Access to the API: a bearer token, its scopes in the parameter's type.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use super::ProvisioningState;
use crate::auth::{parse_bearer, Scope};
use crate::staff::{authenticate_token, ApiCaller};

/// A caller whose token may read.
pub struct ReadAccess(pub ApiCaller);
/// A caller whose token may change things.
pub struct WriteAccess(pub ApiCaller);

fn caller(req: &HttpRequest, needed: Scope) -> Pin<Box<dyn Future<Output = Result<ApiCaller, ApiError>>>> {
    let state = req.app_data::<web::Data<ProvisioningState>>().cloned();
    let secret =
        req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(parse_bearer).map(str::to_owned);
    Box::pin(async move {
        let (Some(state), Some(secret)) = (state, secret) else { return Err(ApiError::unauthorized()) };
        let db = state.db.clone();
        let found = web::block(move || authenticate_token(&db, &secret)).await??;
        let caller = found.ok_or_else(ApiError::unauthorized)?;
        if !caller.scopes.allows(needed) {
            return Err(ApiError::forbidden(format!(
                "this token's scopes ({}) do not include {needed}",
                caller.scopes
            )));
        }
        Ok(caller)
    })
}

impl FromRequest for ReadAccess {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = caller(req, Scope::Read);
        Box::pin(async move { fut.await.map(ReadAccess) })
    }
}

impl FromRequest for WriteAccess {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = caller(req, Scope::Write);
        Box::pin(async move { fut.await.map(WriteAccess) })
    }
}
