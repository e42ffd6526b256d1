//! The `entry` scenario: users pushed through the bulk entry path (`POST
//! /api/v1/canvases/{id}/entries`, streamed NDJSON over real HTTP) into an active Canvas whose
//! first step is an audience-sync step, on SQLite with `synchronous=FULL`. Every user ends up
//! durably handed to the sync pipeline (one sync item each) before the answer arrives.
//! Goal: 50,000 users/s, peak RSS under 300 MB at 5 million users. With `--database-url`,
//! the PostgreSQL form with several instances runs instead (see `entry_postgres`).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, ensure};
use bytes::Bytes;
use pinsync_engine::{Engine, EngineSettings, SystemClock};
use pinsync_server::{AppState, ServerSettings};
use pinsync_store::{DEFAULT_WORKSPACE, SqliteStore, Store};
use serde_json::{Value, json};

const GOAL_USERS_PER_S: f64 = 50_000.0;
/// NDJSON lines per body chunk sent.
const LINES_PER_SEND: u64 = 2_000;

#[derive(clap::Args)]
pub struct Options {
    /// Users to enter.
    #[arg(long, default_value_t = 1_000_000)]
    users: u64,
    /// Users written per transaction.
    #[arg(long, default_value_t = 10_000)]
    chunk_users: usize,
    /// Directory for the database (default: a temporary directory, removed afterwards).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    #[command(flatten)]
    postgres: crate::entry_postgres::PostgresRun,
    /// With --database-url: the instances also deliver to the sandbox while users enter
    /// (default: they only enter, as in the SQLite form, which runs no pipeline).
    #[arg(long)]
    deliver: bool,
}

/// The canvas: add every user to an existing audience by email or GAID, then exit.
fn canvas_definition() -> Value {
    json!({
        "name": "Bulk entry benchmark",
        "entry_step_id": "add",
        "steps": [{
            "id": "add", "name": "Add to audience", "type": "audience_sync",
            "partner": "pinterest", "ad_account_id": "549770573673",
            "audience": {"existing": {"audience_id": "2542623499806"}},
            "action": "add", "match_fields": ["email", "gaid"], "next": null
        }]
    })
}

/// Lines `first..first + count` of the NDJSON body.
fn ndjson_lines(first: u64, count: u64) -> Bytes {
    let mut text = String::with_capacity(count as usize * 80);
    for i in first..first + count {
        text.push_str(&format!(
            "{{\"external_user_id\":\"user-{i}\",\"email\":\"user{i}@example.com\",\"attributes\":{{\"tier\":{}}}}}\n",
            i % 5
        ));
    }
    Bytes::from(text)
}

pub async fn run(options: Options) -> anyhow::Result<Value> {
    ensure!(options.users > 0, "--users must be at least 1");
    if options.postgres.database_url.is_some() {
        return crate::entry_postgres::run(options.postgres, options.users, options.deliver).await;
    }
    let temp = tempfile::tempdir()?;
    let data_dir = options
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    let sqlite = SqliteStore::open_in_dir(&data_dir)?;
    sqlite.migrate().await?;
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let workspace = store.ensure_workspace(DEFAULT_WORKSPACE).await?.id;
    let key = pinsync_server::api_keys::generate(workspace);
    store.insert_api_key(key.stored).await?;
    let settings = EngineSettings {
        entry_chunk_users: options.chunk_users,
        ..EngineSettings::default()
    };
    let engine = Engine::new(store.clone(), Arc::new(SystemClock), settings);
    let state = AppState::new(store.clone(), ServerSettings::default()).with_engine(engine);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/api/v1", listener.local_addr()?);
    tokio::spawn(pinsync_server::serve(
        listener,
        pinsync_server::router(state),
        std::future::pending(),
    ));

    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{base}/canvases"))
        .bearer_auth(&key.plaintext)
        .body(canvas_definition().to_string())
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let canvas = created["id"]
        .as_str()
        .context("the canvas has an id")?
        .to_owned();
    client
        .post(format!("{base}/canvases/{canvas}/launch"))
        .bearer_auth(&key.plaintext)
        .send()
        .await?
        .error_for_status()?;

    let users = options.users;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut first = 0;
        while first < users {
            let count = LINES_PER_SEND.min(users - first);
            if sender.send(Ok(ndjson_lines(first, count))).await.is_err() {
                return;
            }
            first += count;
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let started = Instant::now();
    let answer: Value = client
        .post(format!("{base}/canvases/{canvas}/entries"))
        .bearer_auth(&key.plaintext)
        .header("content-type", "application/x-ndjson")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let entered = answer["summary"]["entered"].as_u64().unwrap_or(0);
    ensure!(
        entered == users,
        "only {entered} of {users} users entered: {answer}"
    );

    let canvas_id = pinsync_store::CanvasId(canvas.parse()?);
    let counts = store.canvas_counts(canvas_id).await?;
    let pending = counts.steps.get("add").map_or(0, |step| step.pending);
    ensure!(
        pending == users,
        "{pending} sync items pending for {users} users"
    );
    let users_per_s = users as f64 / seconds;
    eprintln!(
        "entered {users} users in {seconds:.2}s: {users_per_s:.0} users/s (goal {GOAL_USERS_PER_S:.0}); {pending} sync items pending"
    );
    Ok(json!({
        "scenario": "entry",
        "users": users,
        "seconds": (seconds * 100.0).round() / 100.0,
        "users_per_s": users_per_s.round(),
        "goal_users_per_s": GOAL_USERS_PER_S,
        "sync_items_pending": pending,
        "peak_rss_mb": (crate::process_stats::peak_rss_mb() * 10.0).round() / 10.0,
        "chunk_users": options.chunk_users,
    }))
}
