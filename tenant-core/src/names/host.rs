//! Host names as tenants are reached by them.
use std::fmt;

use crate::error::CoreError;

/// A normalised DNS host name: lowercase ASCII, no port, no trailing dot.
///
/// Labels are 1 to 63 characters of letters, digits and `-` (not at either end);
/// the whole name is at most 253 characters. IP literals are refused: a tenant is
/// always reached by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct HostName(String);

impl HostName {
    /// Parses a host name as staff type it (case and one trailing dot forgiven).
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let lower = raw.trim().to_ascii_lowercase();
        let name = lower.strip_suffix('.').unwrap_or(&lower);
        if is_valid_dns_name(name) {
            Ok(Self(name.to_owned()))
        } else {
            Err(CoreError::Invalid(format!(
                "invalid host {raw:?}: expected a DNS name such as ville.example.fr (no scheme, port or path)"
            )))
        }
    }

    /// Normalises the value of an HTTP `Host` header (or URI authority): strips the
    /// port, lowercases, drops one trailing dot. `None` when it is not a valid name.
    pub fn from_header(raw: &str) -> Option<Self> {
        let without_port = match raw.rsplit_once(':') {
            Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
            Some(_) => return None,
            None => raw,
        };
        let name = without_port.strip_suffix('.').unwrap_or(without_port);
        if name.len() > 253 || name.is_empty() {
            return None;
        }
        let lower = name.to_ascii_lowercase();
        is_valid_dns_name(&lower).then_some(Self(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_dns_name(name: &str) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let mut labels = 0;
    for label in name.split('.') {
        labels += 1;
        let b = label.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 63
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-';
        if !ok {
            return false;
        }
    }
    // A name made only of digits and dots is an IPv4 literal, not a host name.
    let numeric = name.bytes().all(|c| c.is_ascii_digit() || c == b'.');
    labels >= 1 && !numeric
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_normalised() {
        let h = |s| HostName::from_header(s).map(|h| h.to_string());
        assert_eq!(h("Ville.Example.FR"), Some("ville.example.fr".into()));
        assert_eq!(h("ville.example.fr:8080"), Some("ville.example.fr".into()));
        assert_eq!(h("ville.example.fr."), Some("ville.example.fr".into()));
        assert_eq!(h("ville.example.fr.:443"), Some("ville.example.fr".into()));
        assert_eq!(h("lyon.localhost"), Some("lyon.localhost".into()));
    }

    #[test]
    fn hostile_header_values_are_refused() {
        for bad in [
            "",
            ":80",
            "a..b",
            "-a.fr",
            "a-.fr",
            "a.fr:",
            "a.fr:http",
            "a.fr:80:80",
            "a b.fr",
            "a.fr/x",
            "a.fr\\x",
            "user@a.fr",
            "[::1]",
            "[::1]:80",
            "127.0.0.1",
            "a.fr..",
            "\u{e9}t\u{e9}.fr",
            "a.fr\r\nX: y",
            "*.a.fr",
            "a_b.fr",
        ] {
            assert_eq!(HostName::from_header(bad), None, "{bad:?} should be refused");
        }
        assert_eq!(HostName::from_header(&"a".repeat(64)), None);
        assert_eq!(HostName::from_header(&format!("{}.fr", "a.".repeat(130))), None);
    }

    #[test]
    fn staff_input_gets_a_clear_message() {
        let err = HostName::parse("https://ville.fr/").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("invalid host"), "{err}");
    }
}
