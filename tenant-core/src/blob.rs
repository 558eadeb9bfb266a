//! File storage. Every key starts with the owning tenant's id, so one tenant's files
//! can only be named through that tenant.
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{CoreError, CoreResult};

/// A file's address: tenant id, then a relative name of safe characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobKey {
    tenant: Uuid,
    name: String,
}

/// The owner id reserved for the platform's own files (the catalog's backups), under
/// `00000000-0000-0000-0000-000000000000/`. No tenant can have it (a catalog CHECK
/// refuses it), [`BlobKey::new`] and [`BlobKey::parse_owned`] refuse it, so no tenant
/// route, which always names files through its own tenant's id, can reach these files.
pub const PLATFORM: Uuid = Uuid::nil();

/// Which of a tenant's files are the hosting company's copies rather than the
/// tenant's own content: left out of its usage, exports and backups.
pub fn is_operator_copy(name: &str) -> bool {
    name.starts_with("exports/") || name.starts_with("backups/")
}

impl BlobKey {
    /// A tenant's file. `name` is segments of `[a-z0-9._-]` separated by `/`, none
    /// empty or `.`/`..`. The platform's id ([`PLATFORM`]) is refused.
    pub fn new(tenant: Uuid, name: &str) -> CoreResult<Self> {
        if tenant == PLATFORM {
            return Err(CoreError::Invalid("the nil id names the platform's files, not a tenant's".into()));
        }
        Self::listed(tenant, name)
    }

    /// A file of the platform itself (catalog backups), in the reserved space.
    pub fn platform(name: &str) -> CoreResult<Self> {
        Self::listed(PLATFORM, name)
    }

    /// A key as a store lists it, for the tenant or the platform space alike; only
    /// store implementations and backups use this, tenant code uses [`BlobKey::new`].
    pub fn listed(owner: Uuid, name: &str) -> CoreResult<Self> {
        let ok = !name.is_empty()
            && name.len() <= 200
            && name.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            });
        if ok {
            Ok(Self { tenant: owner, name: name.to_owned() })
        } else {
            Err(CoreError::Invalid(format!("invalid file name {name:?}")))
        }
    }

    /// Parses a key as stored in the catalog (`<uuid>/<name>`), for the given owner only.
    pub fn parse_owned(tenant: Uuid, stored: &str) -> CoreResult<Self> {
        let (owner, name) = stored.split_once('/').ok_or_else(|| CoreError::Invalid("malformed file key".into()))?;
        if tenant == PLATFORM || owner != tenant.to_string() {
            return Err(CoreError::NotFound("file not found".into()));
        }
        Self::new(tenant, name)
    }

    /// Parses a stored key of the platform's space (`00000000-…/<name>`).
    pub fn parse_platform(stored: &str) -> CoreResult<Self> {
        match stored.split_once('/') {
            Some((owner, name)) if owner == PLATFORM.to_string() => Self::platform(name),
            _ => Err(CoreError::NotFound("not a platform file".into())),
        }
    }

    pub fn tenant(&self) -> Uuid {
        self.tenant
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stored form, `<tenant id>/<name>`.
    pub fn to_stored(&self) -> String {
        format!("{}/{}", self.tenant, self.name)
    }
}

/// Where files live: [`LocalBlobStore`] (the default) or the S3 backend (crate
/// `blob-s3`, kept out of this crate so it needs no HTTP client). Every method is
/// blocking: call it from a blocking thread, never from async code.
///
/// A store that cannot be reached answers [`CoreError::StorageUnavailable`]; callers
/// write the file before the database row that names it, so an outage leaves no row.
pub trait BlobStore: Send + Sync {
    fn put(&self, key: &BlobKey, bytes: &[u8]) -> CoreResult<()>;
    fn get(&self, key: &BlobKey) -> CoreResult<Option<Vec<u8>>>;
    fn delete(&self, key: &BlobKey) -> CoreResult<()>;
    /// Removes every file of one tenant (purge).
    fn delete_tenant(&self, tenant: Uuid) -> CoreResult<()>;
    /// Every file of one tenant (or of the platform, with [`PLATFORM`]), for exports
    /// and backups.
    fn list_tenant(&self, tenant: Uuid) -> CoreResult<Vec<BlobKey>>;
    /// Every file of one tenant with when it was last written (`None`: the store does
    /// not say, and the file is then never taken for an orphan).
    fn list_tenant_dated(&self, tenant: Uuid) -> CoreResult<Vec<(BlobKey, Option<DateTime<Utc>>)>> {
        Ok(self.list_tenant(tenant)?.into_iter().map(|key| (key, None)).collect())
    }
    /// Checks that the store answers with its settings (at start: fail fast).
    fn check(&self) -> CoreResult<()> {
        Ok(())
    }
    /// A short-lived link that downloads `key` directly from the store, sent with the
    /// given type and disposition; `None` when the store hands out no such links (the
    /// file is then served through the tenant's host). The caller has already checked
    /// that the key is the requesting tenant's and that the visitor may read it.
    fn download_url(&self, key: &BlobKey, content_type: &str, disposition: &str) -> CoreResult<Option<String>> {
        let _ = (key, content_type, disposition);
        Ok(None)
    }
    /// The bytes one tenant's files take, its exports and backups left out (they are
    /// the hosting company's copies, not the tenant's plan).
    fn tenant_usage(&self, tenant: Uuid) -> CoreResult<u64> {
        let mut total = 0u64;
        for key in self.list_tenant(tenant)? {
            if is_operator_copy(&key.name) {
                continue;
            }
            total += self.get(&key)?.map(|b| b.len() as u64).unwrap_or(0);
        }
        Ok(total)
    }
}

/// Files under a folder, one sub-folder per tenant; writes are atomic (temp + rename).
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.tenant.to_string()).join(Path::new(&key.name))
    }
}

impl BlobStore for LocalBlobStore {
    fn list_tenant(&self, tenant: Uuid) -> CoreResult<Vec<BlobKey>> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
            for entry in fs::read_dir(dir)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    walk(&path, base, out)?;
                } else if let Ok(rel) = path.strip_prefix(base) {
                    let name = rel.to_string_lossy().replace('\\', "/");
                    if !name.rsplit('/').next().unwrap_or("").starts_with(".tmp-") {
                        out.push(name);
                    }
                }
            }
            Ok(())
        }
        let root = self.root.join(tenant.to_string());
        let mut names = Vec::new();
        match walk(&root, &root, &mut names) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CoreError::io("listing a tenant's files", e)),
        }
        names.sort();
        names.iter().map(|n| BlobKey::listed(tenant, n)).collect()
    }

    fn list_tenant_dated(&self, tenant: Uuid) -> CoreResult<Vec<(BlobKey, Option<DateTime<Utc>>)>> {
        let mut out = Vec::new();
        for key in self.list_tenant(tenant)? {
            match fs::metadata(self.path(&key)).and_then(|m| m.modified()) {
                Ok(at) => out.push((key, Some(DateTime::<Utc>::from(at)))),
                // Gone since the listing: nothing to say about it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(CoreError::io("dating a tenant's file", e)),
            }
        }
        Ok(out)
    }

    fn tenant_usage(&self, tenant: Uuid) -> CoreResult<u64> {
        let mut total = 0u64;
        for key in self.list_tenant(tenant)? {
            if is_operator_copy(&key.name) {
                continue;
            }
            match fs::metadata(self.path(&key)) {
                Ok(m) => total += m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(CoreError::io("measuring a tenant's files", e)),
            }
        }
        Ok(total)
    }

    fn delete_tenant(&self, tenant: Uuid) -> CoreResult<()> {
        match fs::remove_dir_all(self.root.join(tenant.to_string())) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CoreError::io("removing a tenant's files", e)),
        }
    }

    fn put(&self, key: &BlobKey, bytes: &[u8]) -> CoreResult<()> {
        let path = self.path(key);
        let dir = path.parent().ok_or_else(|| CoreError::Invalid("file without folder".into()))?;
        fs::create_dir_all(dir).map_err(|e| CoreError::io(format!("creating {}", dir.display()), e))?;
        let tmp = dir.join(format!(".tmp-{}", Uuid::new_v4()));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            CoreError::io(format!("writing {}", path.display()), e)
        })
    }

    fn get(&self, key: &BlobKey) -> CoreResult<Option<Vec<u8>>> {
        match fs::read(self.path(key)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CoreError::io("reading a file", e)),
        }
    }

    fn delete(&self, key: &BlobKey) -> CoreResult<()> {
        let path = self.path(key);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CoreError::io("deleting a file", e)),
        }
        // Folders left empty go too, up to the store's root (remove_dir refuses a
        // folder that still holds something, which ends the climb).
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != self.root && d.starts_with(&self.root)) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }
}

/// The image formats accepted for logos, recognised by their first bytes.
pub fn sniff_image(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("png", "image/png"))
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(("jpg", "image/jpeg"))
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("webp", "image/webp"))
    } else {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
        let trimmed = head.trim_start_matches('\u{feff}').trim_start();
        (trimmed.starts_with("<svg") || (trimmed.starts_with("<?xml") && head.contains("<svg")))
            .then_some(("svg", "image/svg+xml"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_their_tenant() {
        let t = Uuid::new_v4();
        assert!(BlobKey::new(t, "branding/logo.svg").is_ok());
        for bad in ["", "../x", "a/../../b", "/etc/passwd", "a//b", "A.png", "a\\b", "./a"] {
            assert!(BlobKey::new(t, bad).is_err(), "{bad:?}");
        }
        let other = Uuid::new_v4();
        assert!(BlobKey::parse_owned(t, &format!("{other}/branding/logo.svg")).is_err());
    }

    #[test]
    fn the_platform_space_is_out_of_every_tenants_reach() {
        let catalog = BlobKey::platform("backups/x/catalog.dump").unwrap();
        assert!(BlobKey::new(PLATFORM, "backups/x/catalog.dump").is_err());
        assert!(BlobKey::parse_owned(PLATFORM, &catalog.to_stored()).is_err());
        assert!(BlobKey::parse_owned(Uuid::new_v4(), &catalog.to_stored()).is_err());
        assert_eq!(BlobKey::parse_platform(&catalog.to_stored()).unwrap(), catalog);
        assert!(BlobKey::parse_platform(&BlobKey::new(Uuid::new_v4(), "a").unwrap().to_stored()).is_err());
    }

    #[test]
    fn images_are_recognised_by_content() {
        assert_eq!(sniff_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>").map(|x| x.0), Some("svg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n....").map(|x| x.0), Some("png"));
        assert_eq!(sniff_image(b"<html><script>").map(|x| x.0), None);
        assert_eq!(sniff_image(b"").map(|x| x.0), None);
    }
}
