//! Errors a [`crate::Store`] reports, with driver errors translated at the backend's edge.

use thiserror::Error;

/// What went wrong in the store, in domain terms.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule was violated (e.g. a workspace name that exists already).
    #[error("{0} already exists")]
    Conflict(String),
    /// The referenced record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Database(String),
    /// A stored value could not be decoded (a corrupt row or a schema mismatch).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// Migrations failed to apply.
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(code, message) = &error
            && code.code == rusqlite::ErrorCode::ConstraintViolation
        {
            return StoreError::Conflict(message.clone().unwrap_or_else(|| "record".into()));
        }
        StoreError::Database(error.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            // Class 23 is "integrity constraint violation" (unique, foreign key, not null,
            // check): the same family SQLite reports as a constraint violation.
            sqlx::Error::Database(database)
                if database.code().is_some_and(|code| code.starts_with("23")) =>
            {
                let what = database
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| database.message().to_owned());
                StoreError::Conflict(what)
            }
            sqlx::Error::RowNotFound => StoreError::NotFound("record".into()),
            _ => StoreError::Database(error.to_string()),
        }
    }
}
