//! The logs of a whole Pinterest connection dance (connect, refresh, disconnect) contain no
//! token and no client secret. A test binary of its own: it installs a process-wide log
//! subscriber, which other tests running beside it in one process would race.

use std::io::Write;
use std::sync::{Arc, Mutex};

#[path = "it/partners_support.rs"]
#[allow(dead_code)]
mod partners_support;

use partners_support::{ALICE, ALICE_MAIN_ACCOUNT, spawn_pinterest_app};

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_logs_of_a_whole_connection_dance_contain_no_token() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The only test of this binary, so a process-wide subscriber sees every thread's logs.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let (first_access, first_refresh) = app.stored_tokens().await;
    app.sandbox
        .sandbox
        .expire_token(first_access.as_deref().unwrap())
        .unwrap();
    app.client
        .post(app.url("/api/v1/partners/pinterest/check"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    let (access, refresh) = app.stored_tokens().await;
    app.client
        .delete(app.url("/api/v1/partners/pinterest"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("pinterest connected"),
        "the capture works: {}",
        &text[..text.len().min(3000)]
    );
    assert!(text.contains("pinterest tokens refreshed"));
    for token in [first_access, first_refresh, access, refresh]
        .into_iter()
        .flatten()
    {
        assert!(!text.contains(&token), "a token reached the logs");
    }
    assert!(!text.contains(&app.sandbox.sandbox.seed().app.client_secret));
}
