//! TLS certificates of tenant hosts, for `civitas serve --https`: checked here (the
//! files parse, the key is the certificate's, the certificate names the host), then
//! their paths recorded in the catalog with an audit entry, in one transaction. The
//! CLI (`civitas tenant certificate`) and the API
//! (`PUT /api/v1/tenants/{slug}/hosts/{host}/certificate`) both come here.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::ParsedCertificate;
use rustls::sign::CertifiedKey;
use tenant_core::catalog::certificates::set_host_certificate;
use tenant_core::names::{HostName, TenantSlug};
use tenant_core::{CoreError, CoreResult, Db};

use crate::audit::{self, Actor};

/// Reads a PEM certificate chain and its private key and checks they belong
/// together and, when `host` is given, that the certificate names it.
pub fn load_pair(cert_path: &Path, key_path: &Path, host: Option<&str>) -> CoreResult<CertifiedKey> {
    let bad =
        |what: &str, p: &Path, e: &dyn std::fmt::Display| CoreError::Invalid(format!("{what} {}: {e}", p.display()));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| bad("certificate file", cert_path, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad("certificate file", cert_path, &e))?;
    if chain.is_empty() {
        return Err(bad("certificate file", cert_path, &"no certificate in it (PEM expected)"));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| bad("key file", key_path, &format!("{e} (a PEM private key expected)")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certified = CertifiedKey::from_der(chain, key, &provider)
        .map_err(|e| CoreError::Invalid(format!("{} and {}: {e}", cert_path.display(), key_path.display())))?;
    if let Some(host) = host {
        let end = certified.end_entity_cert().map_err(|e| bad("certificate file", cert_path, &e))?;
        let parsed = ParsedCertificate::try_from(end).map_err(|e| bad("certificate file", cert_path, &e))?;
        let name =
            ServerName::try_from(host.to_owned()).map_err(|e| CoreError::Invalid(format!("host {host}: {e}")))?;
        rustls::client::verify_server_name(&parsed, &name).map_err(|_| {
            bad(
                "certificate file",
                cert_path,
                &format!("it is not valid for the host {host} (its subject names do not include it)"),
            )
        })?;
    }
    Ok(certified)
}

/// Checks the files (absolute paths) and records them for `host` of tenant `slug`;
/// `None` removes the host's certificate.
pub fn set(
    db: &Db,
    slug: &TenantSlug,
    host: &HostName,
    files: Option<(PathBuf, PathBuf)>,
    actor: &Actor,
) -> CoreResult<()> {
    if let Some((cert, key)) = &files {
        for (what, p) in [("cert_path", cert), ("key_path", key)] {
            if !p.is_absolute() {
                return Err(CoreError::Invalid(format!("{what}: give an absolute path ({})", p.display())));
            }
        }
        load_pair(cert, key, Some(host.as_str()))?;
    }
    let after = files.as_ref().map(|(c, k)| serde_json::json!({ "cert": c, "key": k }));
    db.catalog(|conn| {
        set_host_certificate(conn, slug, host, files.clone())?;
        audit::record(
            conn,
            actor,
            if after.is_some() { "host_certificate_set" } else { "host_certificate_removed" },
            Some(slug.as_str()),
            None,
            Some(serde_json::json!({ "host": host.as_str(), "files": after })),
        )
    })
}
