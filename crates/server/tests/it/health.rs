//! Health, readiness, metrics, and the JSON shape of routing errors.

use crate::support::{error_body, spawn_app};

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["store"], "ok");
}

#[tokio::test]
async fn metrics_are_prometheus_text_with_pinsync_names() {
    let app = spawn_app().await;
    app.client.get(app.url("/healthz")).send().await.unwrap();
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("pinsync_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/healthz\""), "{text}");
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_json_errors() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(error_body(response).await["code"], "not_found");
    let response = app
        .client
        .delete(app.url("/api/v1/users/track"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(error_body(response).await["code"], "method_not_allowed");
}
