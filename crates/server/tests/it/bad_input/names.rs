//! Hostile names and identifiers: very long, empty, emoji, HTML-, SQL- and format-string-
//! looking text in Canvas names, step names, external ids, attribute names and values is
//! stored and read back exactly, and identifiers are hashed or refused, never kept raw.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{active_canvas, create_canvas, get, one_step_canvas, path_segment, send};
use crate::support::spawn_app;

/// Text that has broken other systems. Each is a usable external id: not blank, at most 512
/// characters, no control characters.
fn hostile_texts() -> Vec<String> {
    vec![
        "<script>alert('pinsync')</script>".into(),
        "\"><img src=x onerror=alert(1)>".into(),
        "'; DROP TABLE users; --".into(),
        "Robert'); DELETE FROM canvases WHERE ('1'='1".into(),
        "1 OR 1=1 /* */ UNION SELECT * FROM api_keys".into(),
        "🧪🔥 👩‍👩‍👧‍👦 🇯🇵".into(),
        "\u{202e}txt.exe \u{200b}zero\u{feff}width".into(),
        "%s %n {0} ${jndi:ldap://x} {{7*7}}".into(),
        "a/b?c=d#e%2F..\\".into(),
        "Ünïcödé — 日本語 — עברית".into(),
        "é".repeat(512),
        "   leading and trailing   ".into(),
    ]
}

#[tokio::test]
async fn hostile_canvas_and_step_names_are_stored_and_read_back_exactly() {
    let app = spawn_app().await;
    let mut names = hostile_texts();
    names.push("長".repeat(20_000));
    names.push("nul\u{0}inside and a\ttab\nnewline".into());
    for name in &names {
        let definition = one_step_canvas(name, name);
        let id = create_canvas(&app, &definition).await;
        let (status, read) = get(&app, &format!("/canvases/{id}")).await;
        assert_eq!(status, 200, "{read}");
        assert_eq!(read["name"].as_str(), Some(name.as_str()));
        assert_eq!(
            read["definition"], definition,
            "the definition changed in storage"
        );
        assert_eq!(read["problems"], json!([]), "{read}");
    }
    let (status, list) = get(&app, "/canvases").await;
    assert_eq!(status, 200, "{list}");
    let listed: Vec<&str> = list["canvases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|canvas| canvas["name"].as_str().unwrap())
        .collect();
    for name in &names {
        assert!(
            listed.contains(&name.as_str()),
            "{name:?} is missing from the list"
        );
    }
}

#[tokio::test]
async fn an_empty_canvas_name_is_kept_as_a_draft_problem_not_an_error() {
    let app = spawn_app().await;
    let id = create_canvas(&app, &one_step_canvas("", " ")).await;
    let (_, read) = get(&app, &format!("/canvases/{id}")).await;
    assert_eq!(read["name"], "");
    let codes: Vec<&str> = read["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| problem["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["canvas_name_empty", "step_name_empty"]);
    let launch = format!("/canvases/{id}/launch");
    let (status, answer) = send(&app, Method::POST, &launch, "application/json", "{}").await;
    assert_eq!(status, 422, "{answer}");
}

#[tokio::test]
async fn hostile_external_ids_and_attributes_survive_users_track_exactly() {
    let app = spawn_app().await;
    let texts = hostile_texts();
    let mut users = vec![json!({"external_id": "control", "plan": "gold"})];
    for text in &texts {
        let mut user = Map::new();
        user.insert("external_id".into(), json!(text));
        let name: String = text.chars().take(255).collect();
        user.insert(name, json!(text));
        user.insert(
            "nested".into(),
            json!({ "html": text, "list": [text, "", null] }),
        );
        user.insert("empty".into(), json!(""));
        users.push(Value::Object(user));
    }
    let body = json!({ "attributes": users }).to_string();
    let (status, answer) = send(&app, Method::POST, "/users/track", "application/json", body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["users_created"], users.len(), "{answer}");
    for user in &users {
        let id = user["external_id"].as_str().unwrap();
        let (status, profile) = get(&app, &format!("/users/{}", path_segment(id))).await;
        assert_eq!(status, 200, "{id:?}: {profile}");
        assert_eq!(profile["external_id"].as_str(), Some(id));
        let mut expected = user.as_object().unwrap().clone();
        expected.remove("external_id");
        assert_eq!(profile["attributes"], Value::Object(expected), "{id:?}");
    }
}

#[tokio::test]
async fn unusable_external_ids_and_attribute_names_are_422_and_nothing_is_stored() {
    let app = spawn_app().await;
    let cases = [
        json!({"external_id": ""}),
        json!({"external_id": "   "}),
        json!({"external_id": "x".repeat(513)}),
        json!({"external_id": "bell\u{7}"}),
        json!({"external_id": "ok", "": 1}),
        json!({"external_id": "ok", "a".repeat(256): 1}),
    ];
    for user in cases {
        let body = json!({ "attributes": [{"external_id": "bystander"}, user] }).to_string();
        let (status, answer) =
            send(&app, Method::POST, "/users/track", "application/json", body).await;
        assert_eq!(status, 422, "{user}: {answer}");
        assert_eq!(answer["details"]["errors"][0]["index"], 1, "{answer}");
    }
    let (status, _) = get(&app, "/users/bystander").await;
    assert_eq!(
        status, 404,
        "an atomic call stores nobody when one user is malformed"
    );
}

#[tokio::test]
async fn hostile_identifiers_are_hashed_or_refused_and_never_stored_raw() {
    let app = spawn_app().await;
    let emails = [
        "<script>@example.com",
        "x'; DROP TABLE users;--@example.com",
        "🧪@example.com",
        "\"quoted\"@example.com",
        "",
    ];
    let users: Vec<Value> = emails
        .iter()
        .enumerate()
        .map(|(i, email)| json!({"external_id": format!("id-{i}"), "email": email, "gaid": email, "idfa": email}))
        .collect();
    let body = json!({ "attributes": users }).to_string();
    let (status, answer) = send(&app, Method::POST, "/users/track", "application/json", body).await;
    assert_eq!(status, 201, "{answer}");
    for (i, email) in emails.iter().enumerate() {
        let stored = app
            .store
            .user(app.workspace, &format!("id-{i}"))
            .await
            .unwrap()
            .unwrap();
        for identifier in [&stored.email, &stored.gaid, &stored.idfa] {
            match &identifier.sha256 {
                Some(hash) => assert!(hash.len() == 64 && !hash.contains('@')),
                None => assert_ne!(identifier.status, "valid"),
            }
            assert!(email.is_empty() || !identifier.status.contains(email));
        }
        let (_, profile) = get(&app, &format!("/users/id-{i}")).await;
        assert!(
            email.is_empty() || !profile.to_string().contains(email),
            "{profile}"
        );
    }
}

#[tokio::test]
async fn hostile_values_survive_bulk_csv_and_ndjson_entry_exactly() {
    let app = spawn_app().await;
    let canvas = active_canvas(&app).await;
    let texts = hostile_texts();
    let quote = |cell: &str| format!("\"{}\"", cell.replace('"', "\"\""));
    let id = |prefix: &str, i: usize, text: &str| {
        format!(
            "{prefix}-{i}-{}",
            text.chars().take(400).collect::<String>()
        )
    };
    let mut csv = String::from("external_user_id,\"note, with comma\",<b>html</b>\n");
    for (i, text) in texts.iter().enumerate() {
        csv.push_str(&format!(
            "{},{},{}\n",
            quote(&id("csv", i, text)),
            quote(text),
            quote(text)
        ));
    }
    let path = format!("/canvases/{canvas}/entries");
    let (status, answer) = send(&app, Method::POST, &path, "text/csv", csv).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["summary"]["entered"], texts.len(), "{answer}");

    let ndjson: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            json!({"external_user_id": id("nd", i, text), "attributes": {text.as_str(): text}})
                .to_string()
        })
        .collect();
    let (status, answer) = send(
        &app,
        Method::POST,
        &path,
        "application/x-ndjson",
        ndjson.join("\n"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["summary"]["entered"], texts.len(), "{answer}");

    for (i, text) in texts.iter().enumerate() {
        let (_, profile) = get(
            &app,
            &format!("/users/{}", path_segment(&id("csv", i, text))),
        )
        .await;
        assert_eq!(
            profile["attributes"],
            json!({"note, with comma": text, "<b>html</b>": text}),
            "{text:?}"
        );
        let (_, profile) = get(
            &app,
            &format!("/users/{}", path_segment(&id("nd", i, text))),
        )
        .await;
        assert_eq!(
            profile["attributes"],
            json!({ text.as_str(): text }),
            "{text:?}"
        );
    }
}
