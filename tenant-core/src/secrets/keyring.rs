//! Sealing and opening secrets with the current master key and the ones it replaced.
use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::XNonce;
use zeroize::{Zeroize, Zeroizing};

use super::{MasterKey, SecretError, SecretString};

const VERSION: &str = "v1";
const TAG_LEN: usize = 16;

/// The current master key, which seals, plus previous keys, which still open.
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

impl Keyring {
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        Self { current, previous }
    }

    /// Loads the current key file and the key files of keys being rotated out.
    pub fn load(current: &Path, previous: &[PathBuf]) -> Result<Self, SecretError> {
        let current = MasterKey::load(current)?;
        let previous = previous.iter().map(|path| MasterKey::load(path)).collect::<Result<_, _>>()?;
        Ok(Self::new(current, previous))
    }

    /// The id new values are sealed under.
    pub fn current_key_id(&self) -> &str {
        self.current.key_id()
    }

    /// Encrypts `plaintext` with the current key, bound to `context`
    /// (e.g. `staff_totp:<staff uuid>`); the same context is needed to open it.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, SecretError> {
        let mut nonce = XNonce::default();
        getrandom::fill(nonce.as_mut_slice()).map_err(SecretError::random)?;
        let ciphertext = self
            .current
            .cipher()
            .encrypt(&nonce, Payload { msg: plaintext, aad: context.as_bytes() })
            .map_err(|_| SecretError::Encryption("the plaintext or context is too large".to_owned()))?;
        Ok(format!(
            "{VERSION}.{}.{}.{}",
            self.current.key_id(),
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ciphertext)
        ))
    }

    /// Decrypts a value from [`Keyring::seal`] with whichever held key sealed it.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SecretError> {
        let sealed = Sealed::parse(sealed)?;
        let mut candidates = self.keys().filter(|key| key.key_id() == sealed.key_id).peekable();
        if candidates.peek().is_none() {
            return Err(SecretError::UnknownKeyId {
                key_id: sealed.key_id.to_owned(),
                known: self.keys().map(MasterKey::key_id).collect::<Vec<_>>().join(", "),
            });
        }
        // Two different keys sharing an id is a 1 in 2^32 accident; trying each costs nothing.
        for key in candidates {
            let payload = Payload { msg: &sealed.ciphertext, aad: context.as_bytes() };
            if let Ok(plaintext) = key.cipher().decrypt(&sealed.nonce, payload) {
                return Ok(plaintext);
            }
        }
        Err(SecretError::Authentication { context: context.to_owned() })
    }

    /// [`Keyring::open`] for secrets that are text.
    pub fn open_string(&self, sealed: &str, context: &str) -> Result<SecretString, SecretError> {
        let plaintext = self.open(sealed, context)?;
        String::from_utf8(plaintext).map(SecretString::new).map_err(|e| {
            let mut bytes = e.into_bytes();
            bytes.zeroize();
            SecretError::NotText { context: context.to_owned() }
        })
    }

    /// True unless `sealed` names the current key. A malformed value counts too, so a
    /// rotation pass that reseals what this flags reports it instead of skipping it.
    pub fn needs_rotation(&self, sealed: &str) -> bool {
        Sealed::parse(sealed).map_or(true, |s| s.key_id != self.current.key_id())
    }

    /// Opens `sealed` and seals it again under the current key, for rotation.
    pub fn reseal(&self, sealed: &str, context: &str) -> Result<String, SecretError> {
        let plaintext = Zeroizing::new(self.open(sealed, context)?);
        self.seal(&plaintext, context)
    }

    fn keys(&self) -> impl Iterator<Item = &MasterKey> {
        std::iter::once(&self.current).chain(&self.previous)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(MasterKey::key_id).collect();
        f.debug_struct("Keyring").field("current", &self.current.key_id()).field("previous", &previous).finish()
    }
}

/// A parsed `v1.<key_id>.<nonce>.<ciphertext+tag>`.
struct Sealed<'a> {
    key_id: &'a str,
    nonce: XNonce,
    ciphertext: Vec<u8>,
}

impl<'a> Sealed<'a> {
    fn parse(sealed: &'a str) -> Result<Self, SecretError> {
        let malformed = |reason: &str| SecretError::Malformed(reason.to_owned());
        let mut parts = sealed.split('.');
        let (Some(version), Some(key_id), Some(nonce), Some(ciphertext), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("expected four parts, v1.<key id>.<nonce>.<ciphertext>, separated by dots"));
        };
        if version != VERSION {
            return Err(SecretError::Malformed(format!("unsupported format version {version:?}, expected \"v1\"")));
        }
        if key_id.len() != 8 || !key_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(malformed("the key id must be 8 lowercase hex characters"));
        }
        let nonce = URL_SAFE_NO_PAD.decode(nonce).map_err(|_| malformed("the nonce is not valid base64url"))?;
        let nonce = XNonce::try_from(nonce.as_slice()).map_err(|_| malformed("the nonce must be 24 bytes"))?;
        let ciphertext =
            URL_SAFE_NO_PAD.decode(ciphertext).map_err(|_| malformed("the ciphertext is not valid base64url"))?;
        if ciphertext.len() < TAG_LEN {
            return Err(malformed("the ciphertext is shorter than its authentication tag"));
        }
        Ok(Self { key_id, nonce, ciphertext })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::secrets::test_dir::TestDir;

    const CONTEXT: &str = "staff_totp:6f1c2a52-3d0e-4c55-9a57-1f1f0e0b6a01";

    fn keyring() -> Keyring {
        Keyring::new(MasterKey::generate().unwrap(), Vec::new())
    }

    #[test]
    fn sealed_value_opens_to_the_same_plaintext() {
        let keyring = keyring();
        let sealed = keyring.seal(b"JBSWY3DPEHPK3PXP", CONTEXT).unwrap();
        assert_eq!(keyring.open(&sealed, CONTEXT).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(keyring.open_string(&sealed, CONTEXT).unwrap().expose(), "JBSWY3DPEHPK3PXP");
        assert!(!keyring.needs_rotation(&sealed));
    }

    #[test]
    fn sealed_value_has_the_documented_shape() {
        let keyring = keyring();
        let sealed = keyring.seal(b"secret", CONTEXT).unwrap();
        let parts: Vec<&str> = sealed.split('.').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], "v1");
        assert_eq!(parts[1], keyring.current_key_id());
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 24);
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[3]).unwrap().len(), b"secret".len() + TAG_LEN);
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let keyring = keyring();
        let sealed = keyring.seal(b"", CONTEXT).unwrap();
        assert_eq!(keyring.open(&sealed, CONTEXT).unwrap(), b"");
    }

    #[test]
    fn value_opened_with_another_context_fails_authentication() {
        let keyring = keyring();
        let sealed = keyring.seal(b"client-secret", "tenant_idp:42:google").unwrap();
        let err = keyring.open(&sealed, "tenant_idp:43:google").unwrap_err();
        assert!(matches!(err, SecretError::Authentication { .. }), "{err:?}");
        assert!(err.to_string().contains("another context or has been altered"), "{err}");
    }

    #[test]
    fn tampered_ciphertext_fails_authentication() {
        let keyring = keyring();
        let sealed = keyring.seal(b"client-secret", CONTEXT).unwrap();
        let (head, ciphertext) = sealed.rsplit_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(ciphertext).unwrap();
        bytes[0] ^= 1;
        let tampered = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&bytes));
        let err = keyring.open(&tampered, CONTEXT).unwrap_err();
        assert!(matches!(err, SecretError::Authentication { .. }), "{err:?}");
    }

    #[test]
    fn tampered_nonce_fails_authentication() {
        let keyring = keyring();
        let sealed = keyring.seal(b"client-secret", CONTEXT).unwrap();
        let parts: Vec<&str> = sealed.split('.').collect();
        let mut nonce = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        nonce[23] ^= 0x80;
        let tampered = format!("{}.{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(&nonce), parts[3]);
        assert!(matches!(keyring.open(&tampered, CONTEXT), Err(SecretError::Authentication { .. })));
    }

    #[test]
    fn value_sealed_by_an_old_key_opens_when_that_key_is_listed_as_previous() {
        let dir = TestDir::new();
        let old_path = dir.path().join("old.key");
        let new_path = dir.path().join("new.key");
        MasterKey::generate_file(&old_path).unwrap();
        MasterKey::generate_file(&new_path).unwrap();

        let before = Keyring::load(&old_path, &[]).unwrap();
        let sealed = before.seal(b"seed", CONTEXT).unwrap();

        let after = Keyring::load(&new_path, &[old_path]).unwrap();
        assert_ne!(after.current_key_id(), before.current_key_id());
        assert_eq!(after.open(&sealed, CONTEXT).unwrap(), b"seed");
        assert!(after.needs_rotation(&sealed));

        let resealed = after.reseal(&sealed, CONTEXT).unwrap();
        assert!(!after.needs_rotation(&resealed));
        assert!(resealed.starts_with(&format!("v1.{}.", after.current_key_id())));
        assert_eq!(after.open(&resealed, CONTEXT).unwrap(), b"seed");
    }

    #[test]
    fn value_sealed_by_a_key_not_in_the_keyring_names_the_missing_key_id() {
        let old = keyring();
        let sealed = old.seal(b"seed", CONTEXT).unwrap();
        let new = keyring();
        let err = new.open(&sealed, CONTEXT).unwrap_err();
        let SecretError::UnknownKeyId { key_id, .. } = &err else { panic!("{err:?}") };
        assert_eq!(key_id, old.current_key_id());
        let message = err.to_string();
        assert!(message.contains(old.current_key_id()), "{message}");
        assert!(message.contains(new.current_key_id()), "{message}");
        assert!(message.contains("key file"), "{message}");
        assert!(message.contains("may be missing"), "{message}");
    }

    #[test]
    fn two_seals_of_the_same_plaintext_differ() {
        let keyring = keyring();
        let a = keyring.seal(b"same", CONTEXT).unwrap();
        let b = keyring.seal(b"same", CONTEXT).unwrap();
        assert_ne!(a, b);
        assert_ne!(a.split('.').nth(2), b.split('.').nth(2));
    }

    #[test]
    fn malformed_values_are_refused_without_panicking() {
        let keyring = keyring();
        let good = keyring.seal(b"x", CONTEXT).unwrap();
        let parts: Vec<&str> = good.split('.').collect();
        let id = keyring.current_key_id();
        let cases = [
            String::new(),
            "v1".to_owned(),
            "v2.x.y.z".to_owned(),
            format!("v2.{}.{}.{}", parts[1], parts[2], parts[3]),
            format!("{good}.extra"),
            format!("v1.XYZ.{}.{}", parts[2], parts[3]),
            format!("v1.{id}.not*base64.{}", parts[3]),
            format!("v1.{id}.{}.not*base64", parts[2]),
            format!("v1.{id}.{}=.{}", parts[2], parts[3]),
            format!("v1.{id}.AAAA.{}", parts[3]),
            format!("v1.{id}.{}.AAAA", parts[2]),
            format!("v1.{id}.{}.", parts[2]),
            "v1....".to_owned(),
            "....".to_owned(),
            "v1.é.é.é".to_owned(),
        ];
        for case in &cases {
            let err = keyring.open(case, CONTEXT).unwrap_err();
            assert!(matches!(err, SecretError::Malformed(_)), "{case:?}: {err:?}");
            assert!(err.to_string().starts_with("sealed secret is malformed: "), "{err}");
            assert!(keyring.needs_rotation(case), "{case:?}");
        }
    }

    #[test]
    fn non_utf8_plaintext_is_refused_as_text() {
        let keyring = keyring();
        let sealed = keyring.seal(&[0xff, 0xfe], CONTEXT).unwrap();
        assert!(matches!(keyring.open_string(&sealed, CONTEXT), Err(SecretError::NotText { .. })));
    }

    #[test]
    fn keyring_load_reports_which_previous_key_file_is_bad() {
        let dir = TestDir::new();
        let current = dir.path().join("current.key");
        let previous = dir.path().join("previous.key");
        MasterKey::generate_file(&current).unwrap();
        fs::write(&previous, "short").unwrap();
        fs::set_permissions(&previous, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let err = Keyring::load(&current, &[previous]).unwrap_err();
        assert!(err.to_string().contains("previous.key"), "{err}");
    }

    #[test]
    fn keyring_debug_shows_only_key_ids() {
        let keyring = Keyring::new(MasterKey::generate().unwrap(), vec![MasterKey::generate().unwrap()]);
        let shown = format!("{keyring:?}");
        assert!(shown.contains(keyring.current_key_id()), "{shown}");
        assert!(shown.len() < 80, "{shown}");
    }
}
