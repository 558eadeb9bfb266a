//! A staff member's email address, normalised once.
use std::fmt;

use tenant_core::CoreError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffEmail(String);

impl StaffEmail {
    /// Lowercased and trimmed; one `@` with something on each side, no spaces.
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.'));
        if valid {
            Ok(Self(email))
        } else {
            Err(CoreError::Invalid(format!("invalid email address {raw:?}")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StaffEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::StaffEmail;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            StaffEmail::parse(" Ops@Hebergeur.FR ").map(|e| e.to_string()).ok(),
            Some("ops@hebergeur.fr".into())
        );
        for bad in ["", "ops", "@x.fr", "ops@", "ops@x", "o ps@x.fr", "a@b@c.fr", "ops@.fr"] {
            assert!(StaffEmail::parse(bad).is_err(), "{bad:?}");
        }
    }
}
