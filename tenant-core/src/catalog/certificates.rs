//! Certificates for the tenant hosts, when `civitas serve --https` terminates TLS
//! itself: the catalog keeps, per host, the paths of a PEM certificate chain and its
//! private key on the serving machines. The files are read (and re-read when they
//! change) by the serving processes; the catalog never holds key material.
use std::path::PathBuf;

use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::names::{HostName, TenantSlug};
use crate::schema::catalog::{tenant_hosts, tenants};

/// A host's certificate files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostCertificate {
    pub host: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

/// Every host that has certificate files, of active or suspended tenants alike (a
/// suspended tenant's site still answers, with its notice).
pub fn host_certificates(conn: &mut PgConnection) -> CoreResult<Vec<HostCertificate>> {
    let rows: Vec<(String, Option<String>, Option<String>)> = tenant_hosts::table
        .select((tenant_hosts::host, tenant_hosts::cert_path, tenant_hosts::key_path))
        .filter(tenant_hosts::cert_path.is_not_null())
        .order(tenant_hosts::host)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(host, cert, key)| {
            Some(HostCertificate { host, cert_path: PathBuf::from(cert?), key_path: PathBuf::from(key?) })
        })
        .collect())
}

/// Sets (or, with `None`, removes) the certificate files of `host`, which must be
/// one of tenant `slug`'s hosts. Paths must be absolute: every serving process reads
/// them from its own working directory.
pub fn set_host_certificate(
    conn: &mut PgConnection,
    slug: &TenantSlug,
    host: &HostName,
    files: Option<(PathBuf, PathBuf)>,
) -> CoreResult<()> {
    let owner: Option<String> = tenant_hosts::table
        .inner_join(tenants::table)
        .filter(tenant_hosts::host.eq(host.as_str()))
        .select(tenants::slug)
        .first(conn)
        .optional()?;
    match owner {
        None => return Err(CoreError::NotFound(format!("no tenant has the host {host}"))),
        Some(s) if s != slug.as_str() => {
            return Err(CoreError::Conflict(format!("the host {host} belongs to another tenant")))
        }
        Some(_) => {}
    }
    let (cert, key) = match files {
        Some((cert, key)) => {
            for (what, p) in [("certificate", &cert), ("key", &key)] {
                if !p.is_absolute() {
                    return Err(CoreError::Invalid(format!("{what} file {}: give an absolute path", p.display())));
                }
            }
            let text = |p: PathBuf| {
                p.into_os_string()
                    .into_string()
                    .map_err(|p| CoreError::Invalid(format!("file path {}: not UTF-8", PathBuf::from(p).display())))
            };
            (Some(text(cert)?), Some(text(key)?))
        }
        None => (None, None),
    };
    diesel::update(tenant_hosts::table.filter(tenant_hosts::host.eq(host.as_str())))
        .set((tenant_hosts::cert_path.eq(cert), tenant_hosts::key_path.eq(key)))
        .execute(conn)?;
    Ok(())
}
