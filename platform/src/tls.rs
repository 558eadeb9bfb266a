//! TLS for the tenant sites, terminated by `civitas serve --https ADDR` itself.
//!
//! Each tenant host may have a certificate chain and a private key (PEM files whose
//! paths the catalog keeps: `civitas tenant certificate`). The handshake picks the
//! certificate by the name the client asks for (SNI): a name that is not a tenant
//! host with a certificate gets none, and the handshake fails, so no tenant's
//! certificate is shown for another name, and a client without SNI gets nothing.
//!
//! [`CertStore::spawn_reloader`] re-reads the list from the catalog and the files'
//! modification times every few seconds: a renewed certificate (a new file written
//! over the old one) or a newly registered host is served without a restart. A
//! file that cannot be read or does not match its key is reported in the log and
//! the host keeps its previous certificate, if it had one.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use rustls::pki_types::CertificateDer;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tenant_core::catalog::certificates::{host_certificates, HostCertificate};
use tenant_core::Db;

/// The files a loaded certificate came from, and when they were last changed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Loaded {
    cert_path: PathBuf,
    key_path: PathBuf,
    cert_modified: Option<SystemTime>,
    key_modified: Option<SystemTime>,
}

/// The certificates by host name, swapped in whole on every change.
#[derive(Debug, Default)]
pub struct CertStore {
    by_host: ArcSwap<HashMap<String, Arc<CertifiedKey>>>,
    loaded: Mutex<HashMap<String, Loaded>>,
    /// When each served certificate stops being valid (Unix seconds), for the
    /// expiry metric and its alert.
    expiry: ArcSwap<HashMap<String, i64>>,
}

/// The end of validity of a certificate (Unix seconds), if it can be read.
pub fn not_after(cert: &CertificateDer<'_>) -> Option<i64> {
    use x509_cert::der::Decode;
    let parsed = x509_cert::Certificate::from_der(cert.as_ref()).ok()?;
    i64::try_from(parsed.tbs_certificate.validity.not_after.to_unix_duration().as_secs()).ok()
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads and checks a host's certificate files (see
/// [`provisioning::host_certificates::load_pair`]).
pub fn load_pair(cert_path: &Path, key_path: &Path, host: Option<&str>) -> anyhow::Result<CertifiedKey> {
    provisioning::host_certificates::load_pair(cert_path, key_path, host).map_err(|e| anyhow::anyhow!("{e}"))
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

impl CertStore {
    /// Each served certificate's end of validity (Unix seconds), by host.
    pub fn expiries(&self) -> Vec<(String, i64)> {
        let mut all: Vec<(String, i64)> = self.expiry.load().iter().map(|(h, t)| (h.clone(), *t)).collect();
        all.sort();
        all
    }

    /// The hosts that have a certificate now.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self.by_host.load().keys().cloned().collect();
        hosts.sort();
        hosts
    }

    /// Brings the store in line with `wanted` (the catalog's list): loads what is new
    /// or changed on disk, drops hosts no longer listed. Returns how many certificates
    /// were (re)loaded.
    pub fn apply(&self, wanted: &[HostCertificate]) -> usize {
        let mut loaded = self.loaded.lock();
        let current = self.by_host.load_full();
        let mut next: HashMap<String, Arc<CertifiedKey>> = HashMap::with_capacity(wanted.len());
        let mut next_loaded = HashMap::with_capacity(wanted.len());
        let mut changed = 0;
        for w in wanted {
            let now = Loaded {
                cert_path: w.cert_path.clone(),
                key_path: w.key_path.clone(),
                cert_modified: modified(&w.cert_path),
                key_modified: modified(&w.key_path),
            };
            let unchanged = loaded.get(&w.host) == Some(&now);
            match (unchanged, current.get(&w.host)) {
                (true, Some(key)) => {
                    next.insert(w.host.clone(), Arc::clone(key));
                    next_loaded.insert(w.host.clone(), now);
                }
                _ => match load_pair(&w.cert_path, &w.key_path, Some(&w.host)) {
                    Ok(key) => {
                        next.insert(w.host.clone(), Arc::new(key));
                        next_loaded.insert(w.host.clone(), now);
                        changed += 1;
                        tracing::info!(host = %w.host, cert = %w.cert_path.display(), "TLS certificate loaded");
                    }
                    Err(e) => {
                        // Keep serving the previous certificate, if any; try again
                        // at the next pass only when the files change.
                        if let Some(key) = current.get(&w.host) {
                            next.insert(w.host.clone(), Arc::clone(key));
                        }
                        if loaded.get(&w.host) != Some(&now) {
                            tracing::warn!(host = %w.host, error = %e, "TLS certificate not loaded");
                        }
                        next_loaded.insert(w.host.clone(), now);
                    }
                },
            }
        }
        if changed > 0 || next.len() != current.len() {
            let expiry = next.iter().filter_map(|(h, k)| Some((h.clone(), not_after(k.cert.first()?)?))).collect();
            self.expiry.store(Arc::new(expiry));
            self.by_host.store(Arc::new(next));
        }
        *loaded = next_loaded;
        changed
    }

    /// Reads the catalog's list and applies it.
    pub fn reload(&self, db: &Db) -> tenant_core::CoreResult<usize> {
        let wanted = db.catalog(host_certificates)?;
        Ok(self.apply(&wanted))
    }

    /// Reloads every `every` on a thread of its own.
    pub fn spawn_reloader(self: &Arc<Self>, db: Db, every: Duration) -> std::io::Result<()> {
        let store = Arc::clone(self);
        std::thread::Builder::new().name("tls-reload".into()).spawn(move || loop {
            std::thread::sleep(every);
            if let Err(e) = store.reload(&db) {
                tracing::warn!(error = %e, "TLS certificates: the catalog could not be read");
            }
        })?;
        Ok(())
    }

    /// The TLS settings of the tenant listener: certificates from this store, HTTP/1.1.
    pub fn server_config(self: &Arc<Self>) -> anyhow::Result<rustls::ServerConfig> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| anyhow::anyhow!("TLS settings: {e}"))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(self) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name()?.to_ascii_lowercase();
        self.by_host.load().get(name.trim_end_matches('.')).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(dir: &Path, host: &str) -> (PathBuf, PathBuf) {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert =
            rcgen::CertificateParams::new(vec![host.to_owned()]).expect("params").self_signed(&key).expect("cert");
        let (c, k) = (dir.join(format!("{host}.crt")), dir.join(format!("{host}.key")));
        std::fs::write(&c, cert.pem()).expect("write");
        std::fs::write(&k, key.serialize_pem()).expect("write");
        (c, k)
    }

    #[test]
    fn a_certificate_is_reloaded_when_its_files_change_and_kept_when_they_break() {
        let dir = std::env::temp_dir().join(format!("civitas-tls-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let (cert_path, key_path) = issue(&dir, "ville.test");
        let wanted = vec![HostCertificate { host: "ville.test".into(), cert_path, key_path: key_path.clone() }];
        let store = CertStore::default();
        assert_eq!(store.apply(&wanted), 1);
        assert_eq!(store.apply(&wanted), 0, "unchanged files are not read again");
        let first = store.by_host.load().get("ville.test").cloned().expect("loaded");
        std::thread::sleep(Duration::from_millis(20));
        issue(&dir, "ville.test");
        assert_eq!(store.apply(&wanted), 1, "new files are read");
        let second = store.by_host.load().get("ville.test").cloned().expect("loaded");
        assert_ne!(first.cert, second.cert);
        // A broken key: the previous certificate stays.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&key_path, "pas une clé").expect("write");
        assert_eq!(store.apply(&wanted), 0);
        assert_eq!(store.by_host.load().get("ville.test").map(|k| k.cert.clone()), Some(second.cert.clone()));
        // rcgen's certificates run until 4096; the metric reads that.
        let expiry = store.expiries();
        assert_eq!(expiry.len(), 1);
        assert!(expiry[0].1 > 4_000_000_000, "{expiry:?}");
        // A host no longer listed is dropped.
        store.apply(&[]);
        assert!(store.hosts().is_empty());
        assert!(store.expiries().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
