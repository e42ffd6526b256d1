//! The one place where HTTP outcomes become [`PinterestError`]s: a pure function of
//! (status, headers, body, now), plus the mapping of transport failures.

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

use crate::error::PinterestError;

/// The response header that identifies a request to Pinterest support.
pub const REQUEST_ID_HEADER: &str = "x-pinterest-rid";
const RATE_LIMIT_RESET_HEADER: &str = "x-ratelimit-reset";
/// Pinterest's body `code` for "your token lacks a scope".
const CODE_MISSING_SCOPE: i64 = 3;
/// How much of an unreadable body is kept as the message.
const BODY_SNIPPET_CHARS: usize = 160;

/// Pinterest's error body: `{"code", "message"}`, sometimes with `message_detail`/`status`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
    message_detail: Option<String>,
}

/// The `x-pinterest-rid` header, if present and readable.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(REQUEST_ID_HEADER)?;
    value.to_str().ok().map(str::to_owned)
}

/// Classifies a non-success response. `now` is only used to turn an HTTP-date
/// `Retry-After` into a duration.
pub fn classify_response(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> PinterestError {
    let rid = request_id(headers);
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let message = match parsed.as_ref().and_then(|b| b.message.clone()) {
        Some(message) => message,
        None => fallback_message(status, body),
    };
    let code = parsed.as_ref().and_then(|b| b.code);

    if status == StatusCode::TOO_MANY_REQUESTS {
        let detail = parsed.as_ref().and_then(|b| b.message_detail.as_deref());
        let spam = mentions_spam(&message) || detail.is_some_and(mentions_spam);
        return PinterestError::RateLimited {
            rid,
            message,
            reset_after: reset_after(headers, now),
            spam,
        };
    }
    let is_auth_status = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
    if is_auth_status && code == Some(CODE_MISSING_SCOPE) {
        return PinterestError::MissingScope { rid, message };
    }
    match status {
        StatusCode::UNAUTHORIZED => PinterestError::InvalidToken { rid, message },
        StatusCode::FORBIDDEN => PinterestError::AccessLost { rid, message },
        StatusCode::NOT_FOUND => PinterestError::NotFound { rid, message },
        StatusCode::REQUEST_TIMEOUT => PinterestError::Transient { rid, message },
        status if status.is_client_error() => PinterestError::InvalidRequest { rid, message },
        // 5xx, and anything unexpected (1xx/3xx) that a retry might cure.
        _ => PinterestError::Transient { rid, message },
    }
}

/// A successful status whose body could not be read or decoded.
pub fn unreadable_body(rid: Option<String>, cause: &str) -> PinterestError {
    PinterestError::Transient {
        rid,
        message: format!("unreadable response body: {cause}"),
    }
}

/// Timeouts, refused or dropped connections, broken bodies: all transient. The URL is
/// stripped from the message (it may carry ids, never tokens, but it is noise in logs).
pub fn classify_transport(error: reqwest::Error) -> PinterestError {
    let label = if error.is_timeout() {
        "request timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "response body failed"
    } else {
        "transport error"
    };
    let error = error.without_url();
    let mut message = format!("{label}: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    PinterestError::Transient { rid: None, message }
}

fn mentions_spam(text: &str) -> bool {
    text.to_ascii_lowercase().contains("spam")
}

fn fallback_message(status: StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let snippet: String = text.trim().chars().take(BODY_SNIPPET_CHARS).collect();
    if snippet.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {snippet}")
    }
}

/// `Retry-After` (delta-seconds or HTTP-date) wins; then `X-RateLimit-Reset` (seconds,
/// possibly fractional). Unparseable or negative values are ignored.
fn reset_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(value) = header_text(RETRY_AFTER.as_str()) {
        if let Some(delay) = parse_seconds(value) {
            return Some(delay);
        }
        if let Ok(date) = httpdate::parse_http_date(value) {
            return Some(date.duration_since(now).unwrap_or(Duration::ZERO));
        }
    }
    header_text(RATE_LIMIT_RESET_HEADER).and_then(parse_seconds)
}

fn parse_seconds(value: &str) -> Option<Duration> {
    let seconds: f64 = value.parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
