//! Reads a `multipart/form-data` form (a form with files) within size limits: text
//! fields up to `max_text` bytes each, files up to `max_file` bytes each and
//! `max_total` in all. Past a limit it stops reading and says which field was too
//! large, keeping the text fields read so far so the form can be shown again.
use actix_multipart::Multipart;
use futures_util::TryStreamExt;

/// A file field as sent.
pub struct FilePart {
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

#[derive(Default)]
pub struct MultipartForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<FilePart>,
    /// The field that went over its limit, if any (reading stopped there).
    pub oversize: Option<String>,
    /// The body could not be read as a form.
    pub malformed: bool,
}

impl MultipartForm {
    /// The last value of a text field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

pub struct Limits {
    pub max_text: usize,
    pub max_file: usize,
    pub max_total: usize,
}

pub async fn read(mut payload: Multipart, limits: Limits) -> MultipartForm {
    let mut form = MultipartForm::default();
    let mut total = 0usize;
    loop {
        let mut field = match payload.try_next().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                form.malformed = true;
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        let filename = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        let limit = if filename.is_some() { limits.max_file } else { limits.max_text };
        let mut bytes = Vec::new();
        loop {
            match field.try_next().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > limit || total + chunk.len() > limits.max_total {
                        form.oversize = Some(name.clone());
                        break;
                    }
                    total += chunk.len();
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(_) => {
                    form.malformed = true;
                    break;
                }
            }
        }
        if form.oversize.is_some() || form.malformed {
            break;
        }
        match filename {
            Some(filename) => form.files.push(FilePart { field: name, filename, bytes }),
            None => form.fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    form
}
