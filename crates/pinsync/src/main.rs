//! The `pinsync` binary: `serve` runs the API; `migrate` applies database migrations;
//! `admin` manages workspaces and API keys; `import` enters a file of users into a Canvas.

mod admin;
mod config;
mod config_pipeline;
mod import;
mod logging;
mod pinterest;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, ENVIRONMENT_HELP, Overrides};

/// pinsync: sync Canvas audiences to Pinterest, self-hosted.
#[derive(Debug, Parser)]
#[command(name = "pinsync", version, after_help = ENVIRONMENT_HELP)]
struct Cli {
    /// TOML config file [env: PINSYNC_CONFIG]
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory holding pinsync's data [env: PINSYNC_DATA_DIR] [default: ./pinsync-data]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API (and the workers) until SIGINT or SIGTERM.
    #[command(after_help = ENVIRONMENT_HELP)]
    Serve {
        /// Address to listen on [env: PINSYNC_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Run the Pinterest sandbox alone (a local Pinterest API v5 with a consent page).
    Sandbox {
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        /// The sandbox's own TOML config (seed, switches); this flag shadows the global --config
        #[arg(long = "config")]
        sandbox_config: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Administration: workspaces and API keys.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Enter the users of an NDJSON or CSV file into an active Canvas of a running server.
    Import(import::ImportArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Sandbox {
        listen,
        sandbox_config,
    } = &cli.command
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return runtime.block_on(pinterest::run_sandbox(*listen, sandbox_config.clone()));
    }
    let mut overrides = Overrides {
        config_file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        ..Overrides::default()
    };
    if let Command::Serve { listen } = &cli.command {
        overrides.listen = *listen;
    }
    let config = Config::load(&overrides)?;
    logging::init(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } => serve::run(config).await,
            Command::Migrate => serve::migrate(&config).await,
            Command::Sandbox { .. } => Ok(()),
            Command::Admin { command } => admin::run(&config, command).await,
            Command::Import(args) => import::run(format!("http://{}", config.listen), args).await,
        }
    })
}
