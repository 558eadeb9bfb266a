//! Files attached to proposals: PDF, PNG, JPEG or WebP recognised by their first
//! bytes (never by the name the browser sent), up to `MAX_BYTES` each and
//! `MAX_FILES` per proposal, stored in the blob store under the tenant. A file is
//! written before its row, and removed again if the row cannot be written, so a
//! failure leaves neither a row without a file nor a file counted twice.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::blob::{sniff_image, BlobKey, BlobStore};
use crate::error::{CoreError, CoreResult};
use crate::schema::tenant::proposal_attachments as a;
use crate::tenant::Tenant;

pub const MAX_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_FILES: usize = 3;

/// A file as received.
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A checked file with the key it is stored under.
pub struct Prepared {
    pub key: BlobKey,
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        return Some(("pdf", "application/pdf"));
    }
    // SVG is an image format for logos, not for participants' uploads (it can carry script).
    sniff_image(bytes).filter(|(ext, _)| *ext != "svg")
}

/// A file name safe to show and to send back in Content-Disposition.
fn clean_name(raw: &str, ext: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let stem: String = stem
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' || c == ' ' { c } else { '_' })
        .take(80)
        .collect();
    let stem = stem.trim();
    format!("{}.{ext}", if stem.is_empty() { "document" } else { stem })
}

/// Checks the files of one submission; errors name the file and what is allowed.
pub fn prepare(tenant: &Tenant, uploads: Vec<Upload>, already: usize) -> CoreResult<Vec<Prepared>> {
    let uploads: Vec<Upload> = uploads.into_iter().filter(|u| !u.bytes.is_empty() || !u.filename.is_empty()).collect();
    if uploads.len() + already > MAX_FILES {
        return Err(CoreError::Invalid(format!("attachments: at most {MAX_FILES} files per proposal")));
    }
    uploads
        .into_iter()
        .map(|u| {
            if u.bytes.is_empty() {
                return Err(CoreError::Invalid(format!("attachments: {:?} is empty", u.filename)));
            }
            if u.bytes.len() > MAX_BYTES {
                return Err(CoreError::Invalid(format!(
                    "attachments: {:?} is larger than {} MiB",
                    u.filename,
                    MAX_BYTES / (1024 * 1024)
                )));
            }
            let (ext, content_type) = sniff(&u.bytes).ok_or_else(|| {
                CoreError::Invalid(format!("attachments: {:?} is not a PDF, PNG, JPEG or WebP file", u.filename))
            })?;
            let key = BlobKey::new(tenant.id, &format!("proposals/{}.{ext}", Uuid::new_v4().simple()))?;
            Ok(Prepared { key, filename: clean_name(&u.filename, ext), content_type, bytes: u.bytes })
        })
        .collect()
}

/// Refuses files that would take the tenant over its plan's storage.
pub fn check_quota(blobs: &dyn BlobStore, tenant: &Tenant, files: &[Prepared]) -> CoreResult<()> {
    let Some(max) = tenant.max_storage_bytes else { return Ok(()) };
    if files.is_empty() {
        return Ok(());
    }
    let adding: u64 = files.iter().map(|f| f.bytes.len() as u64).sum();
    let used = blobs.tenant_usage(tenant.id)?;
    if used + adding > max as u64 {
        return Err(CoreError::Invalid(
            "attachments: this site has no room left for files; try without attachments or contact the site".into(),
        ));
    }
    Ok(())
}

/// Writes the files; on a failure, removes those already written.
pub fn put_all(blobs: &dyn BlobStore, files: &[Prepared]) -> CoreResult<()> {
    for (i, f) in files.iter().enumerate() {
        if let Err(e) = blobs.put(&f.key, &f.bytes) {
            discard(blobs, &files[..i]);
            return Err(e);
        }
    }
    Ok(())
}

/// Removes written files whose rows could not be recorded (best effort, logged).
pub fn discard(blobs: &dyn BlobStore, files: &[Prepared]) {
    for f in files {
        if let Err(e) = blobs.delete(&f.key) {
            tracing::warn!(key = %f.key.to_stored(), error = %e, "could not remove an orphan attachment");
        }
    }
}

/// Records written files against a proposal (in the caller's transaction).
pub fn record(conn: &mut PgConnection, proposal: i64, files: &[Prepared]) -> CoreResult<()> {
    for f in files {
        diesel::insert_into(a::table)
            .values((
                a::proposal_id.eq(proposal),
                a::blob_key.eq(f.key.to_stored()),
                a::filename.eq(&f.filename),
                a::content_type.eq(f.content_type),
                a::size_bytes.eq(f.bytes.len() as i64),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, Queryable)]
pub struct Attachment {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub blob_key: String,
}

pub fn list(conn: &mut PgConnection, proposal: i64) -> CoreResult<Vec<Attachment>> {
    Ok(a::table
        .filter(a::proposal_id.eq(proposal))
        .order(a::id)
        .select((a::id, a::filename, a::content_type, a::size_bytes, a::created_at, a::blob_key))
        .load(conn)?)
}

pub fn find(conn: &mut PgConnection, proposal: i64, id: i64) -> CoreResult<Option<Attachment>> {
    Ok(a::table
        .filter(a::proposal_id.eq(proposal))
        .filter(a::id.eq(id))
        .select((a::id, a::filename, a::content_type, a::size_bytes, a::created_at, a::blob_key))
        .first(conn)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_content_and_names_cleaned() {
        assert_eq!(sniff(b"%PDF-1.7\n...").map(|x| x.0), Some("pdf"));
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert_eq!(clean_name("C:\\Users\\a\\plan <script>.exe", "pdf"), "plan _script_.pdf");
        assert_eq!(clean_name("", "png"), "document.png");
    }
}
