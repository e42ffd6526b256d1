//! `pinsync admin create-key`, `pinsync migrate` and `pinsync serve` as a user runs them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

fn pinsync(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pinsync"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("PINSYNC_CONFIG");
    command
}

/// Starts `pinsync serve` on port 0 and returns the child and its base URL.
fn start_server(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = pinsync(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("serve exited before listening")
            .unwrap();
        if let Some(rest) = line.strip_prefix("pinsync listening on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[test]
fn create_key_prints_only_the_key_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let output = pinsync(dir.path())
        .args(["admin", "create-key"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout:?}");
    assert!(lines[0].starts_with("psk_"));
}

#[test]
fn migrate_creates_the_database_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let status = pinsync(dir.path()).arg("migrate").status().unwrap();
    assert!(status.success());
    assert!(dir.path().join("pinsync.db").exists());
}

#[test]
fn an_invalid_environment_value_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = pinsync(dir.path())
        .arg("migrate")
        .env("PINSYNC_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PINSYNC_LISTEN"), "{stderr}");
}

#[tokio::test]
async fn serve_accepts_a_created_key_stores_users_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let output = pinsync(dir.path())
        .args(["admin", "create-key"])
        .output()
        .unwrap();
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let (mut child, url) = start_server(dir.path());

    let client = reqwest::Client::new();
    let response = client
        .post(format!("{url}/api/v1/users/track"))
        .bearer_auth(&key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(r#"{"attributes":[{"external_id":"u1","email":"a@example.com"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let profile: serde_json::Value = client
        .get(format!("{url}/api/v1/users/u1"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["identifiers"]["email"]["valid"], true);

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}
