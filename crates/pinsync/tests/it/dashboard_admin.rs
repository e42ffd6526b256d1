//! `pinsync admin create-user` and the first-start set-up link, as an admin runs them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

fn pinsync(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pinsync"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("PINSYNC_CONFIG")
        .env_remove("PINSYNC_NEW_PASSWORD");
    command
}

/// Starts `pinsync serve` on port 0; returns the child, its URL and its start-up lines up to
/// the listening line (the set-up link, when there is one, comes before it).
fn start_server(data_dir: &std::path::Path) -> (Child, String, Vec<String>) {
    let mut child = pinsync(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let url = loop {
        let line = lines
            .next()
            .expect("serve exited before listening")
            .unwrap();
        seen.push(line.clone());
        if let Some(rest) = line.strip_prefix("pinsync listening on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url, seen)
}

#[test]
fn create_user_reads_the_password_and_never_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = pinsync(dir.path())
        .args([
            "admin",
            "create-user",
            "maria",
            "--workspace",
            "acme",
            "--workspace",
            "beta",
        ])
        .env("PINSYNC_NEW_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("created dashboard user \"maria\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"acme\"") && stderr.contains("\"beta\""),
        "{stderr}"
    );
    assert!(!stderr.contains("correct horse") && output.stdout.is_empty());
}

#[test]
fn create_user_refuses_a_short_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = pinsync(dir.path())
        .args(["admin", "create-user", "maria"])
        .env("PINSYNC_NEW_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 10 characters"));
}

#[tokio::test]
async fn the_first_start_prints_a_set_up_link_and_a_start_with_a_user_prints_none() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, lines) = start_server(dir.path());
    let link = lines
        .iter()
        .find_map(|line| line.split("open ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no set-up link in {lines:?}"))
        .to_owned();
    assert!(link.starts_with(&format!("{url}/setup/")), "{link}");
    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Create the first dashboard user")
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let created = pinsync(dir.path())
        .args(["admin", "create-user", "maria"])
        .env("PINSYNC_NEW_PASSWORD", "correct horse battery")
        .status()
        .unwrap();
    assert!(created.success());
    let (mut child, _, lines) = start_server(dir.path());
    assert!(
        lines.iter().all(|line| !line.contains("/setup/")),
        "{lines:?}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
