//! The setting shared by the `drain` and `latency` scenarios: the sandbox with its real rate
//! limits and one writing user per connection, a fresh SQLite store, one Canvas per
//! connection adding users to its own audience, and the sync pipeline over all of it.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use pinsync_core::canvas::CanvasDefinition;
use pinsync_engine::SystemClock;
use pinsync_pinterest::models::{
    AudienceRule, AudienceType, CreateAudience, CreateCustomerList, Records,
};
use pinsync_pinterest::{
    AccessToken, ConnectionClient, OAuthTokenProvider, PinterestClient, PinterestConfig,
    RateLimitConfig, RateLimiterRegistry, RefreshToken, Secret, TokenSet,
};
use pinsync_pipeline::{ConnectionKey, Pipeline, PipelineSettings, StaticDirectory};
use pinsync_sandbox::config::{AdAccountConfig, UserConfig};
use pinsync_sandbox::{RunningSandbox, Sandbox, SandboxConfig, WindowStats};
use pinsync_store::{
    CanvasId, CanvasStatus, CanvasStore, EntryCandidate, FieldUpdate, SqliteStore, Store,
    StoredIdentifier, UserUpsert, WorkspaceId,
};

/// Records per request and the sandbox's default write limits (7/s and 400/min).
pub const RECORDS_PER_REQUEST: f64 = 1_900.0;

pub struct SyncFixture {
    pub sandbox: RunningSandbox,
    pub store: Arc<SqliteStore>,
    pub pipeline: Pipeline,
    pub workspace: WorkspaceId,
    pub canvases: Vec<CanvasId>,
    /// The connections (`bench-<n>`), to pause one.
    pub directory: StaticDirectory,
    _dir: tempfile::TempDir,
}

/// Ad account and user of connection `n`.
pub fn account_id(n: usize) -> String {
    format!("5497705737{:02}", 10 + n)
}

pub fn user_name(n: usize) -> String {
    format!("bench-user-{n}")
}

/// Seeds users `bench-user-<n>` for `range`, each the owner of its own ad account.
pub fn add_bench_users(config: &mut SandboxConfig, range: std::ops::Range<usize>) {
    for n in range {
        config.users.push(UserConfig {
            id: format!("1099300727702430{n:03}"),
            username: user_name(n),
            account_type: "BUSINESS".into(),
            business_name: None,
        });
        config.ad_accounts.push(AdAccountConfig {
            id: account_id(n),
            name: format!("Bench account {n}"),
            owner: user_name(n),
            country: "US".into(),
            currency: "USD".into(),
            time_zone: "UTC".into(),
            roles: BTreeMap::from([(user_name(n), "OWNER".to_owned())]),
        });
    }
}

pub async fn start(connections: usize, settings: PipelineSettings) -> anyhow::Result<SyncFixture> {
    let mut config = SandboxConfig::default();
    config.customer_lists.allow_empty_create = true;
    config.users.clear();
    config.ad_accounts.clear();
    add_bench_users(&mut config, 0..connections);
    let sandbox = Sandbox::spawn(config).await?;
    let app = sandbox.sandbox.seed().app;
    let client = PinterestClient::new(
        PinterestConfig::new(app.client_id, Secret::new(app.client_secret))
            .with_api_base(sandbox.api_url()),
    )?;
    let dir = tempfile::tempdir()?;
    let store = Arc::new(SqliteStore::open_in_dir(dir.path())?);
    store.migrate().await?;
    let workspace = store.ensure_workspace("bench").await?.id;
    let limiters = RateLimiterRegistry::new(RateLimitConfig::default())?;
    let directory = StaticDirectory::new();
    let mut canvases = Vec::new();
    for n in 0..connections {
        let scopes = vec!["ads:read".to_owned(), "ads:write".to_owned()];
        let grant = sandbox
            .sandbox
            .issue_token(&user_name(n), &scopes)
            .map_err(|e| anyhow::anyhow!("cannot issue a token: {e:?}"))?;
        let tokens = Arc::new(OAuthTokenProvider::new(
            client.clone(),
            TokenSet {
                access_token: AccessToken::new(grant.access_token),
                refresh_token: Some(RefreshToken::new(grant.refresh_token)),
            },
        ));
        let key = format!("bench-{n}");
        let connection = ConnectionClient::new(client.clone(), tokens, limiters.limiter(&key));
        let (audience, list) = audience(&connection, &account_id(n)).await?;
        directory.insert(workspace, &account_id(n), ConnectionKey(key), connection);
        canvases.push(canvas(&store, workspace, &account_id(n), &audience, &list).await?);
    }
    let pipeline = Pipeline::new(
        store.clone(),
        Arc::new(directory.clone()),
        Arc::new(SystemClock),
        settings,
    );
    Ok(SyncFixture {
        sandbox,
        store,
        pipeline,
        workspace,
        canvases,
        directory,
        _dir: dir,
    })
}

async fn audience(client: &ConnectionClient, account: &str) -> anyhow::Result<(String, String)> {
    let list = client
        .create_customer_list(
            account,
            &CreateCustomerList {
                name: "bench".into(),
                records: Records::join(Vec::<String>::new()),
                list_type: None,
            },
        )
        .await?
        .value;
    let audience = client
        .create_audience(
            account,
            &CreateAudience {
                name: "bench".into(),
                audience_type: AudienceType::CustomerList,
                rule: AudienceRule {
                    customer_list_id: Some(list.id.clone()),
                },
                description: None,
            },
        )
        .await?
        .value;
    Ok((audience.id, list.id))
}

async fn canvas(
    store: &SqliteStore,
    workspace: WorkspaceId,
    account: &str,
    audience: &str,
    list: &str,
) -> anyhow::Result<CanvasId> {
    let json = format!(
        r#"{{"name": "bench", "entry_step_id": "add", "steps": [
            {{"id": "add", "name": "Add", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": "{account}",
             "audience": {{"new": {{"name": "bench", "created": {{"audience_id": "{audience}", "customer_list_id": "{list}"}}}}}},
             "action": "add", "match_fields": ["email"], "next": null}}]}}"#
    );
    let definition = CanvasDefinition::parse_json(&json).context("bench canvas")?;
    let now = pinsync_store::now_millis();
    let canvas = store.create_canvas(workspace, definition, now).await?;
    store
        .set_canvas_status(
            workspace,
            canvas.id,
            &[CanvasStatus::Draft],
            CanvasStatus::Active,
            now,
        )
        .await?;
    Ok(canvas.id)
}

impl SyncFixture {
    /// Enters users `first..first + count` into the Canvas at `now` (ms).
    pub async fn enter(
        &self,
        canvas: CanvasId,
        first: u64,
        count: u64,
        now: i64,
    ) -> anyhow::Result<()> {
        let candidates = (first..first + count)
            .map(|n| EntryCandidate {
                user: UserUpsert {
                    external_id: format!("u{n}"),
                    email: FieldUpdate::Set(StoredIdentifier::valid(format!("{n:064x}"))),
                    ..UserUpsert::default()
                },
                entry_properties: None,
            })
            .collect();
        self.store
            .enter_users(self.workspace, canvas, candidates, now)
            .await?;
        Ok(())
    }

    /// Users not finished yet, all Canvases together. Read from the step counters, which move
    /// in the same transaction as the sync items: a few rows, where counting the items would
    /// scan the whole queue on every poll and take CPU from the drain being measured.
    pub async fn pending(&self) -> anyhow::Result<u64> {
        let mut pending = 0;
        for canvas in &self.canvases {
            let counts = self.store.canvas_counts(*canvas).await?;
            pending += counts.steps.values().map(|step| step.pending).sum::<u64>();
        }
        Ok(pending)
    }

    /// The sandbox's per-user window statistics.
    pub fn user_stats(&self) -> Vec<WindowStats> {
        self.sandbox.sandbox.stats().users
    }
}

/// The tightest write window of the sandbox's limits, in requests per second.
pub fn allowed_requests_per_second(sandbox: &Sandbox) -> f64 {
    let limits = sandbox.rate_limits();
    let per_second = f64::from(limits.ads_write_per_second);
    let per_minute = f64::from(limits.ads_write_per_minute) / 60.0;
    per_second.min(per_minute)
}

/// How many tokens went over one of the sandbox's limits in some window, by the sandbox's own
/// per-token statistics: the write windows (1 s and 60 s) against the `ads_write` limits, and
/// all requests in 1 s (writes and the status polls' reads) against the per-second cap.
pub fn over_limit_windows(
    stats: &[WindowStats],
    limits: &pinsync_sandbox::RateLimitConfig,
) -> usize {
    stats
        .iter()
        .filter(|u| {
            u.max_writes_in_1s > u64::from(limits.ads_write_per_second)
                || u.max_writes_in_60s > u64::from(limits.ads_write_per_minute)
                || u.max_in_1s > u64::from(limits.all_per_second)
        })
        .count()
}
