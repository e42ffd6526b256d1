//! `pinsync-bench report`: collects the runs saved in `target/bench/` into
//! `docs/bench/data/` (one file per run and start time, so earlier runs — e.g. on a quiet
//! machine — are kept), draws each run's charts and the latency percentiles as SVG in
//! `docs/bench/`, and rewrites each scenario's table in `docs/BENCHMARKS.md` between its
//! markers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

use crate::charts_bar::{self, BarChart, BarSeries};
use crate::charts_line;
use crate::report_tables::{replace_section, section_body};
use crate::run_record::{self, ChartData, RunRecord};

#[derive(clap::Args)]
pub struct Options {
    /// Where runs are read from (default: `<workspace>/target/bench`).
    #[arg(long)]
    runs: Option<PathBuf>,
    /// The docs directory holding `BENCHMARKS.md` and `bench/` (default: `<workspace>/docs`).
    #[arg(long)]
    docs: Option<PathBuf>,
}

pub fn run(options: Options) -> anyhow::Result<Value> {
    let runs = options.runs.unwrap_or_else(run_record::runs_dir);
    let docs = options
        .docs
        .unwrap_or_else(|| run_record::workspace_root().join("docs"));
    write_report(&runs, &docs)
}

/// The report from the runs in `runs` and those already kept under `docs`.
pub fn write_report(runs: &Path, docs: &Path) -> anyhow::Result<Value> {
    let charts_dir = docs.join("bench");
    let data_dir = charts_dir.join("data");
    std::fs::create_dir_all(&data_dir)?;
    let imported = import_runs(runs, &data_dir)?;
    let records = load_records(&data_dir)?;

    let mut by_scenario: BTreeMap<&str, Vec<&RunRecord>> = BTreeMap::new();
    for record in &records {
        by_scenario
            .entry(&record.scenario)
            .or_default()
            .push(record);
    }
    let mut written = Vec::new();
    let mut sections = Vec::new();
    let document_path = docs.join("BENCHMARKS.md");
    let mut document = std::fs::read_to_string(&document_path).unwrap_or_default();
    for (scenario, mut runs) in by_scenario {
        // Grouped by run, newest first within a run.
        runs.sort_by(|a, b| {
            a.run
                .cmp(&b.run)
                .then_with(|| b.started_at.cmp(&a.started_at))
        });
        let mut charts = Vec::new();
        let mut seen = Vec::new();
        for record in &runs {
            if seen.contains(&&record.run) {
                continue;
            }
            seen.push(&record.run);
            for chart in &record.charts {
                let file = format!("{}-{}.svg", record.run, chart.id());
                let (title, svg) = match chart {
                    ChartData::Line { chart, .. } => (&chart.title, charts_line::render(chart)),
                    ChartData::Bar { chart, .. } => (&chart.title, charts_bar::render(chart)),
                };
                std::fs::write(charts_dir.join(&file), svg)?;
                charts.push((title.clone(), format!("bench/{file}")));
                written.push(file);
            }
        }
        if scenario == "latency" {
            let chart = latency_percentiles(&runs);
            let file = "latency-percentiles.svg".to_owned();
            std::fs::write(charts_dir.join(&file), charts_bar::render(&chart))?;
            charts.insert(0, (chart.title, format!("bench/{file}")));
            written.push(file);
        }
        document = replace_section(&document, scenario, &section_body(&runs, &charts));
        sections.push(scenario.to_owned());
    }
    std::fs::write(&document_path, document)?;
    Ok(json!({
        "scenario": "report",
        "imported": imported,
        "records": records.len(),
        "charts": written,
        "sections": sections,
    }))
}

/// Copies each run of `runs` to `data_dir/<run>--<start>.json`; how many were new.
fn import_runs(runs: &Path, data_dir: &Path) -> anyhow::Result<usize> {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return Ok(0);
    };
    let mut imported = 0;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let record = RunRecord::load(&path).with_context(|| format!("reading {path:?}"))?;
        let stamp: String = record
            .started_at
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let target = data_dir.join(format!("{}--{stamp}.json", record.run));
        if !target.exists() {
            imported += 1;
        }
        std::fs::write(target, serde_json::to_string_pretty(&record)?)?;
    }
    Ok(imported)
}

fn load_records(data_dir: &Path) -> anyhow::Result<Vec<RunRecord>> {
    let mut records = Vec::new();
    for entry in std::fs::read_dir(data_dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            records.push(RunRecord::load(&path).with_context(|| format!("reading {path:?}"))?);
        }
    }
    Ok(records)
}

/// p50, p99 and max of the newest run at each offered rate, by rate.
fn latency_percentiles(runs: &[&RunRecord]) -> BarChart {
    let mut newest: BTreeMap<u64, &RunRecord> = BTreeMap::new();
    for record in runs {
        let rate = record.summary["rate"].as_u64().unwrap_or(0);
        let keep = newest
            .get(&rate)
            .is_none_or(|kept| kept.started_at < record.started_at);
        if keep {
            newest.insert(rate, record);
        }
    }
    let value = |record: &RunRecord, key: &str| record.summary[key].as_f64().unwrap_or(0.0);
    let series = |name: &str, key: &str| BarSeries {
        name: name.into(),
        values: newest.values().map(|record| value(record, key)).collect(),
    };
    BarChart {
        title: "Latency from entry to Pinterest's acknowledgement".into(),
        x_label: "users per second offered".into(),
        y_label: "milliseconds".into(),
        categories: newest
            .keys()
            .map(|rate| format!("{}/s", crate::report_tables::thousands(*rate as f64)))
            .collect(),
        series: vec![
            series("p50", "p50_ms"),
            series("p99", "p99_ms"),
            series("max", "max_ms"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts_line::{Line, LineChart};
    use crate::run_record::Machine;

    fn latency_run(rate: u64, started_at: &str, p99: u64) -> RunRecord {
        RunRecord {
            run: format!("latency-{rate}"),
            scenario: "latency".into(),
            started_at: started_at.into(),
            command: format!("cargo run --release -p pinsync-bench -- latency --rate {rate}"),
            machine: Machine {
                cores: 2,
                cpu: "Test CPU".into(),
                ram_gib: 8.0,
                load_start: [0.5; 3],
                load_end: [0.5; 3],
                build: "debug".into(),
            },
            summary: json!({"scenario": "latency", "rate": rate, "p50_ms": 2500, "p99_ms": p99, "max_ms": 6000}),
            charts: vec![ChartData::Line {
                id: "throughput".into(),
                chart: LineChart {
                    title: format!("throughput at {rate}/s"),
                    x_label: "s".into(),
                    y_label: "users/s".into(),
                    lines: vec![Line {
                        name: "entered".into(),
                        points: vec![(0.0, rate as f64)],
                    }],
                },
            }],
        }
    }

    #[test]
    fn the_report_keeps_older_runs_draws_charts_and_fills_only_its_sections() {
        let runs = tempfile::tempdir().unwrap();
        let docs = tempfile::tempdir().unwrap();
        let document = "# Benchmarks\n\n<!-- bench:latency -->\nstale\n<!-- /bench -->\n\n## drain\n\nhand-written drain figures\n";
        std::fs::write(docs.path().join("BENCHMARKS.md"), document).unwrap();

        latency_run(100, "2026-11-29T08:00:00Z", 5_000)
            .save(runs.path())
            .unwrap();
        write_report(runs.path(), docs.path()).unwrap();
        // A later run at the same rate, and one at another rate.
        latency_run(100, "2026-11-29T09:00:00Z", 5_100)
            .save(runs.path())
            .unwrap();
        latency_run(1000, "2026-11-29T09:05:00Z", 5_300)
            .save(runs.path())
            .unwrap();
        let summary = write_report(runs.path(), docs.path()).unwrap();
        assert_eq!(summary["imported"], 2);
        assert_eq!(summary["records"], 3, "the 08:00 run is kept");

        let written = std::fs::read_to_string(docs.path().join("BENCHMARKS.md")).unwrap();
        assert!(!written.contains("stale"));
        assert!(written.contains("## drain\n\nhand-written drain figures\n"));
        let rows: Vec<&str> = written
            .lines()
            .filter(|l| l.starts_with("| latency-"))
            .collect();
        assert_eq!(rows.len(), 3, "{written}");
        assert!(
            rows[0].contains("latency-100 2026-11-29 09:00:00"),
            "newest first"
        );
        assert!(rows[2].contains("latency-1000"));
        assert!(rows.iter().all(|row| row.contains("**debug build**")));
        assert!(written.contains("(bench/latency-percentiles.svg)"));
        assert!(written.contains("(bench/latency-1000-throughput.svg)"));

        let percentiles =
            std::fs::read_to_string(docs.path().join("bench/latency-percentiles.svg")).unwrap();
        let svg = roxmltree::Document::parse(&percentiles).unwrap();
        let labels: Vec<&str> = svg.descendants().filter_map(|n| n.text()).collect();
        assert!(labels.contains(&"100/s") && labels.contains(&"1,000/s"));
        assert!(
            labels.contains(&"5.1k"),
            "the newest 100/s run's p99: {labels:?}"
        );
        assert!(
            docs.path()
                .join("bench/latency-100-throughput.svg")
                .exists()
        );
    }
}
