//! Authentication primitives for hosting staff: passwords, TOTP second factor,
//! API and setup tokens, and token scopes.
//!
//! Pure functions and parsed values only: no database, no HTTP, no clock. Callers
//! pass the time in and store hashes and used TOTP steps themselves, so every rule
//! here is testable without either. Secrets never appear in `Debug` output.
mod error;
mod password;
mod token;
mod totp;

pub use error::AuthError;
pub use password::{hash_password, verify_password, Password};
pub use token::{
    constant_time_eq, parse_bearer, token_hash, NewToken, Scope, Scopes, API_TOKEN_PREFIX, SETUP_TOKEN_PREFIX,
};
pub use totp::TotpSecret;
