//! The errors `tenant-core` reports. The HTTP edge maps each kind to a status.
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Input that does not make sense; the message says what is expected.
    #[error("{0}")]
    Invalid(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request collides with existing state (a taken slug or host).
    #[error("{0}")]
    Conflict(String),
    /// The person may not do this (not theirs, window closed); the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// The database cannot be reached right now; worth trying again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[source] DieselError),
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The file storage (an S3 server) cannot be reached right now; nothing was
    /// written, and trying again later may work.
    #[error("file storage unavailable: {0}")]
    StorageUnavailable(String),
    /// Setting up or talking to the embedded PostgreSQL failed.
    #[error("{0}")]
    Embedded(String),
    /// Migrations failed to run.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl CoreError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        CoreError::Io { context: context.into(), source }
    }

    /// True when the failure is the database being out of reach, not a bug.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CoreError::Unavailable(_))
    }
}

impl From<DieselError> for CoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                CoreError::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
                CoreError::Unavailable(info.message().to_owned())
            }
            DieselError::NotFound => CoreError::NotFound("not found".into()),
            other => CoreError::Database(other),
        }
    }
}

impl From<r2d2::Error> for CoreError {
    fn from(e: r2d2::Error) -> Self {
        CoreError::Unavailable(e.to_string())
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
