//! Theme names: a folder under `themes/`.
use std::fmt;

use crate::error::CoreError;

/// The name of a theme folder: `^[a-z][a-z0-9_-]{0,39}$`, so it never escapes `themes/`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ThemeName(String);

impl ThemeName {
    pub const DEFAULT: &'static str = "default";

    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let b = raw.as_bytes();
        let ok = (1..=40).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(CoreError::Invalid(format!("invalid theme name {raw:?}")))
        }
    }

    pub fn default_theme() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ThemeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
