//! The browser harness: headless Chromium driven over WebDriver (Debian's `chromedriver`,
//! `fantoccini`). Gated by `PINSYNC_BROWSER_TESTS=1`: without it the tests say plainly that
//! they did not run; with it, a missing or unreachable browser fails them. Screenshots go to
//! `docs/screenshots/` only when `PINSYNC_SCREENSHOTS=1`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long a step of a browser test may wait for the page to show what it expects.
const PATIENCE: Duration = Duration::from_secs(20);

/// A headless Chromium session; the driver process is killed when this is dropped.
pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn binary(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|path| std::path::Path::new(path).exists())
        .map(|path| path.to_string())
}

/// Starts a browser on `base`, or `None` (after saying so) when browser tests are off.
pub async fn start_browser(base: &str, test: &str) -> Option<Browser> {
    if std::env::var("PINSYNC_BROWSER_TESTS").ok().as_deref() != Some("1") {
        eprintln!(
            "NOT RUN: browser test `{test}` needs PINSYNC_BROWSER_TESTS=1 and Debian's chromium + chromium-driver (see .ci/run)"
        );
        return None;
    }
    let chromium = binary(&["/usr/bin/chromium", "/usr/bin/chromium-browser"])
        .expect("PINSYNC_BROWSER_TESTS=1 but chromium is not installed (apt-get install chromium)");
    let chromedriver = binary(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
        .expect("PINSYNC_BROWSER_TESTS=1 but chromedriver is not installed (apt-get install chromium-driver)");
    let mut driver = Command::new(chromedriver)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver does not start");
    let stdout = driver.stdout.take().expect("chromedriver's stdout");
    let port = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("chromedriver exited before listening")
                .unwrap();
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                break rest.trim_end_matches('.').trim().to_owned();
            }
        };
        // Keep draining so chromedriver never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        port
    })
    .await
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1366,768",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("chromedriver is unreachable or cannot start chromium");
    Some(Browser {
        client,
        base: base.to_owned(),
        driver,
        _profile: profile,
    })
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(error) => {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let source = self.client.source().await.unwrap_or_default();
                panic!("no element `{css}` on {url} ({error}); page:\n{source}")
            }
        }
    }

    /// Clicks the element matching `css`. A page can replace the element between finding
    /// and clicking it (a part of it re-rendered, a redirect landing): WebDriver then answers
    /// "stale element reference", and the element is found again (`find` waits for it), up
    /// to five times.
    pub async fn click(&self, css: &str) {
        for attempt in 1..=5 {
            match self.find(css).await.click().await {
                Ok(_) => return,
                Err(error) if error.is_stale_element_reference() && attempt < 5 => {}
                Err(error) => panic!("cannot click `{css}`: {error}"),
            }
        }
    }

    /// Replaces the value of the input matching `css` with `text`, typing it key by key.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    /// Chooses the option with `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("no option {value:?} in `{css}`: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits until the element matching `css` shows text containing `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let found = self.client.find(Locator::Css(css)).await;
            if let Ok(element) = found
                && let Ok(text) = element.text().await
                && text.contains(expected)
            {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                let source = self.client.source().await.unwrap_or_default();
                panic!("`{css}` never showed {expected:?}; page:\n{source}");
            }
            // WebDriver has no change notification: poll the page the browser shows.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Saves a screenshot as `docs/screenshots/<name>.png` when `PINSYNC_SCREENSHOTS=1`.
    pub async fn screenshot(&self, name: &str) {
        if std::env::var("PINSYNC_SCREENSHOTS").ok().as_deref() != Some("1") {
            return;
        }
        let png = self.client.screenshot().await.unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Signs in through the sign-in form, starting from `then`.
    pub async fn sign_in(&self, then: &str, login: &str, password: &str) {
        self.goto(then).await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.click("button[type=submit]").await;
        self.find("header.top").await;
    }

    pub async fn close(self) {
        let Browser { client, .. } = &self;
        let _ = client.clone().close().await;
    }
}
