//! Secrets encrypted at rest with the platform's master key.
//!
//! A value is sealed as `v1.<key_id>.<nonce>.<ciphertext>` (XChaCha20-Poly1305, base64url
//! without padding), authenticated together with a caller-given context such as
//! `staff_totp:<staff uuid>`, so a sealed value copied to another row does not open.
//! The [`Keyring`] seals with its current key and opens with any key it holds, which is
//! how the master key is rotated. Key bytes and decrypted secrets never print.
mod error;
mod keyring;
mod master_key;
mod secret_string;

pub use error::SecretError;
pub use keyring::Keyring;
pub use master_key::MasterKey;
pub use secret_string::SecretString;

#[cfg(test)]
mod test_dir;
