//! Canvas analytics: the seven metrics per step, not-synced and errored by reason, a
//! time-series chart drawn as SVG on the server, Pinterest-side status (as last polled by
//! the pipeline), the connection's queue depth and rate-budget use, a "look up a user"
//! box that shows the user's trace, and a "Retry errored users" button on each Audience Sync
//! step with errored users (handled in `retry_errored`), whose result shows as a notice.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use pinsync_core::reason::ReasonCode;
use pinsync_store::{CanvasCounts, StepCounts, day_of};
use serde::Deserialize;

use super::canvases::{canvas_id, status_name};
use super::chart::{Series, line_chart};
use super::chrome::Chrome;
use super::error::DashboardError;
use super::partners::utc;
use super::session::SignedIn;
use crate::app::AppState;

/// Days covered by the chart.
const CHART_DAYS: i64 = 14;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/canvases/{id}/analytics", get(analytics))
}

/// A count by reason, with the reason's description.
struct ReasonRow {
    code: String,
    description: &'static str,
    users: u64,
}

struct StepRow {
    id: String,
    name: String,
    kind: &'static str,
    is_sync: bool,
    entered: u64,
    proceeded: u64,
    synced: u64,
    not_synced: u64,
    pending: u64,
    errored: u64,
    exited: u64,
    not_synced_reasons: Vec<ReasonRow>,
    errored_reasons: Vec<ReasonRow>,
    /// Whether the "Retry errored users" button shows: errored users and a pipeline.
    can_retry: bool,
}

struct TargetRow {
    step_name: String,
    audience_id: String,
    list_status: String,
    audience_status: String,
    audience_size: String,
    match_rate: String,
    uploaded: u64,
    polled_at: String,
    error: String,
}

struct VisitRow {
    step_name: String,
    entered_at: String,
    left_at: String,
    outcome: String,
    reason: String,
    attempts: u32,
    request_ids: String,
}

struct JourneyRow {
    entered_at: String,
    exited_at: String,
    waiting_in: String,
    visits: Vec<VisitRow>,
}

struct BudgetRow {
    scope: String,
    used: u32,
    limit: u32,
    window: String,
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct AnalyticsPage {
    chrome: Chrome,
    id: i64,
    name: String,
    status: &'static str,
    entered: u64,
    exited: u64,
    steps: Vec<StepRow>,
    chart_svg: String,
    targets: Vec<TargetRow>,
    queue_depth: u64,
    budget: Vec<BudgetRow>,
    lookup: String,
    lookup_result: Option<Vec<JourneyRow>>,
    /// What the last "Retry errored users" did; empty for none.
    notice: String,
    notice_kind: &'static str,
}

#[derive(Deserialize)]
struct LookupQuery {
    #[serde(default)]
    user: String,
    /// Set by the "Retry errored users" button's redirect: how many were requeued.
    requeued: Option<u64>,
    /// Set by the button's redirect when it could not requeue (`failed`, `unavailable`).
    #[serde(default)]
    retry: String,
    /// The step the button was pressed on.
    #[serde(default)]
    step: String,
}

fn reasons(by_reason: &std::collections::BTreeMap<String, u64>) -> Vec<ReasonRow> {
    by_reason
        .iter()
        .filter(|(_, users)| **users > 0)
        .map(|(code, users)| ReasonRow {
            code: code.clone(),
            description: ReasonCode::parse(code)
                .map(ReasonCode::description)
                .unwrap_or(""),
            users: *users,
        })
        .collect()
}

fn step_row(step: &pinsync_core::canvas::Step, counts: &StepCounts, can_sync: bool) -> StepRow {
    let is_sync = step.as_audience_sync().is_some();
    let errored = counts.errored.values().sum::<u64>();
    StepRow {
        id: step.id.to_string(),
        name: step.name.clone(),
        kind: step.type_name(),
        is_sync,
        entered: counts.entered,
        proceeded: counts.proceeded,
        synced: counts.synced,
        not_synced: counts.not_synced.values().sum(),
        pending: counts.pending,
        errored,
        exited: counts.exited,
        not_synced_reasons: reasons(&counts.not_synced),
        errored_reasons: reasons(&counts.errored),
        can_retry: can_sync && is_sync && errored > 0,
    }
}

/// The notice after the "Retry errored users" button, and its kind.
fn retry_notice(
    query: &LookupQuery,
    definition: &pinsync_core::canvas::CanvasDefinition,
) -> (String, &'static str) {
    let step_name = definition
        .step(&pinsync_core::canvas::StepId::new(query.step.as_str()))
        .map(|step| step.name.clone())
        .unwrap_or_else(|| query.step.clone());
    match (query.requeued, query.retry.as_str()) {
        (Some(0), _) => (
            format!("No errored user of “{step_name}” could be requeued: users with ad tracking disabled or without a usable identifier stay errored."),
            "success",
        ),
        (Some(1), _) => (
            format!("1 errored user of “{step_name}” was requeued and will be synced again."),
            "success",
        ),
        (Some(requeued), _) => (
            format!("{requeued} errored users of “{step_name}” were requeued and will be synced again."),
            "success",
        ),
        (None, "unavailable") => (
            "This pinsync runs without a Pinterest integration, so errored users cannot be retried.".into(),
            "error",
        ),
        (None, "failed") => (
            format!("The errored users of “{step_name}” could not be requeued; the error was logged. Try again."),
            "error",
        ),
        _ => (String::new(), "success"),
    }
}

fn day_totals(counts: &CanvasCounts) -> (u64, u64, u64) {
    let steps = counts.steps.values();
    (
        counts.entered,
        steps.clone().map(|s| s.synced).sum(),
        steps.map(|s| s.errored.values().sum::<u64>()).sum(),
    )
}

async fn analytics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<LookupQuery>,
    signed_in: SignedIn,
) -> Result<Html<String>, DashboardError> {
    let workspace = signed_in.workspace();
    let record = state.engine.canvas(workspace, canvas_id(&id)?).await?;
    let chrome = Chrome::build(&state, &signed_in, "canvases").await?;
    let definition = &record.definition;
    let counts = state.store.canvas_counts(record.id).await?;
    let steps: Vec<StepRow> = super::step_graph::display_order(definition)
        .into_iter()
        .map(|step| {
            step_row(
                step,
                &counts.steps.get(&step.id).cloned().unwrap_or_default(),
                state.pipeline.is_some(),
            )
        })
        .collect();

    let today = day_of(state.engine.now());
    let first = today - CHART_DAYS + 1;
    let days = state.store.daily_counts(record.id, first, today).await?;
    let mut entered = Vec::new();
    let mut synced = Vec::new();
    let mut errored = Vec::new();
    for day in first..=today {
        let totals = days
            .iter()
            .find(|d| d.day == day)
            .map(|d| day_totals(&d.counts))
            .unwrap_or_default();
        entered.push(totals.0);
        synced.push(totals.1);
        errored.push(totals.2);
    }
    let labels: Vec<String> = (first..=today)
        .map(|day| utc(day * 86_400_000).chars().skip(5).take(5).collect())
        .collect();
    let chart_svg = line_chart(
        &labels,
        &[
            Series {
                name: "Entered",
                color: "#4f6fb3",
                values: &entered,
            },
            Series {
                name: "Users synced",
                color: "#1c6b38",
                values: &synced,
            },
            Series {
                name: "Users errored",
                color: "#a4121c",
                values: &errored,
            },
        ],
    );

    let targets = state
        .store
        .target_statuses(record.id)
        .await?
        .into_iter()
        .map(|t| TargetRow {
            step_name: definition
                .step(&t.step_id)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| t.step_id.to_string()),
            match_rate: t
                .estimated_match_rate()
                .map(|rate| format!("{:.0}%", rate * 100.0))
                .unwrap_or_else(|| {
                    "not yet known (Pinterest shows sizes from about 100 matched users)".into()
                }),
            audience_size: t
                .audience_size
                .map(|s| s.to_string())
                .unwrap_or_else(|| "not yet reported".into()),
            audience_id: t.audience_id,
            list_status: t.list_status.unwrap_or_default(),
            audience_status: t.audience_status.unwrap_or_default(),
            uploaded: t.uploaded_records,
            polled_at: utc(t.polled_at),
            error: t.error.unwrap_or_default(),
        })
        .collect();

    let queue_depth = state
        .store
        .sync_queue_depths()
        .await?
        .into_iter()
        .filter(|depth| depth.workspace_id == workspace)
        .map(|depth| depth.items)
        .sum();
    let budget = rate_budget(&state, workspace);

    let lookup = query.user.trim().to_owned();
    let lookup_result = if lookup.is_empty() {
        None
    } else {
        let traces = state.store.journey_traces(record.id, &lookup).await?;
        Some(
            traces
                .into_iter()
                .map(|trace| JourneyRow {
                    entered_at: utc(trace.entered_at),
                    exited_at: trace.exited_at.map(utc).unwrap_or_default(),
                    waiting_in: trace.waiting_in.map(|s| s.to_string()).unwrap_or_default(),
                    visits: trace
                        .visits
                        .into_iter()
                        .map(|visit| VisitRow {
                            step_name: definition
                                .step(&visit.step_id)
                                .map(|s| s.name.clone())
                                .unwrap_or_else(|| visit.step_id.to_string()),
                            entered_at: utc(visit.entered_at),
                            left_at: visit.left_at.map(utc).unwrap_or_default(),
                            outcome: visit.outcome.unwrap_or_default(),
                            reason: visit
                                .reason
                                .as_deref()
                                .map(|code| match ReasonCode::parse(code) {
                                    Some(reason) => format!("{code}: {}", reason.description()),
                                    None => code.to_owned(),
                                })
                                .unwrap_or_default(),
                            attempts: visit.attempts,
                            request_ids: visit.request_ids.join(", "),
                        })
                        .collect(),
                })
                .collect(),
        )
    };
    let (notice, notice_kind) = retry_notice(&query, definition);
    let page = AnalyticsPage {
        chrome,
        id: record.id.0,
        name: definition.name.clone(),
        status: status_name(record.status),
        entered: counts.entered,
        exited: counts.exited,
        steps,
        chart_svg,
        targets,
        queue_depth,
        budget,
        lookup,
        lookup_result,
        notice,
        notice_kind,
    };
    Ok(Html(page.render()?))
}

/// The connection's rate-limit windows and how much of each is used right now.
fn rate_budget(state: &AppState, workspace: pinsync_store::WorkspaceId) -> Vec<BudgetRow> {
    let Some(pinterest) = &state.pinterest else {
        return Vec::new();
    };
    // The connection service keys its limiter by workspace (one token per workspace).
    let key = format!("workspace:{}", workspace.0);
    if !pinterest.limiters().connection_ids().contains(&key) {
        return Vec::new();
    }
    pinterest
        .limiters()
        .limiter(&key)
        .usage()
        .windows
        .into_iter()
        .map(|window| BudgetRow {
            scope: match window.scope {
                pinsync_pinterest::limiter::LimitScope::Category(category) => {
                    category.as_str().to_owned()
                }
                pinsync_pinterest::limiter::LimitScope::AllRequests => "all requests".to_owned(),
            },
            used: window.used,
            limit: window.limit.limit,
            window: format!("{} s", window.limit.window.as_secs_f64()),
        })
        .collect()
}
