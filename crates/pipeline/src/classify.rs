//! The client's error classes mapped to the retry schedule's failure classes.

use pinsync_core::sync::retry::FailureClass;
use pinsync_pinterest::PinterestError;

/// How the retry schedule sees a failed customer-list PATCH.
pub(crate) fn failure_class(error: &PinterestError) -> FailureClass {
    match error {
        // A missing scope needs the same fix as an invalid token: reconnect.
        PinterestError::InvalidToken { .. } | PinterestError::MissingScope { .. } => {
            FailureClass::InvalidToken
        }
        PinterestError::AccessLost { .. } => FailureClass::AccessLost,
        PinterestError::NotFound { .. } => FailureClass::AudienceDeleted,
        PinterestError::RateLimited { .. } => FailureClass::RateLimited,
        PinterestError::InvalidRequest { .. } => FailureClass::InvalidRequest,
        PinterestError::Transient { .. } => FailureClass::Transient,
    }
}

/// Pinterest's reset hint in milliseconds, if the error carried one.
pub(crate) fn reset_hint_ms(error: &PinterestError) -> Option<i64> {
    error
        .reset_after()
        .map(|after| i64::try_from(after.as_millis()).unwrap_or(i64::MAX))
}
