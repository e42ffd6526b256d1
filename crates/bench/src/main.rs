//! `pinsync-bench`: pinsync's benchmarks. Each scenario runs for a bounded time, talks only to
//! 127.0.0.1, and prints one JSON object as its last line.

mod crash_soak;
mod drain;
mod entry;
mod fault_soak;
mod latency;
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
    let result = match cli.scenario {
        Scenario::SandboxPatch(options) => sandbox_patch::run(options).await?,
        Scenario::Drain(options) => drain::run(options).await?,
        Scenario::Latency(options) => latency::run(options).await?,
        Scenario::Entry(options) => entry::run(options).await?,
        Scenario::CrashSoak(options) => crash_soak::run(options).await?,
        Scenario::FaultSoak(options) => fault_soak::run(options).await?,
    };
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}
