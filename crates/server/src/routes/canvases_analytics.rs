//! Step analytics: `GET /canvas/data_summary` and `GET /canvas/data_series` (shaped like the
//! established engagement-platform API: `{"data": …, "message": "success"}`), and
//! `GET /canvases/{id}/analytics` with every metric per step and the breakdowns by reason.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use pinsync_core::canvas::CanvasDefinition;
use pinsync_store::{CanvasCounts, StepCounts, day_of};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{iso, parse_canvas_id};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::CallerWorkspace;

/// The most days one series may cover.
const MAX_SERIES_DAYS: i64 = 366;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/canvas/data_summary", get(data_summary))
        .route("/canvas/data_series", get(data_series))
        .route("/canvases/{id}/analytics", get(step_analytics))
}

fn reasons_json(by_reason: &std::collections::BTreeMap<String, u64>) -> Value {
    json!({ "total": by_reason.values().sum::<u64>(), "by_reason": by_reason })
}

/// The seven metrics of a step, `in_step`, and the breakdowns by reason.
fn step_metrics(counts: &StepCounts) -> Value {
    json!({
        "entered": counts.entered,
        "proceeded": counts.proceeded,
        "in_step": counts.in_step,
        "synced": counts.synced,
        "not_synced": reasons_json(&counts.not_synced),
        "pending": counts.pending,
        "errored": reasons_json(&counts.errored),
        "exited": counts.exited,
    })
}

/// Every step of the definition, in its order, with its counts (zero when never entered).
fn steps_json(definition: &CanvasDefinition, counts: &CanvasCounts) -> Vec<Value> {
    definition
        .steps
        .iter()
        .map(|step| {
            let step_counts = counts.steps.get(&step.id).cloned().unwrap_or_default();
            let mut value = step_metrics(&step_counts);
            value["step_id"] = json!(step.id);
            value["name"] = json!(step.name);
            value["type"] = json!(step.type_name());
            value
        })
        .collect()
}

fn step_stats_json(definition: &CanvasDefinition, counts: &CanvasCounts) -> Value {
    let mut stats = serde_json::Map::new();
    for step in &definition.steps {
        let step_counts = counts.steps.get(&step.id).cloned().unwrap_or_default();
        stats.insert(
            step.id.to_string(),
            json!({ "name": step.name, "type": step.type_name(), "total_stats": step_metrics(&step_counts) }),
        );
    }
    Value::Object(stats)
}

async fn step_analytics(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .engine
        .canvas(workspace, parse_canvas_id(&id)?)
        .await?;
    let counts = state.store.canvas_counts(record.id).await?;
    Ok(Json(json!({
        "canvas_id": record.id.to_string(),
        "name": record.definition.name,
        "entered": counts.entered,
        "exited": counts.exited,
        "steps": steps_json(&record.definition, &counts),
    })))
}

#[derive(Deserialize)]
struct RangeQuery {
    canvas_id: String,
    /// RFC 3339 time or `YYYY-MM-DD`; the last day covered. Default: today.
    ending_at: Option<String>,
    /// RFC 3339 time or `YYYY-MM-DD`; the first day covered.
    starting_at: Option<String>,
    /// Days covered, ending at `ending_at`.
    length: Option<i64>,
}

fn parse_day(text: &str, field: &str) -> Result<i64, ApiError> {
    use time::format_description::well_known::Rfc3339;
    let millis = if let Ok(instant) = time::OffsetDateTime::parse(text, &Rfc3339) {
        instant.unix_timestamp() * 1000
    } else {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(text, &format).map_err(|_| {
            ApiError::unprocessable(
                "invalid_time",
                format!("{field} must be an RFC 3339 time or a YYYY-MM-DD date, not `{text}`"),
            )
        })?;
        date.midnight().assume_utc().unix_timestamp() * 1000
    };
    Ok(day_of(millis))
}

/// The days `first..=last` a query covers; `None` when it names no range (all time).
fn day_range(query: &RangeQuery, today: i64) -> Result<Option<(i64, i64)>, ApiError> {
    if query.starting_at.is_none() && query.length.is_none() && query.ending_at.is_none() {
        return Ok(None);
    }
    let last = match &query.ending_at {
        Some(text) => parse_day(text, "ending_at")?,
        None => today,
    };
    let first = match (&query.starting_at, query.length) {
        (Some(text), _) => parse_day(text, "starting_at")?,
        (None, Some(length)) if (1..=MAX_SERIES_DAYS).contains(&length) => last - length + 1,
        (None, Some(_)) => {
            return Err(ApiError::unprocessable(
                "invalid_length",
                format!("length must be between 1 and {MAX_SERIES_DAYS} days"),
            ));
        }
        (None, None) => last,
    };
    if first > last || last - first >= MAX_SERIES_DAYS {
        return Err(ApiError::unprocessable(
            "invalid_range",
            format!("the range must run forwards and cover at most {MAX_SERIES_DAYS} days"),
        ));
    }
    Ok(Some((first, last)))
}

fn day_text(day: i64) -> String {
    iso(day * 86_400_000).chars().take(10).collect()
}

fn total_stats(counts: &CanvasCounts) -> Value {
    json!({ "entries": counts.entered, "exits": counts.exited })
}

/// Sums daily counts; `pending` and `in_step` are the current values, not sums over days.
fn sum_days(days: &[pinsync_store::DailyCounts], current: &CanvasCounts) -> CanvasCounts {
    let mut total = CanvasCounts::default();
    for day in days {
        total.entered += day.counts.entered;
        total.exited += day.counts.exited;
        for (step, counts) in &day.counts.steps {
            let sum = total.steps.entry(step.clone()).or_default();
            sum.entered += counts.entered;
            sum.proceeded += counts.proceeded;
            sum.synced += counts.synced;
            sum.exited += counts.exited;
            for (reason, n) in &counts.not_synced {
                *sum.not_synced.entry(reason.clone()).or_default() += n;
            }
            for (reason, n) in &counts.errored {
                *sum.errored.entry(reason.clone()).or_default() += n;
            }
        }
    }
    for (step, counts) in &current.steps {
        let sum = total.steps.entry(step.clone()).or_default();
        sum.pending = counts.pending;
        sum.in_step = counts.in_step;
    }
    total
}

async fn data_summary(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .engine
        .canvas(workspace, parse_canvas_id(&query.canvas_id)?)
        .await?;
    let current = state.store.canvas_counts(record.id).await?;
    let counts = match day_range(&query, day_of(state.engine.now()))? {
        None => current,
        Some((first, last)) => {
            let days = state.store.daily_counts(record.id, first, last).await?;
            sum_days(&days, &current)
        }
    };
    Ok(Json(json!({
        "data": {
            "name": record.definition.name,
            "total_stats": total_stats(&counts),
            "step_stats": step_stats_json(&record.definition, &counts),
        },
        "message": "success",
    })))
}

async fn data_series(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .engine
        .canvas(workspace, parse_canvas_id(&query.canvas_id)?)
        .await?;
    let today = day_of(state.engine.now());
    let (first, last) = day_range(&query, today)?.unwrap_or((today - 13, today));
    let days = state.store.daily_counts(record.id, first, last).await?;
    let stats: Vec<Value> = (first..=last)
        .map(|day| {
            let counts = days
                .iter()
                .find(|daily| daily.day == day)
                .map(|daily| daily.counts.clone())
                .unwrap_or_default();
            json!({
                "time": day_text(day),
                "total_stats": total_stats(&counts),
                "step_stats": step_stats_json(&record.definition, &counts),
            })
        })
        .collect();
    Ok(Json(json!({
        "data": { "name": record.definition.name, "stats": stats },
        "message": "success",
    })))
}
