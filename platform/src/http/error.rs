//! Errors at the HTTP edge: one mapping from failures to statuses. The page a person
//! sees is drawn by [`super::error_pages`]; 500s say nothing of their cause to the
//! visitor and log the whole chain.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use tenant_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    /// A form without this visitor's CSRF token, or sent from another site.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The action collides with the current state (already done, limit reached).
    #[error("conflict: {0}")]
    Conflict(String),
    /// An upload or field larger than allowed.
    #[error("too large: {0}")]
    TooLarge(String),
    /// Too many attempts; the message says when to try again.
    #[error("too many requests: {0}")]
    TooManyRequests(String, std::time::Duration),
    /// A page for signed-in people; carries where to come back after sign-in.
    #[error("sign-in required")]
    SignInRequired(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The file storage (S3) cannot be reached; the page says nothing was changed.
    #[error("file storage unavailable: {0}")]
    StorageUnavailable(String),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

/// Marks a response whose body [`super::error_pages`] should replace with a page.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    /// A message safe to show (empty for 5xx).
    pub detail: String,
}

/// What a person is told when the file storage is down (nothing half-saved stays).
pub const STORAGE_UNAVAILABLE: &str =
    "The file storage cannot be reached right now, so nothing was saved or changed. Please try again in a moment.";

impl From<CoreError> for AppError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound(_) => AppError::NotFound,
            CoreError::Invalid(m) => AppError::BadRequest(m),
            CoreError::Unavailable(m) => AppError::Unavailable(m),
            CoreError::StorageUnavailable(m) => AppError::StorageUnavailable(m),
            CoreError::Forbidden(m) => AppError::Forbidden(m),
            CoreError::Conflict(m) => AppError::Conflict(m),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<tera::Error> for AppError {
    fn from(e: tera::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("rendering a template"))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            AppError::SignInRequired(_) => StatusCode::SEE_OTHER,
            AppError::Unavailable(_) | AppError::StorageUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::SignInRequired(next) = self {
            let location = format!("/sign-in?next={}", crate::http::render::encode_query_value(next));
            return HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, location)).finish();
        }
        let detail = match self {
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
                String::new()
            }
            AppError::Unavailable(m) => {
                tracing::warn!(reason = %m, "database unavailable");
                String::new()
            }
            AppError::StorageUnavailable(m) => {
                tracing::warn!(reason = %m, "file storage unavailable");
                STORAGE_UNAVAILABLE.into()
            }
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::TooLarge(m)
            | AppError::TooManyRequests(m, _) => m.clone(),
            AppError::SignInRequired(_) => String::new(),
            AppError::NotFound => String::new(),
        };
        let mut res = HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body(self.status_code().canonical_reason().unwrap_or("error"));
        if let AppError::TooManyRequests(_, wait) = self {
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(ErrorPage { detail });
        res
    }
}
