//! The dashboard over plain HTTP (no script): sign-in, sessions, CSRF, escaping, workspaces,
//! the set-up link, and the Canvas editor's forms going through the engine.

use pinsync_server::dashboard::passwords::setup_link_if_no_user;
use pinsync_store::Store;

use crate::dashboard_support::{LOGIN, PASSWORD, WebSession, csrf_of, set_cookie, spawn_dashboard};

#[tokio::test]
async fn a_page_without_a_session_sends_the_browser_to_sign_in_and_back() {
    let app = spawn_dashboard().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(app.url("/canvases")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/sign-in?then=%2Fcanvases");
}

#[tokio::test]
async fn signing_in_sets_an_http_only_same_site_cookie_secure_only_behind_tls() {
    let app = spawn_dashboard().await;
    let session = WebSession::sign_in(&app, LOGIN, PASSWORD).await;
    assert!(session.cookie.starts_with("pinsync_session="));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (proto, secure) in [("http", false), ("https", true)] {
        let page = client
            .get(app.url("/sign-in"))
            .header("x-forwarded-proto", proto)
            .send()
            .await
            .unwrap();
        let login_cookie = set_cookie(&page, "pinsync_login_csrf").unwrap();
        let csrf = csrf_of(&page.text().await.unwrap());
        let response = client
            .post(app.url("/sign-in"))
            .header("x-forwarded-proto", proto)
            .header("cookie", login_cookie.split(';').next().unwrap())
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", LOGIN),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        let cookie = set_cookie(&response, "pinsync_session").unwrap();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert_eq!(cookie.contains("Secure"), secure, "{proto}: {cookie}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_sets_no_session() {
    let app = spawn_dashboard().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(app.url("/sign-in")).send().await.unwrap();
    let login_cookie = set_cookie(&page, "pinsync_login_csrf").unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    for (login, password) in [(LOGIN, "wrong password!"), ("nobody", PASSWORD)] {
        let response = client
            .post(app.url("/sign-in"))
            .header("cookie", login_cookie.split(';').next().unwrap())
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", login),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert!(set_cookie(&response, "pinsync_session").is_none());
        let body = response.text().await.unwrap();
        assert!(body.contains("do not match"), "{body}");
    }
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_dashboard().await;
    let session = WebSession::sign_in(&app, LOGIN, PASSWORD).await;
    let missing = session.post_raw("/canvases", &[("name", "Sneaky")]).await;
    assert_eq!(missing.status(), 403);
    assert!(missing.text().await.unwrap().contains("security token"));
    let wrong = session
        .post_raw("/canvases", &[("csrf", "0000"), ("name", "Sneaky")])
        .await;
    assert_eq!(wrong.status(), 403);
    let sign_out = session.post_raw("/sign-out", &[]).await;
    assert_eq!(sign_out.status(), 403);
    assert!(
        app.store
            .list_canvases(app.workspace, true)
            .await
            .unwrap()
            .is_empty()
    );
    let allowed = session.post("/canvases", &[("name", "Fine")]).await;
    assert_eq!(allowed.status(), 303);
    assert_eq!(
        app.store
            .list_canvases(app.workspace, true)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_sign_in_form_without_its_token_is_refused() {
    let app = spawn_dashboard().await;
    let client = reqwest::Client::new();
    let response = client
        .post(app.url("/sign-in"))
        .form(&[("login", LOGIN), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_canvas_named_with_html_renders_as_text() {
    let app = spawn_dashboard().await;
    let session = WebSession::sign_in(&app, LOGIN, PASSWORD).await;
    let name = "<script>alert(1)</script>";
    let created = session.post("/canvases", &[("name", name)]).await;
    let editor_path = created.headers()["location"].to_str().unwrap().to_owned();
    for path in ["/canvases", editor_path.as_str()] {
        let html = session.get_html(path).await;
        assert!(!html.contains(name), "{path} has the raw markup");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path} shows the name as escaped text"
        );
    }
}

#[tokio::test]
async fn a_user_sees_only_their_workspaces_and_switches_between_them() {
    let app = spawn_dashboard().await;
    app.add_user("omar", PASSWORD, &["acme", "beta"]).await;
    let acme = app.store.workspace_by_name("acme").await.unwrap().unwrap();
    let beta = app.store.workspace_by_name("beta").await.unwrap().unwrap();
    let engine = pinsync_engine::Engine::with_system_clock(app.store.clone());
    for (workspace, name) in [
        (app.workspace, "Default only"),
        (acme.id, "Acme launch"),
        (beta.id, "Beta launch"),
    ] {
        let definition =
            pinsync_core::canvas::CanvasDefinition::parse_json(&format!(r#"{{"name": "{name}"}}"#))
                .unwrap();
        engine.create_canvas(workspace, definition).await.unwrap();
    }
    let session = WebSession::sign_in(&app, "omar", PASSWORD).await;
    let first = session.get_html("/canvases").await;
    assert!(
        first.contains("Acme launch")
            && !first.contains("Beta launch")
            && !first.contains("Default only")
    );
    let switched = session
        .post("/workspace", &[("workspace_id", &beta.id.0.to_string())])
        .await;
    assert_eq!(switched.status(), 303);
    let second = session.get_html("/canvases").await;
    assert!(second.contains("Beta launch") && !second.contains("Acme launch"));
    let refused = session
        .post(
            "/workspace",
            &[("workspace_id", &app.workspace.0.to_string())],
        )
        .await;
    assert_eq!(
        refused.status(),
        404,
        "omar is not in the default workspace"
    );
    let other = app.store.list_canvases(app.workspace, false).await.unwrap();
    let foreign = session.get(&format!("/canvases/{}", other[0].id.0)).await;
    assert_eq!(foreign.status(), 404);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_dashboard().await;
    let session = WebSession::sign_in(&app, LOGIN, PASSWORD).await;
    let response = session.post("/sign-out", &[]).await;
    assert_eq!(response.status(), 303);
    assert!(
        set_cookie(&response, "pinsync_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(session.get("/canvases").await.status(), 303);
}

#[tokio::test]
async fn the_set_up_link_creates_the_first_user_once() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = pinsync_store::SqliteStore::open_in_dir(dir.path()).unwrap();
    sqlite.migrate().await.unwrap();
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(sqlite);
    let link = setup_link_if_no_user(store.as_ref())
        .await
        .unwrap()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let state = pinsync_server::AppState::new(store.clone(), Default::default());
    tokio::spawn(pinsync_server::serve(
        listener,
        pinsync_server::router(state),
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{address}/setup/{}", link.token);
    let page = client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let cookie = set_cookie(&page, "pinsync_login_csrf").unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    let form = [
        ("csrf", csrf.as_str()),
        ("login", "admin"),
        ("password", PASSWORD),
        ("password_again", PASSWORD),
    ];
    let created = client
        .post(&url)
        .header("cookie", cookie.split(';').next().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    assert!(set_cookie(&created, "pinsync_session").is_some());
    assert_eq!(store.count_dashboard_users().await.unwrap(), 1);
    assert!(
        setup_link_if_no_user(store.as_ref())
            .await
            .unwrap()
            .is_none(),
        "no link once a user exists"
    );
    let again = client.get(&url).send().await.unwrap();
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn the_editor_builds_a_chain_and_launch_lists_each_problem_by_step() {
    let app = spawn_dashboard().await;
    let session = WebSession::sign_in(&app, LOGIN, PASSWORD).await;
    let created = session.post("/canvases", &[("name", "Buyers")]).await;
    let editor = created.headers()["location"].to_str().unwrap().to_owned();
    let add = session
        .post(
            &format!("{editor}/steps"),
            &[
                ("type", "audience_sync"),
                ("name", "Add buyers"),
                ("attach", ""),
            ],
        )
        .await;
    assert_eq!(add.status(), 303);
    let add = session
        .post(
            &format!("{editor}/steps"),
            &[
                ("type", "delay"),
                ("name", "Wait"),
                ("attach", "audience_sync_1:next"),
            ],
        )
        .await;
    assert_eq!(add.status(), 303);
    let canvases = app.store.list_canvases(app.workspace, false).await.unwrap();
    let definition = &canvases[0].definition;
    assert_eq!(definition.entry_step_id.as_str(), "audience_sync_1");
    assert_eq!(
        definition.step("audience_sync_1").unwrap().successor_ids(),
        [&pinsync_core::canvas::StepId::new("delay_1")]
    );

    let launch = session.post(&format!("{editor}/launch"), &[]).await;
    assert_eq!(launch.status(), 200);
    let html = launch.text().await.unwrap();
    assert!(html.contains("cannot launch yet"), "{html}");
    assert!(
        html.contains("href=\"#step-audience_sync_1\""),
        "each problem links to its step"
    );
    assert!(html.contains("data-code=\"ad_account_missing\""), "{html}");
    assert!(html.contains("data-code=\"match_fields_empty\""), "{html}");
    let status = app.store.list_canvases(app.workspace, false).await.unwrap()[0].status;
    assert_eq!(status, pinsync_store::CanvasStatus::Draft);
}
