//! Images that a tenant's administrators upload (a space's hero image, the site's
//! logo): a multipart form read with bounds, the type recognised from the content
//! (never from the file name or the browser's word), and the plan's storage limit.
use std::collections::HashMap;

use actix_multipart::Multipart;
use futures_util::TryStreamExt;
use tenant_core::blob::{sniff_image, BlobStore};
use tenant_core::{CoreResult, Tenant};

/// The largest image accepted.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// The largest text field of an upload form, and how many fields are read.
const MAX_TEXT: usize = 8 * 1024;
const MAX_FIELDS: usize = 20;

/// What an upload form sent.
#[derive(Default)]
pub struct UploadForm {
    pub fields: HashMap<String, String>,
    /// The file's bytes, when one was chosen.
    pub file: Option<Vec<u8>>,
    /// A field (the file, most likely) over its limit: nothing else was kept.
    pub too_large: bool,
}

impl UploadForm {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Reads a multipart form whose file is in `file_field`; `None` when the body is not
/// a readable multipart form.
pub async fn read(mut payload: Multipart, file_field: &str) -> Option<UploadForm> {
    let mut form = UploadForm::default();
    let mut n = 0;
    while let Some(mut field) = payload.try_next().await.ok()? {
        n += 1;
        if n > MAX_FIELDS {
            return None;
        }
        let name = field.name().unwrap_or("").to_owned();
        let limit = if name == file_field { MAX_IMAGE_BYTES } else { MAX_TEXT };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.ok()? {
            if bytes.len() + chunk.len() > limit {
                form.too_large = true;
                return Some(form);
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == file_field {
            if !bytes.is_empty() {
                form.file = Some(bytes);
            }
        } else {
            form.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Some(form)
}

/// Why an image was refused; each has a message `admin_image_<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageRefused {
    Missing,
    TooLarge,
    /// Not a PNG, JPEG or WebP image, whatever its name says.
    WrongType,
    /// It would pass the plan's stored file space.
    NoSpace,
}

impl ImageRefused {
    pub fn message_key(self) -> &'static str {
        match self {
            ImageRefused::Missing => "admin_image_missing",
            ImageRefused::TooLarge => "admin_image_too_large",
            ImageRefused::WrongType => "admin_image_wrong_type",
            ImageRefused::NoSpace => "admin_image_no_space",
        }
    }
}

/// The file's extension when it is an accepted image (SVG is not: it can carry script).
pub fn check_image(form: &UploadForm) -> Result<&'static str, ImageRefused> {
    if form.too_large {
        return Err(ImageRefused::TooLarge);
    }
    let bytes = form.file.as_deref().ok_or(ImageRefused::Missing)?;
    match sniff_image(bytes) {
        Some((ext @ ("png" | "jpg" | "webp"), _)) => Ok(ext),
        _ => Err(ImageRefused::WrongType),
    }
}

/// Whether `extra` more bytes fit in the tenant's plan (the file being replaced still
/// counts, as provisioning counts a new logo). Blocking.
pub fn fits_in_plan(blobs: &dyn BlobStore, tenant: &Tenant, extra: usize) -> CoreResult<bool> {
    let Some(max) = tenant.max_storage_bytes else { return Ok(true) };
    let used = blobs.tenant_usage(tenant.id)?;
    Ok(used + extra as u64 <= u64::try_from(max).unwrap_or(0))
}
