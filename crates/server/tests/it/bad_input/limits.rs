//! Size limits: every body-taking endpoint answers 413 over the configured limit, with or
//! without a `Content-Length`; bulk entry streams any number of lines but refuses one line
//! longer than the limit.

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{active_canvas, send};
use crate::support::spawn_app_with;
use pinsync_server::ServerSettings;

const LIMIT: usize = 4096;

fn small_limit() -> ServerSettings {
    ServerSettings {
        max_body_bytes: LIMIT,
        ..ServerSettings::default()
    }
}

/// Every endpoint that reads a JSON body.
const JSON_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/canvases"),
    ("PUT", "/canvases/1"),
    ("POST", "/canvas/trigger/send"),
    ("POST", "/canvases/1/dry_run"),
    ("POST", "/users/track"),
    ("PUT", "/partners/pinterest/ad_accounts"),
    (
        "POST",
        "/partners/pinterest/ad_accounts/549770573673/audiences",
    ),
    ("PUT", "/webhooks"),
];

#[tokio::test]
async fn every_json_endpoint_answers_413_above_the_body_limit() {
    let app = spawn_app_with(small_limit()).await;
    let oversized = json!({ "padding": "x".repeat(LIMIT) }).to_string();
    for (method, path) in JSON_ENDPOINTS {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, body) = send(
            &app,
            method.clone(),
            path,
            "application/json",
            oversized.clone(),
        )
        .await;
        assert_eq!(status, 413, "{method} {path}: {body}");
        assert_eq!(body["code"], "payload_too_large", "{method} {path}: {body}");
        assert_eq!(
            body["details"]["limit_bytes"], LIMIT,
            "{method} {path}: {body}"
        );
    }
}

#[tokio::test]
async fn a_chunked_body_without_a_length_is_cut_off_with_413() {
    let app = spawn_app_with(small_limit()).await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/users/track HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        app.api_key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = "x".repeat(1024);
    for _ in 0..(LIMIT / chunk.len() + 2) {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if stream.write_all(framed.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
}

#[tokio::test]
async fn a_bulk_entry_larger_than_the_body_limit_streams_in_short_lines() {
    let app = spawn_app_with(small_limit()).await;
    let canvas = active_canvas(&app).await;
    let lines: Vec<String> = (0..200)
        .map(|i| json!({"external_user_id": format!("user-{i:04}"), "email": format!("u{i}@example.com")}).to_string())
        .collect();
    let body = lines.join("\n");
    assert!(body.len() > 2 * LIMIT);
    let path = format!("/canvases/{canvas}/entries");
    let (status, answer) = send(&app, Method::POST, &path, "application/x-ndjson", body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["summary"]["entered"], 200, "{answer}");
}

#[tokio::test]
async fn a_bulk_entry_line_longer_than_the_body_limit_is_a_413_naming_the_line() {
    let app = spawn_app_with(small_limit()).await;
    let canvas = active_canvas(&app).await;
    let endless = json!({"external_user_id": "long", "attributes": {"bio": "y".repeat(2 * LIMIT)}});
    let body = format!(
        "{}\n{}\n{endless}\n",
        json!({"external_user_id": "first"}),
        json!({"external_user_id": "second"}),
    );
    let path = format!("/canvases/{canvas}/entries");
    let (status, answer) = send(&app, Method::POST, &path, "application/x-ndjson", body).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["code"], "line_too_long", "{answer}");
    assert_eq!(answer["details"]["line"], 3, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("line 3"),
        "{answer}"
    );
}
