//! Bulk entry that survives the server dying: the population is sent in requests of a fixed
//! size, and a request without an answer is sent again, whole, once the server is back.
//! Entry is idempotent under the default re-entry policy (`never`), so users of a request that
//! was cut off after some of its chunks committed come back as `already_in_canvas`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;

use super::api::{Api, EntryError};
use super::population::Population;

/// What the acknowledged answers said, summed.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct EntryTotals {
    pub requests: u64,
    /// Requests sent again because the first try got no answer.
    pub resent: u64,
    pub entered: u64,
    pub already_in_canvas: u64,
    pub rejected: u64,
    pub seconds: f64,
}

/// Sends every user of `population` into `canvas`; gives up at `deadline`.
pub async fn enter_all(
    api: Arc<Api>,
    canvas: String,
    population: Population,
    request_users: u64,
    deadline: Instant,
) -> anyhow::Result<EntryTotals> {
    let started = Instant::now();
    let mut totals = EntryTotals::default();
    for piece in population.pieces(request_users) {
        let body = population.ndjson(piece.clone());
        totals.requests += 1;
        let mut tries = 0u64;
        let summary = loop {
            if Instant::now() > deadline {
                bail!("bulk entry of users {piece:?} got no answer before the deadline");
            }
            tries += 1;
            match api.enter_bulk(&canvas, body.clone()).await {
                Ok(answer) => break answer,
                Err(EntryError::Unreachable(_)) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(refused @ EntryError::Refused { .. }) => {
                    bail!("bulk entry of users {piece:?} was refused: {refused}")
                }
            }
        };
        if tries > 1 {
            totals.resent += 1;
        }
        let count = |field: &str| summary["summary"][field].as_u64().unwrap_or(0);
        totals.entered += count("entered");
        totals.already_in_canvas += count("already_in_canvas");
        totals.rejected += count("rejected");
    }
    totals.seconds = started.elapsed().as_secs_f64();
    Ok(totals)
}
