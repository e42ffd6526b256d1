//! Bookmark pagination as Pinterest does it: `?bookmark=<opaque>&page_size=<1..250, default 25>`
//! answered with `{"items": [...], "bookmark": "<opaque>" | null}`.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::ApiError;

pub(crate) const DEFAULT_PAGE_SIZE: usize = 25;
pub(crate) const MAX_PAGE_SIZE: usize = 250;

/// One page of a list answer.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub bookmark: Option<String>,
}

/// Sort order of a listing by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Ascending,
    Descending,
}

/// Reads `order` (`ASCENDING` default, or `DESCENDING`).
pub(crate) fn order(params: &HashMap<String, String>) -> Result<Order, ApiError> {
    match params.get("order").map(String::as_str) {
        None | Some("ASCENDING") => Ok(Order::Ascending),
        Some("DESCENDING") => Ok(Order::Descending),
        Some(other) => Err(ApiError::InvalidParameters(format!(
            "order must be ASCENDING or DESCENDING, not {other:?}"
        ))),
    }
}

/// Cuts one page out of `items`, which must be sorted by id in `order`. The bookmark encodes
/// the last id returned.
pub(crate) fn paginate<T>(
    items: Vec<(u64, T)>,
    order: Order,
    params: &HashMap<String, String>,
) -> Result<Page<T>, ApiError> {
    let page_size = match params.get("page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ApiError::InvalidParameters(format!(
                    "page_size must be between 1 and {MAX_PAGE_SIZE}"
                ))
            })?,
    };
    let after = match params.get("bookmark").filter(|b| !b.is_empty()) {
        None => None,
        Some(bookmark) => Some(decode_bookmark(bookmark)?),
    };
    let mut remaining = items
        .into_iter()
        .filter(|(id, _)| match (after, order) {
            (None, _) => true,
            (Some(after), Order::Ascending) => *id > after,
            (Some(after), Order::Descending) => *id < after,
        })
        .peekable();
    let mut page = Vec::with_capacity(page_size);
    let mut last_id = None;
    while page.len() < page_size {
        let Some((id, item)) = remaining.next() else {
            break;
        };
        last_id = Some(id);
        page.push(item);
    }
    let bookmark = match (remaining.peek(), last_id) {
        (Some(_), Some(last)) => Some(URL_SAFE_NO_PAD.encode(format!("after:{last}"))),
        _ => None,
    };
    Ok(Page {
        items: page,
        bookmark,
    })
}

fn decode_bookmark(bookmark: &str) -> Result<u64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(bookmark)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("after:").and_then(|id| id.parse().ok()))
        .ok_or_else(|| ApiError::InvalidParameters("invalid bookmark".into()))
}
