//! The platform master key: 32 random bytes in a file only its owner can read.
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::SecretError;

const KEY_LEN: usize = 32;
/// Standard base64 of 32 bytes, with its one `=` of padding.
const ENCODED_LEN: usize = 44;
/// A key file is 44 characters and a newline; anything much longer is not one.
const MAX_FILE_LEN: usize = 256;

/// A 32-byte XChaCha20-Poly1305 key. Debug shows only its id; the bytes are wiped on drop.
pub struct MasterKey {
    key: Key,
    id: String,
}

impl MasterKey {
    /// Reads a key file: the key as standard base64 (44 characters), optionally followed
    /// by a newline. Refuses a file that group or others may access.
    pub fn load(path: &Path) -> Result<Self, SecretError> {
        let read_error = |source: io::Error| SecretError::KeyFileRead { path: path.to_owned(), source };
        let file = File::open(path).map_err(read_error)?;
        // Check the opened file rather than the path, so the file checked is the file read.
        let mode = file.metadata().map_err(read_error)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(SecretError::KeyFilePermissions { path: path.to_owned(), mode: mode & 0o7777 });
        }
        let mut contents = Zeroizing::new(Vec::with_capacity(MAX_FILE_LEN + 1));
        file.take(MAX_FILE_LEN as u64 + 1).read_to_end(&mut contents).map_err(read_error)?;
        Self::parse_file(&contents).map_err(|reason| SecretError::KeyFileFormat { path: path.to_owned(), reason })
    }

    /// Creates a new random key and writes it to `path` with mode 0600. The file appears
    /// complete or not at all, and an existing file is never replaced.
    pub fn generate_file(path: &Path) -> Result<Self, SecretError> {
        let write_error = |source: io::Error| SecretError::KeyFileWrite { path: path.to_owned(), source };
        if fs::symlink_metadata(path).is_ok() {
            return Err(SecretError::KeyFileExists { path: path.to_owned() });
        }
        let key = Self::generate()?;
        let mut encoded = Zeroizing::new(String::with_capacity(ENCODED_LEN + 1));
        STANDARD.encode_string(key.key.as_slice(), &mut encoded);
        encoded.push('\n');

        let tmp = temp_path(path)?;
        write_new_file(&tmp, encoded.as_bytes()).map_err(write_error)?;
        // link(2) is the no-clobber rename: it fails if `path` appeared meanwhile, where
        // rename(2) would silently replace it. The temporary name is removed either way.
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(SecretError::KeyFileExists { path: path.to_owned() });
            }
            Err(e) => return Err(write_error(e)),
        }
        File::open(parent_dir(path)).and_then(|dir| dir.sync_all()).map_err(write_error)?;
        Ok(key)
    }

    /// A new random key held in memory only (for tests and tools that store it elsewhere).
    pub fn generate() -> Result<Self, SecretError> {
        let mut key = Key::default();
        getrandom::fill(key.as_mut_slice()).map_err(SecretError::random)?;
        Ok(Self::from_key(key))
    }

    /// First 8 hex characters of SHA-256 of the key bytes; sealed values carry it.
    pub fn key_id(&self) -> &str {
        &self.id
    }

    pub(super) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.key)
    }

    fn from_key(key: Key) -> Self {
        let digest = Sha256::digest(key.as_slice());
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self { key, id }
    }

    /// Parses key file contents; the error says what is wrong without echoing the contents.
    fn parse_file(contents: &[u8]) -> Result<Self, String> {
        if contents.len() > MAX_FILE_LEN {
            return Err(format!("the file is longer than {MAX_FILE_LEN} bytes"));
        }
        let text = contents.strip_suffix(b"\n").unwrap_or(contents);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.len() != ENCODED_LEN {
            return Err(format!("found {} characters", text.len()));
        }
        let mut decoded = Zeroizing::new([0u8; ENCODED_LEN]);
        let len =
            STANDARD.decode_slice(text, decoded.as_mut_slice()).map_err(|_| "it is not valid base64".to_owned())?;
        if len != KEY_LEN {
            return Err(format!("it decodes to {len} bytes"));
        }
        let mut key = Key::default();
        key.copy_from_slice(&decoded[..KEY_LEN]);
        Ok(Self::from_key(key))
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.key.as_mut_slice().zeroize();
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// A hidden, randomly named sibling of `path`, so the final link stays on one filesystem.
fn temp_path(path: &Path) -> Result<PathBuf, SecretError> {
    let Some(name) = path.file_name() else {
        let source = io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file");
        return Err(SecretError::KeyFileWrite { path: path.to_owned(), source });
    };
    let suffix = getrandom::u64().map_err(SecretError::random)?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{suffix:016x}"));
    Ok(parent_dir(path).join(tmp_name))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn write_new_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    // The umask can only have removed bits; make the mode exactly 0600 regardless.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::test_dir::TestDir;

    const KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // bytes 0..=31

    fn write_with_mode(path: &Path, contents: &str, mode: u32) {
        fs::write(path, contents).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn key_file_readable_by_others_is_refused_with_chmod_advice() {
        let dir = TestDir::new();
        let path = dir.path().join("master.key");
        write_with_mode(&path, KEY_B64, 0o644);
        let err = MasterKey::load(&path).unwrap_err();
        assert!(matches!(err, SecretError::KeyFilePermissions { mode: 0o644, .. }), "{err:?}");
        assert!(err.to_string().contains(&format!("chmod 600 {}", path.display())), "{err}");
    }

    #[test]
    fn key_file_with_mode_0600_loads() {
        let dir = TestDir::new();
        let path = dir.path().join("master.key");
        write_with_mode(&path, &format!("{KEY_B64}\n"), 0o600);
        let key = MasterKey::load(&path).unwrap();
        let expected: Vec<u8> = (0..32).collect();
        assert_eq!(key.key.as_slice(), expected.as_slice());
    }

    #[test]
    fn key_file_without_trailing_newline_loads() {
        let dir = TestDir::new();
        let path = dir.path().join("master.key");
        write_with_mode(&path, KEY_B64, 0o600);
        assert!(MasterKey::load(&path).is_ok());
    }

    #[test]
    fn key_file_of_wrong_length_or_encoding_is_refused_clearly() {
        let dir = TestDir::new();
        let path = dir.path().join("master.key");
        let cases = [
            ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\n", "found 40 characters"),
            ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n", "found 45 characters"),
            ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh_=", "not valid base64"),
            ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", "decodes to 33 bytes"),
            ("", "found 0 characters"),
        ];
        for (contents, expected) in cases {
            write_with_mode(&path, contents, 0o600);
            let err = MasterKey::load(&path).unwrap_err();
            assert!(matches!(err, SecretError::KeyFileFormat { .. }), "{contents:?}: {err:?}");
            let message = err.to_string();
            assert!(message.contains(expected), "{contents:?}: {message}");
            assert!(message.contains("44 characters"), "{message}");
        }
    }

    #[test]
    fn missing_key_file_names_the_path() {
        let dir = TestDir::new();
        let path = dir.path().join("absent.key");
        let err = MasterKey::load(&path).unwrap_err();
        assert!(matches!(err, SecretError::KeyFileRead { .. }), "{err:?}");
        assert!(err.to_string().contains("absent.key"), "{err}");
    }

    #[test]
    fn generated_key_file_has_mode_0600_and_loads_back_as_the_same_key() {
        let dir = TestDir::new();
        let path = dir.path().join("master.key");
        let key = MasterKey::generate_file(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let contents = fs::read_to_string(&path).unwrap();
        assert_eq!(contents.len(), ENCODED_LEN + 1);
        assert!(contents.ends_with('\n'));
        let loaded = MasterKey::load(&path).unwrap();
        assert_eq!(loaded.key.as_slice(), key.key.as_slice());
        assert_eq!(loaded.key_id(), key.key_id());
        // Only the key file is left behind, no temporary file.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn generate_file_refuses_to_overwrite_an_existing_file() {
        let dir = TestDir::new();
        let path = dir.path().join("master.key");
        write_with_mode(&path, "precious", 0o600);
        let err = MasterKey::generate_file(&path).unwrap_err();
        assert!(matches!(err, SecretError::KeyFileExists { .. }), "{err:?}");
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
    }

    #[test]
    fn key_id_is_the_first_8_hex_chars_of_the_sha256_of_the_key() {
        let key = MasterKey::parse_file(KEY_B64.as_bytes()).unwrap();
        // sha256(bytes 0..=31) = 630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd
        assert_eq!(key.key_id(), "630dcd29");
    }

    #[test]
    fn debug_shows_the_key_id_but_never_the_key() {
        let key = MasterKey::parse_file(KEY_B64.as_bytes()).unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, r#"MasterKey { id: "630dcd29", .. }"#);
        assert!(!shown.contains("AAEC"));
    }

    #[test]
    fn generated_keys_differ() {
        let a = MasterKey::generate().unwrap();
        let b = MasterKey::generate().unwrap();
        assert_ne!(a.key.as_slice(), b.key.as_slice());
    }
}
