//! What can go wrong with master keys and sealed secrets, worded for the operator.
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The key file could not be opened or read.
    #[error("cannot read master key file {}: {source}", .path.display())]
    KeyFileRead {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The key file is readable by users other than its owner.
    #[error(
        "master key file {} is accessible by group or others (mode {mode:03o}); \
         restrict it with `chmod 600 {}`",
        .path.display(),
        .path.display()
    )]
    KeyFilePermissions { path: PathBuf, mode: u32 },
    /// The key file does not hold a key in the expected encoding.
    #[error(
        "master key file {} must hold a 32-byte key as standard base64 (44 characters, \
         optionally followed by a newline): {reason}",
        .path.display()
    )]
    KeyFileFormat { path: PathBuf, reason: String },
    /// `generate_file` found a file already there.
    #[error("master key file {} already exists; refusing to overwrite it", .path.display())]
    KeyFileExists { path: PathBuf },
    /// Writing a new key file failed.
    #[error("cannot write master key file {}: {source}", .path.display())]
    KeyFileWrite {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The operating system could not provide random bytes.
    #[error("the operating system's random number generator failed: {0}")]
    Random(#[source] io::Error),
    /// The stored value is not a sealed secret this version understands.
    #[error("sealed secret is malformed: {0}")]
    Malformed(String),
    /// The value names a key that the keyring does not hold.
    #[error(
        "secret was sealed with master key {key_id}, which is not in the keyring (it holds {known}); \
         the key file for {key_id} may be missing from the keyring's previous keys"
    )]
    UnknownKeyId { key_id: String, known: String },
    /// Decryption failed: wrong context, altered value, or a different key with the same id.
    #[error(
        "secret could not be decrypted for context {context:?}: it was sealed for another \
         context or has been altered"
    )]
    Authentication { context: String },
    /// Encryption refused the input (only possible for absurdly large plaintexts).
    #[error("secret could not be encrypted: {0}")]
    Encryption(String),
    /// The decrypted secret was expected to be text but is not UTF-8.
    #[error("decrypted secret for context {context:?} is not valid UTF-8 text")]
    NotText { context: String },
}

impl SecretError {
    pub(crate) fn random(e: getrandom::Error) -> Self {
        SecretError::Random(io::Error::other(e))
    }
}
