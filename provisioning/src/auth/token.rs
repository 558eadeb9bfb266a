//! Bearer secrets: API tokens and one-time staff setup links, and what a token may do.
//!
//! A secret is shown once and only its hash is stored. The hash is a plain SHA-256,
//! not argon2: the secret carries 256 random bits, so there is nothing to guess and
//! a slow hash would only slow every API request down.
use std::fmt;

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use sha2::{Digest, Sha256};

use super::AuthError;

/// Prefix of API tokens, the only tokens accepted in an `Authorization` header.
pub const API_TOKEN_PREFIX: &str = "cvt";
/// Prefix of one-time staff setup links.
pub const SETUP_TOKEN_PREFIX: &str = "cvs";

const RANDOM_BYTES: usize = 32;

/// A freshly made token: show [`Self::secret`] once, store [`Self::hash`].
///
/// The prefix lets people, logs and secret scanners tell what a leaked string is.
pub struct NewToken {
    secret: String,
    hash: String,
}

impl NewToken {
    /// `<prefix>_<43 base64url characters of 32 random bytes>`.
    pub fn generate(prefix: &'static str) -> Result<Self, AuthError> {
        debug_assert!(
            !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_lowercase()),
            "a token prefix is lowercase letters"
        );
        let mut bytes = [0u8; RANDOM_BYTES];
        getrandom::fill(&mut bytes).map_err(AuthError::Randomness)?;
        let secret = format!("{prefix}_{}", BASE64URL_NOPAD.encode(&bytes));
        let hash = token_hash(&secret);
        Ok(Self { secret, hash })
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }

    pub fn hash(&self) -> &str {
        &self.hash
    }
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken").field("secret", &"<redacted>").field("hash", &self.hash).finish()
    }
}

/// Compares two secrets (or their hashes) in time that depends on their length only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lowercase hex SHA-256 of the whole secret, prefix included: the value to store and look up.
pub fn token_hash(secret: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

/// The API token in an `Authorization: Bearer <token>` header value.
///
/// The scheme is case-insensitive and surrounding spaces are ignored. Refuses a
/// missing or empty token, one with whitespace inside, one without the API token
/// prefix (so a setup token cannot be used as an API token), and characters
/// outside base64url.
pub fn parse_bearer(header_value: &str) -> Option<&str> {
    let (scheme, token) = header_value.trim().split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    let body = token.strip_prefix(API_TOKEN_PREFIX)?.strip_prefix('_')?;
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return None;
    }
    Some(token)
}

/// One thing an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        match text {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            other => Err(AuthError::UnknownScope(other.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scopes granted to a token; never empty.
///
/// Write implies read: a client that changes tenants has to see what it changes,
/// and a write-only token would only push clients into asking for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scopes {
    read: bool,
    write: bool,
}

impl Scopes {
    pub const READ_ONLY: Self = Self { read: true, write: false };
    pub const READ_WRITE: Self = Self { read: true, write: true };

    /// Reads the stored form: scope names separated by spaces (as in OAuth 2).
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        Self::from_granted(text.split_whitespace().map(Scope::parse).collect::<Result<Vec<_>, _>>()?)
    }

    /// The set of `granted` scopes, refusing an empty one; duplicates are harmless.
    pub fn from_granted(granted: impl IntoIterator<Item = Scope>) -> Result<Self, AuthError> {
        let mut scopes = Self { read: false, write: false };
        for scope in granted {
            match scope {
                Scope::Read => scopes.read = true,
                Scope::Write => scopes.write = true,
            }
        }
        if !scopes.read && !scopes.write {
            return Err(AuthError::NoScopes);
        }
        Ok(scopes)
    }

    /// Whether a request needing `needed` may go ahead.
    pub fn allows(self, needed: Scope) -> bool {
        match needed {
            Scope::Read => self.read || self.write,
            Scope::Write => self.write,
        }
    }

    /// Whether `scope` was granted explicitly, ignoring what it implies.
    pub fn contains(self, scope: Scope) -> bool {
        match scope {
            Scope::Read => self.read,
            Scope::Write => self.write,
        }
    }
}

impl fmt::Display for Scopes {
    /// The stored form, in a fixed order: `read`, `write` or `read write`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> =
            [Scope::Read, Scope::Write].into_iter().filter(|s| self.contains(*s)).map(Scope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_token() -> NewToken {
        NewToken::generate(API_TOKEN_PREFIX).unwrap()
    }

    #[test]
    fn a_new_token_is_its_prefix_and_43_base64url_characters() {
        let token = NewToken::generate(SETUP_TOKEN_PREFIX).unwrap();
        let body = token.secret().strip_prefix("cvs_").unwrap();
        assert_eq!(body.len(), 43);
        assert_eq!(BASE64URL_NOPAD.decode(body.as_bytes()).unwrap().len(), 32);
    }

    #[test]
    fn two_new_tokens_differ() {
        assert_ne!(api_token().secret(), api_token().secret());
    }

    #[test]
    fn the_stored_hash_is_the_hex_sha256_of_the_secret() {
        let token = api_token();
        assert_eq!(token.hash(), token_hash(token.secret()));
        assert_eq!(token.hash().len(), 64);
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn debug_shows_the_hash_but_never_the_secret() {
        let token = api_token();
        let shown = format!("{token:?}");
        assert!(!shown.contains(token.secret()), "{shown}");
        assert!(shown.contains(token.hash()));
    }

    #[test]
    fn a_bearer_header_yields_its_token() {
        let token = api_token();
        assert_eq!(parse_bearer(&format!("Bearer {}", token.secret())), Some(token.secret()));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_spaces_are_trimmed() {
        let token = api_token();
        for header in [
            format!("bearer {}", token.secret()),
            format!("BEARER {}", token.secret()),
            format!("  Bearer \t {}  ", token.secret()),
        ] {
            assert_eq!(parse_bearer(&header), Some(token.secret()), "{header:?}");
        }
    }

    #[test]
    fn a_header_without_a_usable_token_is_refused() {
        for header in ["", "Bearer", "Bearer ", "Bearer    ", "Bearer cvt_", "Bearer cvt", "cvt_abc", "Basic cvt_abc"] {
            assert_eq!(parse_bearer(header), None, "{header:?}");
        }
    }

    #[test]
    fn a_token_with_whitespace_inside_is_refused() {
        assert_eq!(parse_bearer("Bearer cvt_abc def"), None);
        assert_eq!(parse_bearer("Bearer cvt_abc\tdef"), None);
    }

    #[test]
    fn a_setup_token_or_foreign_token_is_refused_as_a_bearer() {
        let setup = NewToken::generate(SETUP_TOKEN_PREFIX).unwrap();
        assert_eq!(parse_bearer(&format!("Bearer {}", setup.secret())), None);
        assert_eq!(parse_bearer("Bearer ghp_abcdefghijklmnop"), None);
        assert_eq!(parse_bearer("Bearer cvtx_abcdefghijklmnop"), None);
        assert_eq!(parse_bearer("Bearer cvt_abc.def"), None);
    }

    #[test]
    fn a_scope_parses_from_and_prints_as_its_name() {
        for scope in [Scope::Read, Scope::Write] {
            assert_eq!(Scope::parse(scope.as_str()).unwrap(), scope);
        }
        assert_eq!(Scope::Write.to_string(), "write");
    }

    #[test]
    fn an_unknown_scope_is_refused_by_name() {
        let err = Scope::parse("admin").unwrap_err();
        assert_eq!(err.to_string(), "unknown scope \"admin\": a scope is \"read\" or \"write\"");
        assert!(Scope::parse("Read").is_err());
    }

    #[test]
    fn a_read_token_can_read_but_not_write() {
        assert!(Scopes::READ_ONLY.allows(Scope::Read));
        assert!(!Scopes::READ_ONLY.allows(Scope::Write));
    }

    #[test]
    fn write_implies_read() {
        let write_only = Scopes::parse("write").unwrap();
        assert!(write_only.allows(Scope::Write));
        assert!(write_only.allows(Scope::Read));
        assert!(!write_only.contains(Scope::Read));
    }

    #[test]
    fn scopes_round_trip_through_their_stored_form() {
        assert_eq!(Scopes::parse("write read write").unwrap(), Scopes::READ_WRITE);
        assert_eq!(Scopes::READ_WRITE.to_string(), "read write");
        assert_eq!(Scopes::parse("write").unwrap().to_string(), "write");
        assert_eq!(Scopes::parse(&Scopes::READ_ONLY.to_string()).unwrap(), Scopes::READ_ONLY);
    }

    #[test]
    fn a_token_without_scopes_is_refused() {
        assert!(matches!(Scopes::parse("  "), Err(AuthError::NoScopes)));
        assert!(matches!(Scopes::from_granted([]), Err(AuthError::NoScopes)));
    }
}
