//! `spawn_dashboard()`: pinsync's router on 127.0.0.1:0 with a dashboard user, and a
//! connection service whose Pinterest is a real sandbox on 127.0.0.1:0 and whose OAuth
//! callback is the dashboard's; plus [`WebSession`], a cookie-keeping HTTP client that signs
//! in through the forms like a browser without script.

use std::sync::Arc;

use pinsync_connect::{ConnectionService, PinterestSettings, TokenCipher};
use pinsync_pinterest::{PinterestConfig, RateLimitConfig, Secret};
use pinsync_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use pinsync_server::dashboard::passwords::hash_password;
use pinsync_server::{AppState, ServerSettings};
use pinsync_store::{Store, WorkspaceId};

pub const LOGIN: &str = "maria";
pub const PASSWORD: &str = "correct horse battery";

pub struct DashboardApp {
    pub address: String,
    pub store: Arc<dyn Store>,
    pub service: Arc<ConnectionService>,
    /// Kept running for the app's lifetime; tests reach its control API through it.
    pub sandbox: RunningSandbox,
    pub workspace: WorkspaceId,
    pub api_key: String,
    /// The sync pipeline in the app's state (the one the "Retry errored users" button
    /// requeues through), over the connection service, on [`DashboardApp::clock`].
    pub pipeline: pinsync_pipeline::Pipeline,
    /// The pipeline's clock, started at the real time so that it agrees with the engine's.
    pub clock: Arc<pinsync_engine::ManualClock>,
    _dir: tempfile::TempDir,
}

impl DashboardApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates a dashboard user who belongs to `workspaces` (created if needed).
    pub async fn add_user(&self, login: &str, password: &str, workspaces: &[&str]) {
        let user = self
            .store
            .create_dashboard_user(login, &hash_password(password).unwrap())
            .await
            .unwrap();
        for name in workspaces {
            let workspace = self.store.ensure_workspace(name).await.unwrap();
            self.store
                .add_workspace_member(user.id, workspace.id)
                .await
                .unwrap();
        }
    }
}

/// The app with user [`LOGIN`] in workspace `default`.
pub async fn spawn_dashboard() -> DashboardApp {
    let mut config = SandboxConfig::default();
    // The dashboard's callback, registered on the sandbox's app like the API's.
    config
        .app
        .redirect_uris
        .push("http://127.0.0.1:8080/partners/pinterest/callback".into());
    // As the mission describes: the audience exists on Pinterest as soon as it is created.
    config.customer_lists.allow_empty_create = true;
    let sandbox = Sandbox::new(config).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = crate::test_store::fresh_store(dir.path()).await;
    let workspace = store.ensure_workspace("default").await.unwrap().id;
    let key = pinsync_server::api_keys::generate(workspace);
    store.insert_api_key(key.stored).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let seed = sandbox.sandbox.seed();
    let mut client = PinterestConfig::new(seed.app.client_id, Secret::new(seed.app.client_secret))
        .with_api_base(sandbox.api_url());
    client.oauth_authorize_url = sandbox.oauth_url();
    let settings = PinterestSettings {
        client,
        redirect_uri: format!("{address}/partners/pinterest/callback"),
        sandbox: true,
        rate_limits: RateLimitConfig::default(),
    };
    let cipher = TokenCipher::from_key([7; 32]);
    let service = Arc::new(ConnectionService::new(store.clone(), cipher, settings).unwrap());
    let clock = Arc::new(pinsync_engine::ManualClock::at(pinsync_store::now_millis()));
    let pipeline = pinsync_pipeline::Pipeline::new(
        store.clone(),
        Arc::new(pinsync_pipeline::ServiceDirectory::new(service.clone())),
        clock.clone(),
        pinsync_pipeline::PipelineSettings {
            worker_id: "dashboard-test".into(),
            ..Default::default()
        },
    );
    let state = AppState::new(store.clone(), ServerSettings::default())
        .with_pinterest(service.clone())
        .with_pipeline(pipeline.clone());
    tokio::spawn(pinsync_server::serve(
        listener,
        pinsync_server::router(state),
        std::future::pending(),
    ));
    let app = DashboardApp {
        address,
        store,
        service,
        sandbox,
        workspace,
        api_key: key.plaintext,
        pipeline,
        clock,
        _dir: dir,
    };
    app.add_user(LOGIN, PASSWORD, &["default"]).await;
    app
}

/// The value of `name="csrf"`'s hidden field in a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("the page has a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The `name=value` of cookie `name` in a response's `Set-Cookie` headers, with its
/// attributes.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// A browser without script: keeps the session cookie, follows no redirects.
pub struct WebSession {
    pub client: reqwest::Client,
    pub base: String,
    pub cookie: String,
}

impl WebSession {
    /// Signs in through the sign-in form.
    pub async fn sign_in(app: &DashboardApp, login: &str, password: &str) -> WebSession {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = client.get(app.url("/sign-in")).send().await.unwrap();
        let login_cookie = set_cookie(&page, "pinsync_login_csrf").unwrap();
        let login_cookie = login_cookie.split(';').next().unwrap().to_owned();
        let csrf = csrf_of(&page.text().await.unwrap());
        let response = client
            .post(app.url("/sign-in"))
            .header("cookie", login_cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", login),
                ("password", password),
                ("then", "/canvases"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            303,
            "sign-in failed: {}",
            response.text().await.unwrap()
        );
        let session = set_cookie(&response, "pinsync_session").unwrap();
        WebSession {
            client,
            base: app.address.clone(),
            cookie: session.split(';').next().unwrap().to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    /// POSTs `fields` as a form, adding the session's CSRF token taken from `/canvases`.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = csrf_of(&self.get_html("/canvases").await);
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    /// POSTs exactly `fields` (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap()
    }
}
