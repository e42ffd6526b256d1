//! Malformed bodies: JSON that does not parse, has the wrong shape or is not UTF-8 is a 400
//! naming the line; bad NDJSON and CSV rows are listed by line while good rows enter; an
//! unusable CSV header is a 400 naming its line.

use reqwest::Method;
use serde_json::{Value, json};

use super::{active_canvas, one_step_canvas, send};
use crate::support::spawn_app;

/// Every JSON endpoint that needs no Pinterest connection, with a path that exists.
fn json_endpoints(canvas: &str) -> Vec<(Method, String)> {
    vec![
        (Method::POST, "/canvases".into()),
        (Method::PUT, format!("/canvases/{canvas}")),
        (Method::POST, "/canvas/trigger/send".into()),
        (Method::POST, format!("/canvases/{canvas}/dry_run")),
        (Method::POST, "/users/track".into()),
    ]
}

fn assert_names_line(answer: &Value, line: u64) {
    assert_eq!(answer["details"]["line"], line, "{answer}");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("line {line}")), "{answer}");
}

#[tokio::test]
async fn json_that_does_not_parse_is_a_400_naming_line_and_column_on_every_endpoint() {
    let app = spawn_app().await;
    let canvas = super::create_canvas(&app, &one_step_canvas("c", "s")).await;
    let broken = "{\n\n  oops: 1\n}";
    for (method, path) in json_endpoints(&canvas) {
        let (status, answer) = send(&app, method.clone(), &path, "application/json", broken).await;
        assert_eq!(status, 400, "{method} {path}: {answer}");
        assert_eq!(
            answer["code"], "malformed_json",
            "{method} {path}: {answer}"
        );
        assert_names_line(&answer, 3);
        assert_eq!(answer["details"]["column"], 3, "{method} {path}: {answer}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_400_on_every_endpoint() {
    let app = spawn_app().await;
    let canvas = super::create_canvas(&app, &one_step_canvas("c", "s")).await;
    let mut body = b"{\"name\": \"".to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0x80]);
    body.extend_from_slice(b"\"}");
    for (method, path) in json_endpoints(&canvas) {
        let (status, answer) = send(
            &app,
            method.clone(),
            &path,
            "application/json",
            body.clone(),
        )
        .await;
        assert_eq!(status, 400, "{method} {path}: {answer}");
        assert_eq!(
            answer["code"], "malformed_json",
            "{method} {path}: {answer}"
        );
    }
}

#[tokio::test]
async fn a_canvas_field_of_the_wrong_type_names_its_line_and_field() {
    let app = spawn_app().await;
    let mut definition = one_step_canvas("c", "s");
    definition["steps"][0]["match_fields"] = json!("email");
    let pretty = serde_json::to_string_pretty(&definition).unwrap();
    let (status, answer) = send(
        &app,
        Method::POST,
        "/canvases",
        "application/json",
        pretty.clone(),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "malformed_json");
    assert_eq!(
        answer["details"]["field"], "steps[0].match_fields",
        "{answer}"
    );
    let line = answer["details"]["line"].as_u64().unwrap();
    assert!(
        line > 1 && line <= pretty.lines().count() as u64,
        "{answer}"
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains(&format!("line {line}"))
    );
}

#[tokio::test]
async fn bad_ndjson_rows_are_listed_by_line_while_good_rows_enter() {
    let app = spawn_app().await;
    let canvas = active_canvas(&app).await;
    let body = [
        r#"{"external_user_id": "good-1", "email": "a@example.com"}"#,
        r#"{"external_user_id": "broken", "email": "#,
        "",
        r#"[1, 2, 3]"#,
        r#"{"external_user_id": "good-2"}"#,
        r#"{"external_user_id": 7}"#,
    ]
    .join("\n");
    let path = format!("/canvases/{canvas}/entries");
    let (status, answer) = send(&app, Method::POST, &path, "application/x-ndjson", body).await;
    assert_eq!(status, 200, "{answer}");
    let summary = &answer["summary"];
    assert_eq!(summary["entered"], 2, "{answer}");
    assert_eq!(summary["rejected"], 3, "{answer}");
    let bad_lines: Vec<u64> = summary["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad_lines, vec![2, 4, 6]);
    for row in summary["bad_rows"].as_array().unwrap() {
        assert!(!row["reason"].as_str().unwrap().is_empty(), "{row}");
    }
}

#[tokio::test]
async fn bad_csv_rows_are_listed_by_line_while_good_rows_enter() {
    let app = spawn_app().await;
    let canvas = active_canvas(&app).await;
    let body = "external_user_id,email,plan\r\n\
                good-1,a@example.com,gold\r\n\
                \"open,a@example.com,gold\r\n\
                too,many,cells,here\r\n\
                \"quoted\"trailing,x,y\r\n\
                good-2,,silver\r\n";
    let path = format!("/canvases/{canvas}/entries");
    let (status, answer) = send(&app, Method::POST, &path, "text/csv", body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["summary"]["entered"], 2, "{answer}");
    let bad_lines: Vec<u64> = answer["summary"]["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad_lines, vec![3, 4, 5]);
}

#[tokio::test]
async fn an_unusable_csv_header_is_a_400_naming_its_line() {
    let app = spawn_app().await;
    let canvas = active_canvas(&app).await;
    let path = format!("/canvases/{canvas}/entries");
    for (body, line) in [("email,plan\nu1,gold\n", 1), ("\n\nemail,,plan\n", 3)] {
        let (status, answer) = send(&app, Method::POST, &path, "text/csv", body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["code"], "invalid_csv_header", "{answer}");
        assert_names_line(&answer, line);
    }
}

#[tokio::test]
async fn a_non_utf8_csv_line_is_a_400_naming_it() {
    let app = spawn_app().await;
    let canvas = active_canvas(&app).await;
    let mut body = b"external_user_id,plan\nu1,gold\nu2,".to_vec();
    body.extend_from_slice(&[0xc3, 0x28]);
    body.extend_from_slice(b"\nu3,silver\n");
    let path = format!("/canvases/{canvas}/entries");
    let (status, answer) = send(&app, Method::POST, &path, "text/csv", body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "invalid_encoding", "{answer}");
    assert_names_line(&answer, 3);
}
