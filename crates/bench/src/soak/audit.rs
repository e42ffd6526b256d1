//! The audit after the last stop: every user's journey read from the raw rows (SQLite opened
//! read-only) against what the soak expects of that user, and the step counters against a
//! recount from the raw rows and against what the API answered before the stop.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use pinsync_store::{CanvasCounts, CanvasId, CanvasStore, SqliteStore, StepCounts};
use rusqlite::{Connection, OpenFlags};

use super::api::StepAnalytics;
use super::population::Population;

/// Examples of violations kept for the message (all are counted).
const EXAMPLES: usize = 20;

/// One step a user must go through, with the sync outcome and reason of an audience-sync step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub step: String,
    pub outcome: Option<String>,
    pub reason: Option<String>,
}

impl Visit {
    /// A delay or a decision split.
    pub fn passed(step: &str) -> Self {
        Self {
            step: step.into(),
            outcome: None,
            reason: None,
        }
    }

    /// An audience-sync step ending in `outcome` (`synced`, `not_synced`, `errored`).
    pub fn synced(step: &str, outcome: &str, reason: Option<&str>) -> Self {
        Self {
            step: step.into(),
            outcome: Some(outcome.into()),
            reason: reason.map(Into::into),
        }
    }
}

impl std::fmt::Display for Visit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.step)?;
        if let Some(outcome) = &self.outcome {
            write!(f, ":{outcome}")?;
        }
        if let Some(reason) = &self.reason {
            write!(f, "({reason})")?;
        }
        Ok(())
    }
}

/// What the audit found; `violations` is empty when everything holds.
#[derive(Debug, Default, serde::Serialize)]
pub struct Audit {
    pub users_checked: u64,
    /// `step:outcome(reason)` → users, over every journey read.
    pub outcomes: BTreeMap<String, u64>,
    pub violation_count: u64,
    /// The first violations, as sentences.
    pub violations: Vec<String>,
}

impl Audit {
    fn violation(&mut self, text: String) {
        self.violation_count += 1;
        if self.violations.len() < EXAMPLES {
            self.violations.push(text);
        }
    }

    pub fn merge(&mut self, other: Audit) {
        self.users_checked += other.users_checked;
        for (key, n) in other.outcomes {
            *self.outcomes.entry(key).or_default() += n;
        }
        self.violation_count += other.violation_count;
        for text in other.violations {
            if self.violations.len() < EXAMPLES {
                self.violations.push(text);
            }
        }
    }
}

struct Journey {
    exited: bool,
    visits: Vec<Visit>,
}

fn open_read_only(data_dir: &Path) -> anyhow::Result<Connection> {
    let path = data_dir.join(pinsync_store::sqlite::DATABASE_FILE);
    Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {} read-only", path.display()))
}

fn journeys_by_user(
    conn: &Connection,
    canvas: i64,
) -> anyhow::Result<HashMap<String, Vec<Journey>>> {
    let mut statement = conn.prepare(
        "SELECT j.id, j.external_id, j.exited_at IS NOT NULL, v.step_id, v.outcome, v.reason
         FROM journeys j JOIN journey_visits v ON v.journey_id = j.id
         WHERE j.canvas_id = ?1 ORDER BY j.id, v.seq",
    )?;
    let mut rows = statement.query([canvas])?;
    let mut by_user: HashMap<String, Vec<Journey>> = HashMap::new();
    let mut last_journey = None;
    while let Some(row) = rows.next()? {
        let journey: i64 = row.get(0)?;
        let user: String = row.get(1)?;
        let visit = Visit {
            step: row.get(3)?,
            outcome: row.get(4)?,
            reason: row.get(5)?,
        };
        let journeys = by_user.entry(user).or_default();
        if last_journey != Some(journey) {
            journeys.push(Journey {
                exited: row.get(2)?,
                visits: Vec::new(),
            });
            last_journey = Some(journey);
        }
        journeys
            .last_mut()
            .context("a journey was just pushed")?
            .visits
            .push(visit);
    }
    Ok(by_user)
}

/// Checks that every user of `population` entered Canvas `canvas` exactly once, left it, and
/// went through exactly `expected(n)`; that nobody else is in it; and that no sync item is
/// left.
pub fn audit_journeys(
    data_dir: &Path,
    canvas: i64,
    population: &Population,
    expected: &dyn Fn(u64) -> Vec<Visit>,
) -> anyhow::Result<Audit> {
    let conn = open_read_only(data_dir)?;
    let mut by_user = journeys_by_user(&conn, canvas)?;
    let mut audit = Audit::default();
    for n in population.range.clone() {
        audit.users_checked += 1;
        let user = population.external_id(n);
        let journeys = by_user.remove(&user).unwrap_or_default();
        for visit in journeys.iter().flat_map(|j| &j.visits) {
            *audit.outcomes.entry(visit.to_string()).or_default() += 1;
        }
        let [journey] = journeys.as_slice() else {
            audit.violation(format!(
                "canvas {canvas}: user {user} has {} journeys instead of 1{}",
                journeys.len(),
                if journeys.is_empty() { " (lost)" } else { "" }
            ));
            continue;
        };
        if !journey.exited {
            audit.violation(format!(
                "canvas {canvas}: user {user} never left the canvas"
            ));
        }
        let wanted = expected(n);
        if journey.visits != wanted {
            let show = |visits: &[Visit]| {
                visits
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" → ")
            };
            audit.violation(format!(
                "canvas {canvas}: user {user} went {} instead of {}",
                show(&journey.visits),
                show(&wanted)
            ));
        }
    }
    for (user, journeys) in by_user {
        audit.violation(format!(
            "canvas {canvas}: unexpected user {user} ({} journeys)",
            journeys.len()
        ));
    }
    let items: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sync_items WHERE canvas_id = ?1",
        [canvas],
        |row| row.get(0),
    )?;
    if items != 0 {
        audit.violation(format!("canvas {canvas}: {items} sync items are left"));
    }
    Ok(audit)
}

/// The counters, the recount from raw rows and the API's answer must agree exactly.
pub async fn audit_counters(
    data_dir: &Path,
    canvas: i64,
    api: &StepAnalytics,
) -> anyhow::Result<(CanvasCounts, Vec<String>)> {
    let store = SqliteStore::open_in_dir(data_dir)?;
    let id = CanvasId(canvas);
    let counters = store.canvas_counts(id).await?;
    let recount = store.recount_canvas(id).await?;
    let mut problems = Vec::new();
    if counters != recount {
        problems.push(format!(
            "canvas {canvas}: counters {} differ from the recount {}",
            serde_json::to_string(&counters)?,
            serde_json::to_string(&recount)?
        ));
    }
    problems.extend(api_mismatches(canvas, &counters, api));
    Ok((counters, problems))
}

fn api_mismatches(canvas: i64, counts: &CanvasCounts, api: &StepAnalytics) -> Vec<String> {
    let mut problems = Vec::new();
    if (api.entered, api.exited) != (counts.entered, counts.exited) {
        problems.push(format!(
            "canvas {canvas}: the API said entered {} / exited {}, the store {} / {}",
            api.entered, api.exited, counts.entered, counts.exited
        ));
    }
    let empty = StepCounts::default();
    for (step, answered) in &api.steps {
        let stored = counts
            .steps
            .iter()
            .find(|(id, _)| id.0 == *step)
            .map_or(&empty, |(_, c)| c);
        let figures = [
            ("entered", stored.entered),
            ("proceeded", stored.proceeded),
            ("in_step", stored.in_step),
            ("synced", stored.synced),
            ("pending", stored.pending),
            ("exited", stored.exited),
        ];
        for (name, value) in figures {
            if answered[name].as_u64() != Some(value) {
                problems.push(format!(
                    "canvas {canvas}: step {step} {name}: the API said {}, the store {value}",
                    answered[name]
                ));
            }
        }
        for (name, by_reason) in [
            ("not_synced", &stored.not_synced),
            ("errored", &stored.errored),
        ] {
            let answered_reasons: BTreeMap<String, u64> =
                serde_json::from_value(answered[name]["by_reason"].clone()).unwrap_or_default();
            if &answered_reasons != by_reason {
                problems.push(format!(
                    "canvas {canvas}: step {step} {name}: the API said {answered_reasons:?}, the store {by_reason:?}"
                ));
            }
        }
    }
    problems
}
