//! Table tests for the classifier, using the example bodies from the wire reference.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const AUTH_FAILED: &str = r#"{"code":2,"message":"Authentication failed.","status":"failure"}"#;
const MISSING_SCOPE: &str = r#"{"code":3,"message":"Your token does not have sufficient permissions to perform this operation. Please ensure your token is authorized with the correct set of scopes."}"#;
const NOT_PERMITTED: &str =
    r#"{"code":29,"message":"You are not permitted to access that resource."}"#;
const AUDIENCE_NOT_FOUND: &str = r#"{"code":404,"message":"Audience not found."}"#;
const RATE_LIMIT: &str = r#"{"code":8,"message":"This request exceeded a rate limit. This can happen if the client exceeds one of the published rate limits within a short time window."}"#;
const SPAM_DETAIL: &str = r#"{"code":8,"message":"This request exceeded a rate limit.","message_detail":"Request blocked as spam"}"#;
const SPAM_MESSAGE: &str = r#"{"code":8,"message":"Your request was flagged as SPAM."}"#;
const INVALID_PARAMETERS: &str = r#"{"code":1,"message":"Invalid parameters."}"#;
const INVALID_AUDIENCE_PARAMETERS: &str =
    r#"{"code":400,"message":"Invalid ad account audience parameters."}"#;
const CATALOG_CONFLICT: &str =
    r#"{"code":4182,"message":"Can't access this feature without an existing catalog"}"#;
const RAMPED_DOWN: &str = r#"{"code":4197,"message":"The endpoint has been ramped down and is currently not accepting any traffic."}"#;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn now() -> SystemTime {
    // Sun, 06 Nov 1994 08:49:37 GMT, the RFC 9110 example date.
    UNIX_EPOCH + Duration::from_secs(784_111_777)
}

#[test]
fn each_reference_body_lands_in_its_error_class() {
    let table: &[(u16, &str, &str, &str)] = &[
        (401, AUTH_FAILED, "invalid_token", "Authentication failed."),
        (401, "", "invalid_token", "HTTP 401 Unauthorized"),
        (
            401,
            MISSING_SCOPE,
            "missing_scope",
            "Your token does not have sufficient permissions to perform this operation. Please ensure your token is authorized with the correct set of scopes.",
        ),
        (
            403,
            MISSING_SCOPE,
            "missing_scope",
            "Your token does not have sufficient permissions to perform this operation. Please ensure your token is authorized with the correct set of scopes.",
        ),
        (
            403,
            NOT_PERMITTED,
            "access_lost",
            "You are not permitted to access that resource.",
        ),
        (404, AUDIENCE_NOT_FOUND, "not_found", "Audience not found."),
        (
            429,
            RATE_LIMIT,
            "rate_limited",
            "This request exceeded a rate limit. This can happen if the client exceeds one of the published rate limits within a short time window.",
        ),
        (
            400,
            INVALID_PARAMETERS,
            "invalid_request",
            "Invalid parameters.",
        ),
        (
            400,
            INVALID_AUDIENCE_PARAMETERS,
            "invalid_request",
            "Invalid ad account audience parameters.",
        ),
        (
            409,
            CATALOG_CONFLICT,
            "invalid_request",
            "Can't access this feature without an existing catalog",
        ),
        (408, "", "transient", "HTTP 408 Request Timeout"),
        (
            500,
            "<html>oops</html>",
            "transient",
            "HTTP 500 Internal Server Error: <html>oops</html>",
        ),
        (
            503,
            RAMPED_DOWN,
            "transient",
            "The endpoint has been ramped down and is currently not accepting any traffic.",
        ),
    ];
    for (status, body, kind, message) in table {
        let status = StatusCode::from_u16(*status).unwrap();
        let error = classify_response(status, &HeaderMap::new(), body.as_bytes(), now());
        assert_eq!(error.kind(), *kind, "status {status} body {body}");
        assert_eq!(error.message(), *message, "status {status} body {body}");
    }
}

#[test]
fn the_request_id_header_is_kept_on_every_class() {
    let with_rid = headers(&[("x-pinterest-rid", "5c1d6c7ae1b5a1")]);
    for status in [400, 401, 403, 404, 429, 500] {
        let status = StatusCode::from_u16(status).unwrap();
        let error = classify_response(status, &with_rid, AUTH_FAILED.as_bytes(), now());
        assert_eq!(
            error.request_id(),
            Some("5c1d6c7ae1b5a1"),
            "status {status}"
        );
    }
}

#[test]
fn rate_limit_reset_comes_from_retry_after_or_x_ratelimit_reset() {
    type HeaderPairs = &'static [(&'static str, &'static str)];
    let table: &[(HeaderPairs, Option<Duration>)] = &[
        (&[], None),
        (&[("retry-after", "12")], Some(Duration::from_secs(12))),
        (
            &[("retry-after", "Sun, 06 Nov 1994 08:50:07 GMT")],
            Some(Duration::from_secs(30)),
        ),
        (
            &[("retry-after", "Sun, 06 Nov 1994 08:40:00 GMT")],
            Some(Duration::ZERO),
        ),
        (&[("x-ratelimit-reset", "7")], Some(Duration::from_secs(7))),
        (
            &[("x-ratelimit-reset", "2.5")],
            Some(Duration::from_millis(2500)),
        ),
        (
            &[("retry-after", "3"), ("x-ratelimit-reset", "40")],
            Some(Duration::from_secs(3)),
        ),
        (
            &[("retry-after", "soon"), ("x-ratelimit-reset", "40")],
            Some(Duration::from_secs(40)),
        ),
        (&[("x-ratelimit-reset", "-1")], None),
    ];
    for (pairs, expected) in table {
        let error = classify_response(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(pairs),
            RATE_LIMIT.as_bytes(),
            now(),
        );
        assert_eq!(error.reset_after(), *expected, "headers {pairs:?}");
    }
}

#[test]
fn spam_is_detected_in_message_or_message_detail_only_on_429() {
    let table = [
        (RATE_LIMIT, false),
        (SPAM_DETAIL, true),
        (SPAM_MESSAGE, true),
    ];
    for (body, expected_spam) in table {
        let error = classify_response(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            body.as_bytes(),
            now(),
        );
        let PinterestError::RateLimited { spam, .. } = error else {
            panic!("expected rate_limited for {body}, got {error:?}");
        };
        assert_eq!(spam, expected_spam, "body {body}");
    }
}

#[test]
fn long_unreadable_bodies_are_cut_to_a_snippet() {
    let body = "x".repeat(5_000);
    let error = classify_response(
        StatusCode::BAD_GATEWAY,
        &HeaderMap::new(),
        body.as_bytes(),
        now(),
    );
    assert_eq!(error.kind(), "transient");
    assert!(error.message().len() < 200, "{}", error.message());
}
