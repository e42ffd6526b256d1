//! `pinsync import FILE --canvas ID`: streams an NDJSON or CSV file of users to a running
//! server's bulk entry endpoint (`POST /api/v1/canvases/{id}/entries`), shows progress on
//! stderr, and prints the server's final summary.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::AsyncReadExt;

/// Bytes read from the file per chunk sent.
const READ_CHUNK_BYTES: usize = 256 * 1024;
/// Width of the progress bar, in characters.
const BAR_WIDTH: usize = 30;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The NDJSON (`.ndjson`, `.jsonl`) or CSV (`.csv`) file of users.
    file: PathBuf,
    /// The id of the active Canvas to enter the users into.
    #[arg(long)]
    canvas: String,
    /// The server's base URL [default: http://<listen address of the config>]
    #[arg(long)]
    url: Option<String>,
    /// A workspace API key [env: PINSYNC_API_KEY]
    #[arg(long, env = "PINSYNC_API_KEY", hide_env_values = true)]
    key: String,
    /// The file's format, when its extension does not say.
    #[arg(long, value_parser = ["ndjson", "csv"])]
    format: Option<String>,
}

fn content_type(args: &ImportArgs) -> &'static str {
    let is_csv = match args.format.as_deref() {
        Some(format) => format == "csv",
        None => args
            .file
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("csv")),
    };
    if is_csv {
        "text/csv"
    } else {
        "application/x-ndjson"
    }
}

/// Draws `[#####.....] 42% 12.0/28.5 MB 3.1 MB/s` on one stderr line.
fn draw_progress(sent: u64, total: u64, started: Instant) {
    let fraction = if total == 0 {
        1.0
    } else {
        sent as f64 / total as f64
    };
    let filled = ((fraction * BAR_WIDTH as f64) as usize).min(BAR_WIDTH);
    let rate = sent as f64 / started.elapsed().as_secs_f64().max(0.001) / 1e6;
    eprint!(
        "\r[{}{}] {:>3.0}% {:.1}/{:.1} MB {:.1} MB/s ",
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled),
        fraction * 100.0,
        sent as f64 / 1e6,
        total as f64 / 1e6,
        rate
    );
    let _ = std::io::stderr().flush();
}

pub async fn run(default_url: String, args: ImportArgs) -> anyhow::Result<()> {
    let file = tokio::fs::File::open(&args.file)
        .await
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let total = file.metadata().await?.len();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let stream = futures_util::stream::unfold(file, move |mut file| {
        let counter = counter.clone();
        async move {
            let mut buffer = vec![0; READ_CHUNK_BYTES];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    counter.fetch_add(n as u64, Ordering::Relaxed);
                    Some((Ok::<_, std::io::Error>(buffer), file))
                }
                Err(error) => Some((Err(error), file)),
            }
        }
    });
    let base = args.url.clone().unwrap_or(default_url);
    let url = format!(
        "{}/api/v1/canvases/{}/entries",
        base.trim_end_matches('/'),
        args.canvas
    );
    let started = Instant::now();
    let request = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&args.key)
        .header("content-type", content_type(&args))
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    tokio::pin!(request);
    let response = loop {
        tokio::select! {
            response = &mut request => break response,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                draw_progress(sent.load(Ordering::Relaxed), total, started);
            }
        }
    };
    draw_progress(sent.load(Ordering::Relaxed), total, started);
    eprintln!();
    let response = response.with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        eprintln!("{}", serde_json::to_string_pretty(&body)?);
        bail!(
            "the server refused the import ({status}): {}",
            body["message"].as_str().unwrap_or("no message")
        );
    }
    let summary = &body["summary"];
    eprintln!(
        "entered {} users, {} already in the canvas, {} rows rejected, in {:.1}s",
        summary["entered"],
        summary["already_in_canvas"],
        summary["rejected"],
        started.elapsed().as_secs_f64()
    );
    for row in summary["bad_rows"]
        .as_array()
        .into_iter()
        .flatten()
        .take(20)
    {
        eprintln!(
            "  line {}: {}",
            row["line"],
            row["reason"].as_str().unwrap_or("")
        );
    }
    println!("{}", serde_json::to_string(summary)?);
    Ok(())
}
