//! The soaks' REST calls to `pinsync serve`, as a user of the API makes them: connect
//! Pinterest through the sandbox's consent form, create a Canvas and its audience, launch it,
//! enter users in bulk, read analytics and the connection.

use std::collections::HashMap;

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use serde_json::{Value, json};

use super::sandbox::RecordedSandbox;

/// A bulk entry that did not get an answer, or got a refusal.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// No answer (the server was down or died during the request): send it again.
    #[error("no answer: {0}")]
    Unreachable(reqwest::Error),
    /// The server answered with an error: a soak violation.
    #[error("answered {status}: {body}")]
    Refused { status: u16, body: String },
}

pub struct Api {
    base: String,
    key: String,
    /// Follows no redirects, so the OAuth dance's 302s and 303s can be read.
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: String, key: String) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { base, key, http })
    }

    /// The API key the calls are made with.
    pub fn key(&self) -> &str {
        &self.key
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), self.url(path))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = answer.status();
        let text = answer.text().await?;
        ensure!(
            status.is_success(),
            "{method} {path} answered {status}: {text}"
        );
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The whole OAuth dance as the sandbox user `username`, then selects `ad_accounts`.
    /// Returns the connection as the callback answered it.
    pub async fn connect_pinterest(
        &self,
        sandbox: &RecordedSandbox,
        username: &str,
        ad_accounts: &[&str],
    ) -> anyhow::Result<Value> {
        let connection = self.authorize(sandbox, username).await?;
        self.json(
            reqwest::Method::PUT,
            "/partners/pinterest/ad_accounts",
            Some(json!({ "ad_account_ids": ad_accounts })),
        )
        .await?;
        Ok(connection)
    }

    /// connect → consent (Allow) → callback; the ad-account selection is kept by a reconnect.
    pub async fn authorize(
        &self,
        sandbox: &RecordedSandbox,
        username: &str,
    ) -> anyhow::Result<Value> {
        let start = self
            .http
            .get(self.url("/partners/pinterest/connect"))
            .bearer_auth(&self.key)
            .send()
            .await?;
        ensure!(start.status() == 302, "connect answered {}", start.status());
        let authorize = location(&start)?;
        let user_id = sandbox
            .sandbox
            .seed()
            .users
            .into_iter()
            .find(|u| u.username == username)
            .with_context(|| format!("no sandbox user {username}"))?
            .id;
        let mut form: Vec<(String, String)> = url::Url::parse(&authorize)?
            .query_pairs()
            .into_owned()
            .collect();
        form.push(("user_id".into(), user_id));
        form.push(("decision".into(), "allow".into()));
        let consent = self
            .http
            .post(sandbox.oauth_url())
            .form(&form)
            .send()
            .await?;
        ensure!(
            consent.status().is_redirection(),
            "the consent form answered {}",
            consent.status()
        );
        let callback = self.http.get(location(&consent)?).send().await?;
        let status = callback.status();
        let text = callback.text().await?;
        ensure!(
            status.is_success(),
            "the OAuth callback answered {status}: {text}"
        );
        Ok(serde_json::from_str(&text)?)
    }

    /// `GET /partners/pinterest`
    pub async fn connection(&self) -> anyhow::Result<Value> {
        self.json(reqwest::Method::GET, "/partners/pinterest", None)
            .await
    }

    /// Creates a draft Canvas; returns its id.
    pub async fn create_canvas(&self, definition: &Value) -> anyhow::Result<String> {
        let created = self
            .json(reqwest::Method::POST, "/canvases", Some(definition.clone()))
            .await?;
        Ok(created["id"]
            .as_str()
            .context("a created canvas has an id")?
            .to_owned())
    }

    /// Creates the `new` audience of `step` on Pinterest: (audience id, customer list id).
    pub async fn create_step_audience(
        &self,
        canvas: &str,
        step: &str,
    ) -> anyhow::Result<(String, String)> {
        let created = self
            .json(
                reqwest::Method::POST,
                &format!("/canvases/{canvas}/steps/{step}/audience"),
                None,
            )
            .await?;
        let id = |field: &str| -> anyhow::Result<String> {
            Ok(created[field]
                .as_str()
                .with_context(|| format!("the created audience has no {field}: {created}"))?
                .to_owned())
        };
        Ok((id("audience_id")?, id("customer_list_id")?))
    }

    pub async fn launch(&self, canvas: &str) -> anyhow::Result<()> {
        self.json(
            reqwest::Method::POST,
            &format!("/canvases/{canvas}/launch"),
            None,
        )
        .await?;
        Ok(())
    }

    /// `POST /canvases/{id}/entries` with an NDJSON body; answers the summary.
    pub async fn enter_bulk(&self, canvas: &str, ndjson: Bytes) -> Result<Value, EntryError> {
        let answer = self
            .http
            .post(self.url(&format!("/canvases/{canvas}/entries")))
            .bearer_auth(&self.key)
            .header("content-type", "application/x-ndjson")
            .body(ndjson)
            .send()
            .await
            .map_err(EntryError::Unreachable)?;
        let status = answer.status();
        let text = answer.text().await.map_err(EntryError::Unreachable)?;
        if !status.is_success() {
            return Err(EntryError::Refused {
                status: status.as_u16(),
                body: text,
            });
        }
        serde_json::from_str(&text).map_err(|e| EntryError::Refused {
            status: status.as_u16(),
            body: format!("unreadable summary ({e}): {text}"),
        })
    }

    /// `GET /canvases/{id}/analytics`
    pub async fn analytics(&self, canvas: &str) -> anyhow::Result<StepAnalytics> {
        let answer = self
            .json(
                reqwest::Method::GET,
                &format!("/canvases/{canvas}/analytics"),
                None,
            )
            .await?;
        StepAnalytics::from_json(&answer)
    }
}

fn location(answer: &reqwest::Response) -> anyhow::Result<String> {
    Ok(answer
        .headers()
        .get("location")
        .context("a redirect without Location")?
        .to_str()?
        .to_owned())
}

/// `GET /canvases/{id}/analytics`, kept as the API answered it plus per-step figures.
#[derive(Debug, Clone)]
pub struct StepAnalytics {
    pub json: Value,
    pub entered: u64,
    pub exited: u64,
    /// Per step id: `pending` and `in_step`.
    pub steps: HashMap<String, Value>,
}

impl StepAnalytics {
    fn from_json(json: &Value) -> anyhow::Result<Self> {
        let count = |value: &Value, field: &str| value[field].as_u64().unwrap_or(0);
        let mut steps = HashMap::new();
        let Some(list) = json["steps"].as_array() else {
            bail!("analytics without steps: {json}");
        };
        for step in list {
            let id = step["step_id"].as_str().context("a step without id")?;
            steps.insert(id.to_owned(), step.clone());
        }
        Ok(Self {
            json: json.clone(),
            entered: count(json, "entered"),
            exited: count(json, "exited"),
            steps,
        })
    }

    /// Users still waiting for a sync, or in a delay, in any step.
    pub fn unfinished(&self) -> u64 {
        self.steps
            .values()
            .map(|s| s["pending"].as_u64().unwrap_or(0) + s["in_step"].as_u64().unwrap_or(0))
            .sum()
    }
}
