//! The request path, in the order a request meets it:
//! [`host`] reads the host → [`resolve_tenant`] finds the tenant (or answers 400, 404,
//! 301 or 503) → [`extract`] hands handlers the tenant and locale → module handlers →
//! [`render`] draws the page; [`error_pages`] turns errors into pages a person reads.
pub mod error;
pub mod error_pages;
pub mod extract;
pub mod host;
pub mod locale;
pub mod multipart;
pub mod observe;
pub mod render;
pub mod resolve_tenant;
