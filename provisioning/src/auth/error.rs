//! What can go wrong while signing staff in, in words a person understands.

/// A refused input or a failed step of staff authentication.
///
/// Messages about input (password rules, scopes) may be shown to the person; the
/// others are server faults, to be logged with their cause and shown as a 500.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the password must have at least {min} characters")]
    PasswordTooShort { min: usize },

    #[error("the password must have at most {max} bytes")]
    PasswordTooLong { max: usize },

    /// A stored hash that is not a PHC string: the row is damaged, not the password wrong.
    #[error("the stored password hash is not a valid PHC string")]
    MalformedPasswordHash(#[source] argon2::password_hash::phc::Error),

    #[error("the password could not be hashed")]
    Hashing(#[source] argon2::password_hash::Error),

    #[error("the authenticator secret must be {bytes} bytes written in base32")]
    MalformedTotpSecret { bytes: usize },

    #[error("unknown scope \"{0}\": a scope is \"read\" or \"write\"")]
    UnknownScope(String),

    #[error("a token needs at least one scope")]
    NoScopes,

    #[error("the operating system's random number generator failed")]
    Randomness(#[source] getrandom::Error),
}
