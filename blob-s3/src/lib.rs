//! `blob-s3`: tenant-core's [`BlobStore`] on an S3-compatible server (AWS S3, SeaweedFS,
//! MinIO, Garage...), through the `rust-s3` crate.
//!
//! A crate of its own because rust-s3 brings reqwest, and `tenant-core` must know
//! nothing of HTTP (CI fails if its dependency tree holds reqwest); `platform` builds
//! the store from its settings and hands it on as `Arc<dyn BlobStore>`.
//!
//! Objects are named `<tenant id>/<name>` exactly as [`BlobKey::to_stored`] says, so a
//! tenant's files are the objects under its id's prefix: listing, usage and purge are
//! ListObjectsV2 calls on that prefix (following continuation tokens).
//!
//! The trait is blocking while rust-s3 is async: each call runs on a small runtime
//! owned by the store and the calling thread waits for its answer, so it works from
//! actix's blocking pool, job threads and command-line code alike.
use std::fmt;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};
use tenant_core::blob::{BlobKey, BlobStore};
use tenant_core::secrets::SecretString;
use tenant_core::{CoreError, CoreResult};
use uuid::Uuid;

/// Where the bucket is and how to sign requests to it.
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// The region name the server expects in signatures (`us-east-1`, `fr-par`...).
    pub region: String,
    /// The server's base URL (`https://s3.fr-par.scw.cloud`, `http://127.0.0.1:8333`);
    /// `None`: AWS, from the region.
    pub endpoint: Option<String>,
    /// Bucket in the path (`endpoint/bucket/key`) rather than in the host name
    /// (`bucket.endpoint/key`): most self-hosted servers want this.
    pub path_style: bool,
    pub access_key: String,
    pub secret_key: SecretString,
    /// Longest wait for one request before the storage counts as unavailable.
    pub timeout: Duration,
    /// Lifetime of download links handed out for attachments; `None`: no links, every
    /// file goes through the tenant's host.
    pub presigned_url_ttl: Option<Duration>,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("path_style", &self.path_style)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("timeout", &self.timeout)
            .field("presigned_url_ttl", &self.presigned_url_ttl)
            .finish()
    }
}

/// The longest a presigned link may live (S3's own limit is a week; a download link
/// needs minutes).
pub const MAX_PRESIGNED_TTL: Duration = Duration::from_secs(3600);

/// Files in one S3 bucket, under one prefix per tenant.
pub struct S3BlobStore {
    bucket: Box<Bucket>,
    presigned_url_ttl: Option<Duration>,
    /// Keys per ListObjectsV2 page (S3's maximum, 1000, unless a test crosses pages).
    page_size: usize,
    /// Drives rust-s3's futures; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3BlobStore").field("bucket", &self.bucket.name).finish_non_exhaustive()
    }
}

impl S3BlobStore {
    /// Builds the client (no request is sent: see [`BlobStore::check`]).
    pub fn new(settings: &S3Settings) -> CoreResult<Self> {
        let invalid = |what: &str, e: &dyn fmt::Display| CoreError::Invalid(format!("S3 storage: {what}: {e}"));
        if settings.bucket.trim().is_empty() {
            return Err(CoreError::Invalid("S3 storage: the bucket name is empty".into()));
        }
        if settings.access_key.is_empty() || settings.secret_key.expose().is_empty() {
            return Err(CoreError::Invalid("S3 storage: the access key and the secret key are both needed".into()));
        }
        if let Some(ttl) = settings.presigned_url_ttl {
            if ttl.is_zero() || ttl > MAX_PRESIGNED_TTL {
                return Err(CoreError::Invalid(format!(
                    "S3 storage: presigned links live 1 to {} seconds",
                    MAX_PRESIGNED_TTL.as_secs()
                )));
            }
        }
        let region = match &settings.endpoint {
            Some(endpoint) => {
                let endpoint = endpoint.trim_end_matches('/');
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(CoreError::Invalid(format!(
                        "S3 storage: the endpoint {endpoint:?} must start with http:// or https://"
                    )));
                }
                Region::Custom { region: settings.region.clone(), endpoint: endpoint.to_owned() }
            }
            None => settings.region.parse::<Region>().map_err(|e| invalid("region", &e))?,
        };
        let credentials =
            Credentials::new(Some(&settings.access_key), Some(settings.secret_key.expose()), None, None, None)
                .map_err(|e| invalid("credentials", &e))?;
        let mut bucket = Bucket::new(&settings.bucket, region, credentials).map_err(|e| invalid("bucket", &e))?;
        if settings.path_style {
            bucket.set_path_style();
        }
        bucket.set_request_timeout(Some(settings.timeout));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("blob-s3")
            .enable_all()
            .build()
            .map_err(|e| CoreError::io("starting the S3 client's runtime", e))?;
        Ok(Self { bucket, presigned_url_ttl: settings.presigned_url_ttl, page_size: 1000, runtime: Some(runtime) })
    }

    /// Lists `n` keys per request (tests use a small page to follow continuations).
    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page_size = n.clamp(1, 1000);
        self
    }

    /// Runs one request on the store's runtime and waits for its answer. The future is
    /// spawned rather than blocked on here, so this works from any thread (a blocking
    /// call from async code only stalls that thread; it does not panic).
    fn run<T, F>(&self, doing: &str, make: impl FnOnce(Box<Bucket>) -> F) -> CoreResult<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, S3Error>> + Send + 'static,
    {
        let runtime = self.runtime.as_ref().ok_or_else(|| CoreError::StorageUnavailable("shutting down".into()))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let future = make(self.bucket.clone());
        runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        match rx.recv() {
            Ok(result) => result.map_err(|e| classify(doing, &self.bucket.name, e)),
            Err(_) => Err(CoreError::StorageUnavailable(format!("{doing}: the request was dropped"))),
        }
    }

    /// Every object under `prefix`, with its size, following continuation tokens.
    fn list_prefix(&self, prefix: String) -> CoreResult<Vec<(String, u64)>> {
        Ok(self.list_objects(prefix)?.into_iter().map(|o| (o.key, o.size)).collect())
    }

    /// Every object under `prefix`, as the listing gives it.
    fn list_objects(&self, prefix: String) -> CoreResult<Vec<s3::serde_types::Object>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let (p, t, n) = (prefix.clone(), token.take(), self.page_size);
            let (page, _) =
                self.run("listing files", move |b| async move { b.list_page(p, None, t, None, Some(n)).await })?;
            out.extend(page.contents);
            match page.next_continuation_token {
                Some(next) if page.is_truncated => token = Some(next),
                _ => break,
            }
        }
        Ok(out)
    }

    fn tenant_prefix(tenant: Uuid) -> String {
        format!("{tenant}/")
    }
}

impl Drop for S3BlobStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside async code (the last
        // handle may go on an actix worker): let its threads end on their own.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Sorts a failure into "unreachable, try again" (a 503 to the person) and the rest
/// (refused credentials, missing bucket: a setup fault, logged in full).
fn classify(doing: &str, bucket: &str, error: S3Error) -> CoreError {
    let other =
        |message: String| CoreError::io(format!("{doing} (S3 bucket {bucket:?})"), std::io::Error::other(message));
    match error {
        S3Error::Reqwest(e) if e.is_connect() || e.is_timeout() || e.is_request() || e.is_body() => {
            CoreError::StorageUnavailable(format!("{doing}: {e}"))
        }
        S3Error::HttpFailWithBody(status @ (500 | 502 | 503 | 504), body) => {
            CoreError::StorageUnavailable(format!("{doing}: HTTP {status} {}", error_code(&body)))
        }
        S3Error::HttpFailWithBody(status @ (401 | 403), body) => other(format!(
            "the server refused the request (HTTP {status} {}): check the S3 access key, secret key and region",
            error_code(&body)
        )),
        S3Error::HttpFailWithBody(status, body) => other(format!("HTTP {status} {}", error_code(&body))),
        e => other(e.to_string()),
    }
}

/// The `<Code>` of an S3 error body (`SignatureDoesNotMatch`, `NoSuchBucket`...).
fn error_code(body: &str) -> &str {
    body.split_once("<Code>").and_then(|(_, rest)| rest.split_once("</Code>")).map(|(code, _)| code).unwrap_or("")
}

fn is_not_found(error: &S3Error) -> bool {
    matches!(error, S3Error::HttpFailWithBody(404, _))
}

impl BlobStore for S3BlobStore {
    fn put(&self, key: &BlobKey, bytes: &[u8]) -> CoreResult<()> {
        let (path, bytes) = (key.to_stored(), bytes.to_vec());
        // One PUT: the object appears whole or not at all.
        self.run("storing a file", move |b| async move {
            b.put_object_with_content_type(path, &bytes, "application/octet-stream").await.map(|_| ())
        })
    }

    fn get(&self, key: &BlobKey) -> CoreResult<Option<Vec<u8>>> {
        let path = key.to_stored();
        self.run("reading a file", move |b| async move {
            match b.get_object(path).await {
                Ok(data) => Ok(Some(data.to_vec())),
                Err(e) if is_not_found(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn delete(&self, key: &BlobKey) -> CoreResult<()> {
        let path = key.to_stored();
        self.run("deleting a file", move |b| async move {
            match b.delete_object(path).await {
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn delete_tenant(&self, tenant: Uuid) -> CoreResult<()> {
        // Listed again until empty: a file written during the purge goes too. Bounded,
        // so a server that acknowledges deletes without doing them cannot loop us.
        for _ in 0..10 {
            let keys = self.list_prefix(Self::tenant_prefix(tenant))?;
            if keys.is_empty() {
                return Ok(());
            }
            for (path, _) in keys {
                self.run("removing a tenant's files", move |b| async move {
                    match b.delete_object(path).await {
                        Ok(_) => Ok(()),
                        Err(e) if is_not_found(&e) => Ok(()),
                        Err(e) => Err(e),
                    }
                })?;
            }
        }
        Err(CoreError::io(
            "removing a tenant's files",
            std::io::Error::other(format!("objects under {tenant}/ remain after ten passes")),
        ))
    }

    fn list_tenant(&self, tenant: Uuid) -> CoreResult<Vec<BlobKey>> {
        let prefix = Self::tenant_prefix(tenant);
        let mut keys = Vec::new();
        for (path, _) in self.list_prefix(prefix.clone())? {
            let name = path.strip_prefix(&prefix).unwrap_or(&path);
            // `listed`: the platform's own space (the nil id, backups of the catalog) too.
            match BlobKey::listed(tenant, name) {
                Ok(key) => keys.push(key),
                // Not a name Civitas writes: someone else's object; leave it out.
                Err(_) => tracing::warn!(object = %path, "an object with a name Civitas does not use is skipped"),
            }
        }
        keys.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(keys)
    }

    fn list_tenant_dated(&self, tenant: Uuid) -> CoreResult<Vec<(BlobKey, Option<DateTime<Utc>>)>> {
        let prefix = Self::tenant_prefix(tenant);
        let mut out = Vec::new();
        for object in self.list_objects(prefix.clone())? {
            let name = object.key.strip_prefix(&prefix).unwrap_or(&object.key);
            let Ok(key) = BlobKey::listed(tenant, name) else { continue };
            // S3 gives `LastModified` in RFC 3339; one it cannot read is left undated.
            let at = DateTime::parse_from_rfc3339(&object.last_modified).ok().map(|t| t.with_timezone(&Utc));
            out.push((key, at));
        }
        out.sort_by(|a, b| a.0.name().cmp(b.0.name()));
        Ok(out)
    }

    fn tenant_usage(&self, tenant: Uuid) -> CoreResult<u64> {
        let prefix = Self::tenant_prefix(tenant);
        Ok(self
            .list_prefix(prefix.clone())?
            .into_iter()
            .filter(|(path, _)| !tenant_core::blob::is_operator_copy(path.strip_prefix(&prefix).unwrap_or(path)))
            .map(|(_, size)| size)
            .sum())
    }

    fn check(&self) -> CoreResult<()> {
        self.run("checking the bucket", |b| async move {
            b.list_page(String::new(), None, None, None, Some(1)).await.map(|_| ())
        })
    }

    fn download_url(&self, key: &BlobKey, content_type: &str, disposition: &str) -> CoreResult<Option<String>> {
        let Some(ttl) = self.presigned_url_ttl else { return Ok(None) };
        let path = key.to_stored();
        // The type and disposition are part of what is signed: a link cannot be
        // changed to serve the file inline, or as HTML.
        let queries = [
            ("response-content-type".to_owned(), content_type.to_owned()),
            ("response-content-disposition".to_owned(), disposition.to_owned()),
            ("response-cache-control".to_owned(), "private, no-store".to_owned()),
        ]
        .into_iter()
        .collect();
        let secs = u32::try_from(ttl.as_secs()).unwrap_or(u32::MAX);
        self.run("signing a download link", move |b| async move { b.presign_get(path, secs, Some(queries)).await })
            .map(Some)
    }
}
