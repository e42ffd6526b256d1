//! `pinsync-bench`: pinsync's benchmarks. Each scenario runs for a bounded time, talks only to
//! 127.0.0.1, prints one JSON object as its last line, and saves its run to
//! `target/bench/<run>.json` for `pinsync-bench report` (charts and tables of the docs).

mod charts;
mod charts_bar;
mod charts_line;
mod crash_soak;
mod drain;
mod drain_postgres;
mod entry;
mod entry_postgres;
mod fault_soak;
mod hashing;
mod hashing_workload;
mod latency;
mod latency_series;
mod pending_rss;
mod process_stats;
mod report;
mod report_tables;
mod run_record;
mod sandbox_patch;
mod soak;
mod sync_fixture;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "pinsync-bench", about = "pinsync benchmarks")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Hammer the sandbox with customer-list PATCHes of 1,900 SHA-256 records each.
    SandboxPatch(sandbox_patch::Options),
    /// Drain users queued on N connections through the sync pipeline, against the sandbox's
    /// real write limits.
    Drain(drain::Options),
    /// Users entering at a steady rate: entered-step → acknowledged latency percentiles.
    Latency(latency::Options),
    /// Push users through the bulk entry path into an active Canvas (audience-sync first).
    Entry(entry::Options),
    /// Millions of users pending behind a paused connection: peak RSS while the loops run.
    PendingRss(pending_rss::Options),
    /// Identifier normalize + SHA-256 and the records encoder, per core.
    Hashing(hashing::Options),
    /// Charts (docs/bench/*.svg) and tables (docs/BENCHMARKS.md) from the saved runs.
    Report(report::Options),
    /// SIGKILL the real `pinsync serve` at random moments during entry and drain; fail on any
    /// lost user, wrong counter, wrong membership or window over the limits.
    CrashSoak(crash_soak::Options),
    /// Sandbox faults, a token revoke and reconnect, an audience deletion; fail unless every
    /// user ends in the outcome they imply and no window went over the limits.
    FaultSoak(fault_soak::Options),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let start = run_record::RunStart::now();
    let outcome: run_record::Outcome = match cli.scenario {
        Scenario::SandboxPatch(options) => sandbox_patch::run(options).await?.into(),
        Scenario::Drain(options) => drain::run(options).await?.into(),
        Scenario::Latency(options) => latency::run(options).await?,
        Scenario::Entry(options) => entry::run(options).await?.into(),
        Scenario::PendingRss(options) => pending_rss::run(options).await?,
        Scenario::Hashing(options) => hashing::run(options).await?,
        Scenario::Report(options) => report::run(options)?.into(),
        Scenario::CrashSoak(options) => crash_soak::run(options).await?.into(),
        Scenario::FaultSoak(options) => fault_soak::run(options).await?.into(),
    };
    let result = outcome.summary.clone();
    if result["scenario"] != "report" {
        let saved = start.finish(outcome).save(&run_record::runs_dir())?;
        eprintln!("saved {}", saved.display());
    }
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}
