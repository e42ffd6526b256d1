//! `pinsync serve` and `pinsync migrate`: open the store, migrate, and run the server and the
//! Canvas engine's delay timer until shutdown.

use std::sync::Arc;

use anyhow::Context;
use pinsync_server::{AppState, ServerSettings};
use pinsync_store::{DEFAULT_WORKSPACE, PgStore, SqliteStore, Store};
use tokio::net::TcpListener;

use crate::config::Config;

/// Opens the configured store and applies migrations: PostgreSQL when `database_url` is set,
/// otherwise SQLite in `data_dir`.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match &config.database_url {
        Some(url) => {
            let store = PgStore::connect_with(url.expose(), config.database_max_connections)
                .await
                .with_context(|| format!("cannot open the store at {url}"))?;
            Arc::new(store)
        }
        None => {
            let store = SqliteStore::open_in_dir(&config.data_dir).with_context(|| {
                format!("cannot open the store in {}", config.data_dir.display())
            })?;
            Arc::new(store)
        }
    };
    let applied = store.migrate().await.context("cannot migrate the store")?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    store.ensure_workspace(DEFAULT_WORKSPACE).await?;
    Ok(store)
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    open_store(config).await?;
    eprintln!("migrations applied to {}", config.store_description());
    Ok(())
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    if config.database_url.is_some() && std::env::var_os("PINSYNC_SECRET_KEY").is_none() {
        // Instances sharing a database must share the key, or each reads garbage tokens.
        tracing::warn!(
            data_dir = %config.data_dir.display(),
            "PostgreSQL store without PINSYNC_SECRET_KEY: tokens are encrypted with this instance's data_dir key; give every instance the same PINSYNC_SECRET_KEY"
        );
    }
    let settings = ServerSettings {
        max_body_bytes: config.max_body_bytes,
        ..ServerSettings::default()
    };
    let state = AppState::new(store, settings);
    let (stop_timers, timers_stopped) = tokio::sync::watch::channel(false);
    let engine = state.engine.clone();
    let timers = tokio::spawn(async move {
        let mut stopped = timers_stopped;
        engine
            .run_timer_loop(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
    });
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let pinterest = crate::pinterest::wire(&config, state.store.clone(), address)?;
    let checks = pinsync_server::pinterest::PinterestLaunchChecks::new(pinterest.service.clone());
    let state = state
        .with_pinterest(pinterest.service.clone())
        .with_launch_checks(Arc::new(checks));
    let (stop_background, background_stopped) = tokio::sync::watch::channel(false);
    let background = tokio::spawn(crate::pinterest::run_background_loop(
        pinterest.service.clone(),
        background_stopped,
    ));
    // On PostgreSQL several instances may share the database: each then sends only for the
    // connections whose lease it holds, so every token's budget is spent by one at a time.
    let mut pipeline_settings = config.pipeline.to_settings();
    // After a crash the in-memory rate limiter is empty while the token's last second may
    // already be spent: wait that window out before the first request.
    pipeline_settings.start_quiet =
        std::time::Duration::from_millis(1_050 + config.pinterest.rate_limits.safety_margin_ms);
    if config.database_url.is_some() {
        let lease = config.pipeline.lease();
        tracing::info!(instance = %lease.holder, "connections are leased (several instances may share the database)");
        pipeline_settings.worker_id = lease.holder.clone();
        pipeline_settings.ownership = pinsync_pipeline::Ownership::Leased(lease);
    }
    // The API and the dashboard requeue through the very pipeline the loop runs (or, on an
    // instance that does not deliver, through one without a loop).
    let (pipeline, running) = if config.pipeline.deliver {
        let running = pinsync_pipeline::spawn_background(
            state.store.clone(),
            pinterest.service.clone(),
            pipeline_settings,
        );
        (running.pipeline.clone(), Some(running))
    } else {
        tracing::info!(
            "delivery is off on this instance (pipeline.deliver = false): it serves the API and enters users; instances that deliver send to Pinterest"
        );
        let pipeline = pinsync_pipeline::without_loop(
            state.store.clone(),
            pinterest.service.clone(),
            pipeline_settings,
        );
        (pipeline, None)
    };
    let state = state.with_pipeline(pipeline);
    let setup_link =
        pinsync_server::dashboard::passwords::setup_link_if_no_user(state.store.as_ref()).await?;
    let mut router = pinsync_server::router(state);
    if let Some(sandbox) = pinterest.sandbox_router {
        router = router.nest(crate::pinterest::SANDBOX_PREFIX, sandbox);
    }
    if let Some(link) = setup_link {
        eprintln!(
            "no dashboard user yet: open http://{address}/setup/{} within 24 hours to create the first one (or run `pinsync admin create-user`)",
            link.token
        );
    }
    let store_description = config.store_description();
    tracing::info!(%address, store = %store_description, "pinsync listening");
    eprintln!("pinsync listening on http://{address} (data in {store_description})");
    eprintln!("{}", pinterest.description);
    pinsync_server::serve(listener, router, shutdown_signal()).await?;
    // Stop claiming sync batches; in-flight requests get the pipeline's shutdown grace.
    if let Some(running) = running {
        running.shutdown().await;
    }
    let _ = stop_background.send(true);
    let _ = background.await;
    let _ = stop_timers.send(true);
    let _ = timers.await;
    tracing::info!("pinsync stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
