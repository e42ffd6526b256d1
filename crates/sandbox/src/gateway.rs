//! What happens around every `/v5` handler: arrival time and requester for the statistics,
//! injected faults, the rate limits, and the `x-pinterest-rid` header on every answer.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::faults::Fault;
use crate::rate_limit::{Category, RateDecision, RateStatus};
use crate::state::SandboxState;
use crate::stats::Requester;
use crate::tokens::bearer_token;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-pinterest-rid");

/// Adds `x-pinterest-rid` to every answer (`/v5`, `/oauth/` and `/_sandbox/`).
pub(crate) async fn request_id(
    State(state): State<Arc<SandboxState>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&state.new_request_id()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The rate-limit category of an endpoint, from Pinterest's `x-ratelimit-category`.
fn category(method: &Method, path: &str) -> Option<Category> {
    if path.starts_with("/v5/oauth/") {
        // Client-authenticated: no user to charge.
        return None;
    }
    if path == "/v5/user_account" {
        return Some(Category::OrgRead);
    }
    Some(if method == Method::GET {
        Category::AdsRead
    } else {
        Category::AdsWrite
    })
}

/// Wraps every `/v5` route (installed with `route_layer`, so the matched path is known).
pub(crate) async fn api_gateway(
    State(state): State<Arc<SandboxState>>,
    request: Request,
    next: Next,
) -> Response {
    let arrived_at = state.clock.now();
    let endpoint_path = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let method = request.method().clone();
    let endpoint = format!("{method} {endpoint_path}");
    let token = bearer_token(request.headers()).map(str::to_owned);
    let caller = token
        .as_deref()
        .and_then(|t| state.tokens.authenticate(t, arrived_at).ok());

    let response = handle(&state, request, next, &endpoint_path, caller.as_ref()).await;

    let requester = token.as_deref().map(|token| Requester {
        token,
        user_id: caller.as_ref().map(|c| c.user_id.as_str()),
    });
    let write = category(&method, &endpoint_path) == Some(Category::AdsWrite);
    state.stats.record(
        endpoint,
        response.status().as_u16(),
        requester,
        arrived_at,
        write,
    );
    response
}

async fn handle(
    state: &SandboxState,
    request: Request,
    next: Next,
    endpoint_path: &str,
    caller: Option<&crate::tokens::Caller>,
) -> Response {
    let faults = state.faults.read().clone();
    let latency = faults.pick_latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match faults.pick_fault() {
        Some(Fault::DropConnection) => return dropped_connection(),
        Some(Fault::ServerError(status)) => return ApiError::ServerError(status).into_response(),
        Some(Fault::RateLimited { spam }) => return ApiError::RateLimited { spam }.into_response(),
        None => {}
    }

    let emit_headers = state.rate_limiter.config().emit_headers;
    let mut rate_status = None;
    if let (Some(caller), Some(category)) = (caller, category(request.method(), endpoint_path)) {
        let now = state.clock.now();
        match state
            .rate_limiter
            .check(&caller.client_id, &caller.user_id, category, now)
        {
            RateDecision::Unlimited => {}
            RateDecision::Allowed(status) => rate_status = Some(status),
            RateDecision::Rejected(status) => {
                let mut response = ApiError::RateLimited { spam: false }.into_response();
                if emit_headers {
                    add_rate_headers(&mut response, status, true);
                }
                return response;
            }
        }
    }
    let mut response = next.run(request).await;
    if let (true, Some(status)) = (emit_headers, rate_status) {
        add_rate_headers(&mut response, status, false);
    }
    response
}

fn add_rate_headers(response: &mut Response, status: RateStatus, rejected: bool) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(status.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(status.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(status.reset_secs));
    if rejected {
        headers.insert("retry-after", HeaderValue::from(status.reset_secs.max(1)));
    }
}

/// An answer whose body fails after the head, so the server aborts the connection and the
/// client never receives a complete response.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "sandbox fault: dropped connection",
        ))
    });
    Response::builder()
        .header("content-type", "application/json")
        .header("content-length", "64")
        .body(Body::from_stream(failing))
        .unwrap_or_else(|_| ApiError::ServerError(500).into_response())
}
