//! The error classes every Pinterest call ends in, and what a caller may do about each.

use std::time::Duration;

/// What went wrong with a Pinterest call, already classified (see [`crate::classify`]).
///
/// `rid` is the `x-pinterest-rid` response header when there was a response: quote it to
/// Pinterest support. `message` comes from Pinterest's body or from the transport; it never
/// contains a token, and `Display` shows only kind, message and request id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinterestError {
    /// 401 with code 2 (or any 401 that is not a missing scope): the access token is bad,
    /// expired or revoked. [`crate::ConnectionClient`] refreshes once before surfacing it.
    #[error("invalid token: {message}{}", rid_suffix(rid))]
    InvalidToken {
        rid: Option<String>,
        message: String,
    },
    /// 401 with code 3: the token was granted without a scope this call needs.
    #[error("missing scope: {message}{}", rid_suffix(rid))]
    MissingScope {
        rid: Option<String>,
        message: String,
    },
    /// 403 (code 29): the user lost access to the ad account or resource.
    #[error("access lost: {message}{}", rid_suffix(rid))]
    AccessLost {
        rid: Option<String>,
        message: String,
    },
    /// 404: the ad account, customer list or audience does not exist (any more).
    #[error("not found: {message}{}", rid_suffix(rid))]
    NotFound {
        rid: Option<String>,
        message: String,
    },
    /// 429: slow down. `reset_after` comes from `Retry-After` or `X-RateLimit-Reset` when
    /// Pinterest sent one; `spam` marks the spam variant (message mentions spam).
    #[error("rate limited: {message}{}", rid_suffix(rid))]
    RateLimited {
        rid: Option<String>,
        message: String,
        reset_after: Option<Duration>,
        spam: bool,
    },
    /// 400 or any other 4xx: the request itself is wrong and will fail the same way again.
    #[error("invalid request: {message}{}", rid_suffix(rid))]
    InvalidRequest {
        rid: Option<String>,
        message: String,
    },
    /// 5xx, timeouts, connection errors and unreadable bodies: try again later.
    #[error("transient: {message}{}", rid_suffix(rid))]
    Transient {
        rid: Option<String>,
        message: String,
    },
}

fn rid_suffix(rid: &Option<String>) -> String {
    match rid {
        Some(rid) => format!(" (x-pinterest-rid {rid})"),
        None => String::new(),
    }
}

impl PinterestError {
    /// The `x-pinterest-rid` of the failed response, if there was a response.
    pub fn request_id(&self) -> Option<&str> {
        let rid = match self {
            Self::InvalidToken { rid, .. }
            | Self::MissingScope { rid, .. }
            | Self::AccessLost { rid, .. }
            | Self::NotFound { rid, .. }
            | Self::RateLimited { rid, .. }
            | Self::InvalidRequest { rid, .. }
            | Self::Transient { rid, .. } => rid,
        };
        rid.as_deref()
    }

    /// The human-readable message (Pinterest's `message`, or the transport failure).
    pub fn message(&self) -> &str {
        match self {
            Self::InvalidToken { message, .. }
            | Self::MissingScope { message, .. }
            | Self::AccessLost { message, .. }
            | Self::NotFound { message, .. }
            | Self::RateLimited { message, .. }
            | Self::InvalidRequest { message, .. }
            | Self::Transient { message, .. } => message,
        }
    }

    /// Whether sending the same request later, unchanged, can succeed: rate limits and
    /// transient failures. Token, scope and access problems need a human (reconnect), and
    /// not-found / invalid requests never heal.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient { .. })
    }

    /// A stable snake_case name for metrics labels, logs and stored reasons.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidToken { .. } => "invalid_token",
            Self::MissingScope { .. } => "missing_scope",
            Self::AccessLost { .. } => "access_lost",
            Self::NotFound { .. } => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::Transient { .. } => "transient",
        }
    }

    /// The pause a 429 asked for, if it named one.
    pub fn reset_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { reset_after, .. } => *reset_after,
            _ => None,
        }
    }

    /// A request rejected before it was sent (e.g. a non-numeric id in a path).
    pub(crate) fn local_invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            rid: None,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_kind_message_and_request_id() {
        let error = PinterestError::NotFound {
            rid: Some("abc123".into()),
            message: "Audience not found.".into(),
        };
        assert_eq!(
            error.to_string(),
            "not found: Audience not found. (x-pinterest-rid abc123)"
        );
        assert_eq!(error.request_id(), Some("abc123"));
    }

    #[test]
    fn only_rate_limits_and_transient_failures_are_retryable() {
        let message = String::from("m");
        let all = [
            PinterestError::InvalidToken {
                rid: None,
                message: message.clone(),
            },
            PinterestError::MissingScope {
                rid: None,
                message: message.clone(),
            },
            PinterestError::AccessLost {
                rid: None,
                message: message.clone(),
            },
            PinterestError::NotFound {
                rid: None,
                message: message.clone(),
            },
            PinterestError::RateLimited {
                rid: None,
                message: message.clone(),
                reset_after: None,
                spam: false,
            },
            PinterestError::InvalidRequest {
                rid: None,
                message: message.clone(),
            },
            PinterestError::Transient { rid: None, message },
        ];
        let retryable: Vec<&str> = all
            .iter()
            .filter(|error| error.is_retryable())
            .map(PinterestError::kind)
            .collect();
        assert_eq!(retryable, ["rate_limited", "transient"]);
        let kinds: Vec<&str> = all.iter().map(PinterestError::kind).collect();
        assert_eq!(
            kinds,
            [
                "invalid_token",
                "missing_scope",
                "access_lost",
                "not_found",
                "rate_limited",
                "invalid_request",
                "transient"
            ]
        );
    }
}
