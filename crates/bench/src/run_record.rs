//! The record of one benchmark run, as the report reads it: what ran (command), where (cores,
//! RAM, load before and after), its figures, and its charts' data. Every scenario's result is
//! saved to `target/bench/<run>.json`; `pinsync-bench report` collects them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::charts_bar::BarChart;
use crate::charts_line::LineChart;

/// Where runs are saved: `<workspace>/target/bench`, whatever the working directory.
pub fn runs_dir() -> PathBuf {
    workspace_root().join("target").join("bench")
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// The machine a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub ram_gib: f64,
    /// `uptime`'s 1, 5 and 15 minute load averages when the run started and ended.
    pub load_start: [f64; 3],
    pub load_end: [f64; 3],
    /// `release`, or `debug` for an unoptimized binary (its figures are not comparable).
    #[serde(default)]
    pub build: String,
}

impl Machine {
    /// The machine as it is now (`load_end` equal to `load_start` until the run ends).
    pub fn now() -> Self {
        let load = load_average();
        Self {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu: cpu_model(),
            ram_gib: ram_gib(),
            load_start: load,
            load_end: load,
            build: build_profile().into(),
        }
    }
}

/// A chart a scenario asks the report to draw, named by `id` (`<run>-<id>.svg`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChartData {
    Line { id: String, chart: LineChart },
    Bar { id: String, chart: BarChart },
}

impl ChartData {
    pub fn id(&self) -> &str {
        match self {
            ChartData::Line { id, .. } | ChartData::Bar { id, .. } => id,
        }
    }
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Scenario and variant, e.g. `latency-1000`; the file name.
    pub run: String,
    pub scenario: String,
    /// UTC, RFC 3339, when the run started.
    pub started_at: String,
    /// How to reproduce it.
    pub command: String,
    pub machine: Machine,
    /// The JSON line the scenario printed.
    pub summary: Value,
    #[serde(default)]
    pub charts: Vec<ChartData>,
}

/// What a scenario hands back: its printed summary, and optionally a run name (default: the
/// scenario) and charts.
pub struct Outcome {
    pub summary: Value,
    pub run: Option<String>,
    pub charts: Vec<ChartData>,
}

impl From<Value> for Outcome {
    fn from(summary: Value) -> Self {
        Self {
            summary,
            run: None,
            charts: Vec::new(),
        }
    }
}

/// A run's name when its scenario gave none: the scenario plus the figure that sets its
/// variants apart (connections, users, instances), so that e.g. the 1- and 4-connection
/// drains are kept side by side instead of one replacing the other.
fn default_run_name(scenario: &str, summary: &Value) -> String {
    let field = |key: &str| summary[key].as_u64().unwrap_or(0);
    match scenario {
        "drain" => format!("drain-{}", field("connections")),
        "entry" => format!("entry-{}", field("users")),
        "crash-soak" | "fault-soak" => format!("{scenario}-{}", field("users")),
        "entry-postgres" => format!(
            "entry-postgres-{}-{}{}",
            field("instances"),
            field("users"),
            match summary["deliver"].as_bool() {
                Some(true) => "-delivering",
                _ => "",
            }
        ),
        "drain-postgres" => format!(
            "drain-postgres-{}x{}-{}",
            field("instances"),
            field("connections"),
            field("users_per_connection")
        ),
        other => other.to_owned(),
    }
}

/// The start of a run: when, where, and the command line.
pub struct RunStart {
    started_at: String,
    machine: Machine,
    command: String,
}

impl RunStart {
    pub fn now() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        Self {
            started_at: now_rfc3339(),
            machine: Machine::now(),
            command: format!("cargo run --release -p pinsync-bench -- {}", args.join(" ")),
        }
    }

    /// Completes the record with the load at the end.
    pub fn finish(self, outcome: Outcome) -> RunRecord {
        let scenario = outcome.summary["scenario"]
            .as_str()
            .unwrap_or("unnamed")
            .to_owned();
        let mut machine = self.machine;
        machine.load_end = load_average();
        RunRecord {
            run: outcome
                .run
                .unwrap_or_else(|| default_run_name(&scenario, &outcome.summary)),
            scenario,
            started_at: self.started_at,
            command: self.command,
            machine,
            summary: outcome.summary,
            charts: outcome.charts,
        }
    }
}

impl RunRecord {
    /// Writes `<dir>/<run>.json`, replacing the previous run of the same name.
    pub fn save(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}.json", self.run));
        std::fs::write(&path, serde_json::to_string_pretty(self)?)?;
        Ok(path)
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// 1, 5 and 15 minute load averages (zeros where `/proc/loadavg` cannot be read).
pub fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut fields = text
        .split_whitespace()
        .map(|field| field.parse::<f64>().unwrap_or(0.0));
    [
        fields.next().unwrap_or(0.0),
        fields.next().unwrap_or(0.0),
        fields.next().unwrap_or(0.0),
    ]
}

fn cpu_model() -> String {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, model)| model.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown CPU".into())
}

fn ram_gib() -> f64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| (kib / 1024.0 / 1024.0 * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts_line::Line;
    use serde_json::json;

    #[test]
    fn variants_of_a_scenario_get_runs_of_their_own() {
        let drain = |connections| json!({"scenario": "drain", "connections": connections});
        assert_eq!(default_run_name("drain", &drain(1)), "drain-1");
        assert_eq!(default_run_name("drain", &drain(4)), "drain-4");
        assert_eq!(
            default_run_name("entry", &json!({"users": 5_000_000})),
            "entry-5000000"
        );
        assert_eq!(
            default_run_name(
                "drain-postgres",
                &json!({"instances": 2, "connections": 4, "users_per_connection": 300_000})
            ),
            "drain-postgres-2x4-300000"
        );
        assert_eq!(default_run_name("hashing", &json!({})), "hashing");
    }

    #[test]
    fn a_record_round_trips_through_its_file() {
        let start = RunStart::now();
        let record = start.finish(Outcome {
            summary: json!({"scenario": "latency", "rate": 100}),
            run: Some("latency-100".into()),
            charts: vec![ChartData::Line {
                id: "throughput".into(),
                chart: LineChart {
                    title: "t".into(),
                    x_label: "s".into(),
                    y_label: "users/s".into(),
                    lines: vec![Line {
                        name: "offered".into(),
                        points: vec![(0.0, 100.0)],
                    }],
                },
            }],
        });
        assert_eq!(record.scenario, "latency");
        assert!(record.command.contains("pinsync-bench --"));
        assert!(record.machine.cores >= 1);
        let dir = tempfile::tempdir().unwrap();
        let path = record.save(dir.path()).unwrap();
        assert!(path.ends_with("latency-100.json"));
        assert_eq!(RunRecord::load(&path).unwrap(), record);
    }

    #[test]
    fn the_run_defaults_to_the_scenario() {
        let record = RunStart::now().finish(json!({"scenario": "hashing"}).into());
        assert_eq!(record.run, "hashing");
        assert!(record.started_at.ends_with('Z'), "{}", record.started_at);
    }
}
