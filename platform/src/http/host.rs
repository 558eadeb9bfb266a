//! Which host a request is for.
//!
//! The `Host` header (HTTP/1.1) or the URI authority (HTTP/2), never
//! `ConnectionInfo::host()`, which would believe any client's `X-Forwarded-Host`.
//! Forwarded headers count only when the peer is a configured trusted proxy.
use std::net::IpAddr;

use actix_web::dev::RequestHead;
use actix_web::http::header::{HeaderName, HOST};
use tenant_core::names::HostName;

#[derive(Debug, PartialEq, Eq)]
pub enum HostError {
    Missing,
    Malformed,
}

/// The host name and the port the client used (kept for redirects).
#[derive(Debug, Clone)]
pub struct RequestHost {
    pub name: HostName,
    pub port: Option<u16>,
    pub scheme: &'static str,
}

const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

pub fn request_host(
    head: &RequestHead,
    peer: Option<IpAddr>,
    trusted: &[IpAddr],
    tls: bool,
) -> Result<RequestHost, HostError> {
    let from_proxy = peer.is_some_and(|p| trusted.contains(&p));
    let mut scheme = if tls { "https" } else { "http" };
    let raw: String = if from_proxy && head.headers.contains_key(X_FORWARDED_HOST) {
        if let Some(proto) = single(head, &X_FORWARDED_PROTO)? {
            scheme = match proto.trim().to_ascii_lowercase().as_str() {
                "https" => "https",
                "http" => "http",
                _ => return Err(HostError::Malformed),
            };
        }
        // The nearest proxy appends last.
        let value = single(head, &X_FORWARDED_HOST)?.ok_or(HostError::Missing)?;
        value.rsplit(',').next().unwrap_or("").trim().to_owned()
    } else if let Some(authority) = head.uri.authority() {
        authority.as_str().to_owned()
    } else {
        single(head, &HOST)?.ok_or(HostError::Missing)?.to_owned()
    };
    if raw.is_empty() {
        return Err(HostError::Missing);
    }
    if raw.contains('@') {
        return Err(HostError::Malformed);
    }
    let name = HostName::from_header(&raw).ok_or(HostError::Malformed)?;
    let port = raw.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok());
    Ok(RequestHost { name, port, scheme })
}

/// The value of a header that must appear at most once.
fn single<'a>(head: &'a RequestHead, name: &HeaderName) -> Result<Option<&'a str>, HostError> {
    let mut values = head.headers.get_all(name);
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(HostError::Malformed);
    }
    first.to_str().map(Some).map_err(|_| HostError::Malformed)
}
