//! The test harness: the sandbox on port 0, a fresh SQLite store, a manual clock, a
//! connection with its one limiter, and a pipeline driven pass by pass.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use pinsync_core::canvas::{CanvasDefinition, StepId};
use pinsync_engine::ManualClock;
use pinsync_pinterest::models::{
    AudienceRule, AudienceType, CreateAudience, CreateCustomerList, Records,
};
use pinsync_pinterest::{
    AccessToken, ConnectionClient, OAuthTokenProvider, PinterestClient, PinterestConfig,
    RateLimitConfig, RateLimiter, RefreshToken, Secret, TokenSet,
};
use pinsync_pipeline::{ConnectionKey, PassReport, Pipeline, PipelineSettings, StaticDirectory};
use pinsync_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use pinsync_store::{
    CanvasId, CanvasStatus, CanvasStore, EntryCandidate, FieldUpdate, SqliteStore, StepCounts,
    Store, StoredIdentifier, UserUpsert, WorkspaceId,
};

pub const AD_ACCOUNT: &str = "549770573673";
pub const ALICE: &str = "sandbox-alice";
pub const T0: i64 = 1_800_000_000_000;

pub struct Harness {
    pub sandbox: RunningSandbox,
    pub dir: tempfile::TempDir,
    pub store: Arc<SqliteStore>,
    pub clock: Arc<ManualClock>,
    pub directory: StaticDirectory,
    pub pipeline: Pipeline,
    pub workspace: WorkspaceId,
    pub key: ConnectionKey,
    pub limiter: Arc<RateLimiter>,
    pub settings: PipelineSettings,
    /// The refresh token of the connection's grant (revoking it revokes the connection).
    pub refresh_token: String,
}

/// Sandbox with empty list creation allowed (so test lists start empty) and fast processing.
pub fn sandbox_config() -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.customer_lists.allow_empty_create = true;
    config
}

/// Settings for deterministic tests: one batch in flight per connection.
pub fn test_settings() -> PipelineSettings {
    PipelineSettings {
        batches_in_flight_per_connection: 1,
        worker_id: "test-worker".into(),
        ..PipelineSettings::default()
    }
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(sandbox_config(), test_settings()).await
    }

    pub async fn start_with(config: SandboxConfig, settings: PipelineSettings) -> Self {
        let sandbox = Sandbox::spawn(config).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_in_dir(dir.path()).unwrap());
        store.migrate().await.unwrap();
        let workspace = store.ensure_workspace("acme").await.unwrap().id;
        let clock = Arc::new(ManualClock::at(T0));
        let limiter = Arc::new(RateLimiter::new(&RateLimitConfig::default()).unwrap());
        let directory = StaticDirectory::new();
        let key = ConnectionKey("conn-1".into());
        let mut harness = Self {
            pipeline: Pipeline::new(
                store.clone(),
                Arc::new(directory.clone()),
                clock.clone(),
                settings.clone(),
            ),
            sandbox,
            dir,
            store,
            clock,
            directory,
            workspace,
            key,
            limiter,
            settings,
            refresh_token: String::new(),
        };
        let (client, refresh_token) = harness.connect_granted(ALICE);
        harness.refresh_token = refresh_token;
        harness
            .directory
            .insert(workspace, AD_ACCOUNT, harness.key.clone(), client);
        harness.reopen_pipeline();
        harness
    }

    /// A new pipeline over the same store, clock and directory (a restart).
    pub fn reopen_pipeline(&mut self) {
        self.pipeline = Pipeline::new(
            self.store.clone(),
            Arc::new(self.directory.clone()),
            self.clock.clone(),
            self.settings.clone(),
        );
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox.sandbox
    }

    pub fn pinterest_client(&self) -> PinterestClient {
        let app = self.sandbox().seed().app;
        let config = PinterestConfig::new(app.client_id, Secret::new(app.client_secret))
            .with_api_base(self.sandbox.api_url());
        PinterestClient::new(config).unwrap()
    }

    /// A fresh grant for `user`, as a client sharing the connection's one limiter.
    pub fn connect(&self, user: &str) -> ConnectionClient {
        self.connect_granted(user).0
    }

    /// [`Harness::connect`], also returning the grant's refresh token.
    pub fn connect_granted(&self, user: &str) -> (ConnectionClient, String) {
        let scopes = vec!["ads:read".to_owned(), "ads:write".to_owned()];
        let grant = self.sandbox().issue_token(user, &scopes).unwrap();
        let client = self.pinterest_client();
        let tokens = Arc::new(OAuthTokenProvider::new(
            client.clone(),
            TokenSet {
                access_token: AccessToken::new(grant.access_token),
                refresh_token: Some(RefreshToken::new(grant.refresh_token.clone())),
            },
        ));
        let client = ConnectionClient::new(client, tokens, self.limiter.clone());
        (client, grant.refresh_token)
    }

    /// Creates an empty customer list and its audience; returns (audience id, list id).
    pub async fn audience(&self, name: &str) -> (String, String) {
        let client = self.connect(ALICE);
        let list = client
            .create_customer_list(
                AD_ACCOUNT,
                &CreateCustomerList {
                    name: name.into(),
                    records: Records::join(Vec::<String>::new()),
                    list_type: None,
                },
            )
            .await
            .unwrap()
            .value;
        let audience = client
            .create_audience(
                AD_ACCOUNT,
                &CreateAudience {
                    name: name.into(),
                    audience_type: AudienceType::CustomerList,
                    rule: AudienceRule {
                        customer_list_id: Some(list.id.clone()),
                    },
                    description: None,
                },
            )
            .await
            .unwrap()
            .value;
        (audience.id, list.id)
    }

    /// An active one-step Canvas (`step`) that adds to or removes from the audience;
    /// users may enter again after they exit.
    pub async fn canvas(&self, audience_id: &str, action: &str) -> CanvasId {
        let json = format!(
            r#"{{"name": "c", "entry_step_id": "step", "reentry": "after_exit", "steps": [
                {{"id": "step", "name": "Sync", "type": "audience_sync", "partner": "pinterest",
                 "ad_account_id": "{AD_ACCOUNT}", "audience": {{"existing": {{"audience_id": "{audience_id}"}}}},
                 "action": "{action}", "match_fields": ["email", "gaid"], "next": null}}]}}"#
        );
        self.create_active(&json).await
    }

    /// Like [`Harness::canvas`], with the audience's ids written in the step (as for an
    /// audience pinsync created), so no Pinterest read is needed to find the list.
    pub async fn canvas_known(&self, audience_id: &str, list_id: &str, action: &str) -> CanvasId {
        let json = format!(
            r#"{{"name": "c", "entry_step_id": "step", "reentry": "after_exit", "steps": [
                {{"id": "step", "name": "Sync", "type": "audience_sync", "partner": "pinterest",
                 "ad_account_id": "{AD_ACCOUNT}",
                 "audience": {{"new": {{"name": "n", "created": {{"audience_id": "{audience_id}", "customer_list_id": "{list_id}"}}}}}},
                 "action": "{action}", "match_fields": ["email", "gaid"], "next": null}}]}}"#
        );
        self.create_active(&json).await
    }

    async fn create_active(&self, json: &str) -> CanvasId {
        let definition = CanvasDefinition::parse_json(json).unwrap();
        let now = self.now();
        let canvas = self
            .store
            .create_canvas(self.workspace, definition, now)
            .await
            .unwrap();
        self.store
            .set_canvas_status(
                self.workspace,
                canvas.id,
                &[CanvasStatus::Draft],
                CanvasStatus::Active,
                now,
            )
            .await
            .unwrap();
        canvas.id
    }

    /// Enters users `numbers` (email = `email_digest(n)`) into the Canvas now.
    pub async fn enter(&self, canvas: CanvasId, numbers: impl IntoIterator<Item = u32>) {
        let users = numbers
            .into_iter()
            .map(|n| (format!("user-{n}"), vec![email_digest(n)]))
            .collect();
        self.enter_with(canvas, users).await;
    }

    /// Enters users with these email digests (the first) and GAID digests (the second).
    pub async fn enter_with(&self, canvas: CanvasId, users: Vec<(String, Vec<String>)>) {
        let candidates = users
            .into_iter()
            .map(|(external_id, digests)| {
                let mut digests = digests.into_iter();
                let email = digests.next().map(StoredIdentifier::valid);
                let gaid = digests.next().map(StoredIdentifier::valid);
                EntryCandidate {
                    user: UserUpsert {
                        external_id,
                        email: email.map_or(FieldUpdate::Keep, FieldUpdate::Set),
                        gaid: gaid.map_or(FieldUpdate::Clear, FieldUpdate::Set),
                        ..UserUpsert::default()
                    },
                    entry_properties: None,
                }
            })
            .collect();
        self.store
            .enter_users(self.workspace, canvas, candidates, self.now())
            .await
            .unwrap();
    }

    pub fn now(&self) -> i64 {
        use pinsync_engine::Clock;
        self.clock.now_millis()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub async fn run_once(&self) -> PassReport {
        self.pipeline.run_once().await.unwrap()
    }

    /// Passes until nothing is pending, moving the clock `step` between passes (retries
    /// wait in data, so the clock is what makes them due). Panics after `max_passes`.
    pub async fn drain(&self, step: Duration, max_passes: usize) -> Vec<PassReport> {
        let mut reports = Vec::new();
        for _ in 0..max_passes {
            reports.push(self.run_once().await);
            if self.pending_total().await == 0 {
                return reports;
            }
            self.advance(step);
        }
        panic!("still pending after {max_passes} passes");
    }

    pub async fn pending_total(&self) -> u64 {
        let depths = self.store.sync_queue_depths().await.unwrap();
        depths.iter().map(|d| d.items).sum()
    }

    pub async fn step_counts(&self, canvas: CanvasId) -> StepCounts {
        let counts = self.store.canvas_counts(canvas).await.unwrap();
        let recount = self.store.recount_canvas(canvas).await.unwrap();
        assert_eq!(counts, recount, "counters agree with the recount");
        counts
            .steps
            .get(&StepId::from("step"))
            .cloned()
            .unwrap_or_default()
    }

    pub fn members(&self, list: &str) -> BTreeSet<String> {
        self.sandbox().list_members(list).unwrap_or_default()
    }

    pub fn patch_requests(&self, status: u16) -> u64 {
        self.sandbox()
            .stats()
            .endpoints
            .iter()
            .filter(|e| {
                e.endpoint.starts_with("PATCH")
                    && e.endpoint.contains("customer_lists")
                    && e.status == status
            })
            .map(|e| e.count)
            .sum()
    }
}

use pinsync_store::SyncStore;

/// A stable lowercase SHA-256-shaped digest for user `n`'s email.
pub fn email_digest(n: u32) -> String {
    format!("{:064x}", 0xe000_0000_u64 + u64::from(n))
}

/// Digests of users `numbers`.
pub fn digests(numbers: impl IntoIterator<Item = u32>) -> BTreeSet<String> {
    numbers.into_iter().map(email_digest).collect()
}
