//! Staff passwords: accepted once by length, stored only as an argon2id PHC string.
//!
//! We use the `argon2` crate's defaults (argon2id, v=19, m=19 MiB, t=2, p=1): the
//! OWASP-recommended minimum for argon2id, strong enough for staff passwords yet
//! cheap enough (one core, 19 MiB) that a burst of sign-ins cannot starve a small host. The parameters travel inside each
//! PHC string, so raising them later only affects new hashes.
use std::fmt;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use super::AuthError;

/// A password that meets the length rules. Its `Debug` never shows it.
///
/// Length counts characters (Unicode scalar values), not bytes, so that accented
/// letters count once; the byte cap only bounds hashing work. No other composition
/// rules (NIST SP 800-63B). At sign-in, treat a refused `Password` as wrong
/// credentials, without saying why.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(password: String) -> Result<Self, AuthError> {
        if password.len() > Self::MAX_BYTES {
            return Err(AuthError::PasswordTooLong { max: Self::MAX_BYTES });
        }
        if password.chars().count() < Self::MIN_CHARS {
            return Err(AuthError::PasswordTooShort { min: Self::MIN_CHARS });
        }
        Ok(Self(password))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Hashes with argon2id and a fresh 16-byte salt from the operating system.
pub fn hash_password(password: &Password) -> Result<String, AuthError> {
    let hash = Argon2::default().hash_password(password.0.as_bytes()).map_err(AuthError::Hashing)?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string; the crate compares in constant time.
///
/// `Ok(false)` is a wrong password; `Err` means the stored hash itself is unusable.
pub fn verify_password(password: &Password, phc: &str) -> Result<bool, AuthError> {
    let hash = argon2::PasswordHash::new(phc).map_err(AuthError::MalformedPasswordHash)?;
    match Argon2::default().verify_password(password.0.as_bytes(), &hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(other) => Err(AuthError::Hashing(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(s: &str) -> Password {
        Password::parse(s.to_owned()).unwrap()
    }

    #[test]
    fn a_password_of_eleven_characters_is_refused_with_a_clear_message() {
        let err = Password::parse("abcdefghijk".into()).unwrap_err();
        assert_eq!(err.to_string(), "the password must have at least 12 characters");
    }

    #[test]
    fn a_password_of_twelve_characters_is_accepted() {
        Password::parse("abcdefghijkl".into()).unwrap();
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 11 characters but 22 bytes: still too short.
        assert!(matches!(Password::parse("ééééééééééé".into()), Err(AuthError::PasswordTooShort { .. })));
        Password::parse("éééééééééééé".into()).unwrap();
    }

    #[test]
    fn a_password_over_1024_bytes_is_refused() {
        Password::parse("a".repeat(1024)).unwrap();
        let err = Password::parse("a".repeat(1025)).unwrap_err();
        assert_eq!(err.to_string(), "the password must have at most 1024 bytes");
    }

    #[test]
    fn debug_never_prints_the_password() {
        let shown = format!("{:?}", password("correct horse battery staple"));
        assert!(!shown.contains("horse"), "{shown}");
    }

    #[test]
    fn the_hash_is_an_argon2id_phc_string_with_the_crate_defaults() {
        let phc = hash_password(&password("correct horse battery staple")).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("horse"));
    }

    #[test]
    fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let phc = hash_password(&password("correct horse battery staple")).unwrap();
        assert!(verify_password(&password("correct horse battery staple"), &phc).unwrap());
        assert!(!verify_password(&password("correct horse battery stapler"), &phc).unwrap());
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        let p = password("correct horse battery staple");
        assert_ne!(hash_password(&p).unwrap(), hash_password(&p).unwrap());
    }

    #[test]
    fn a_damaged_stored_hash_is_an_error_not_a_wrong_password() {
        let err = verify_password(&password("correct horse battery staple"), "not a phc string").unwrap_err();
        assert!(matches!(err, AuthError::MalformedPasswordHash(_)), "{err:?}");
    }
}
