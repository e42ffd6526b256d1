//! Where the pipeline gets a connection for a step: the [`ConnectionDirectory`] trait, which
//! the connection service implements, and [`StaticDirectory`], an in-memory one for tests,
//! benchmarks and setups without the service.
//!
//! **Invariant:** the pipeline never builds a client or a rate limiter itself. Every request
//! goes through the [`ConnectionClient`] the directory hands out, which carries the one
//! limiter of that token, shared with every other caller.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;
use pinsync_core::canvas::StepId;
use pinsync_core::reason::ReasonCode;
use pinsync_pinterest::ConnectionClient;
use pinsync_store::{CanvasId, WorkspaceId};

/// A connection's stable id (one Pinterest token); partitions are grouped by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionKey(pub String);

/// Whether a step's connection can be used now.
#[derive(Debug, Clone)]
pub enum ConnectionState {
    /// Send through this client.
    Ready(ConnectionClient),
    /// Hold the work: the token is invalid or the ad account's access is lost. Users stay
    /// pending; nothing is sent and no attempt is spent.
    Paused(ReasonCode),
}

/// A problem the pipeline reports back so that the connection's status, the Canvases using
/// it and the notifications can show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// Pinterest rejected the token (after the client's one refresh).
    InvalidToken { connection: ConnectionKey },
    /// The connection lost access to this ad account.
    AccessLost {
        connection: ConnectionKey,
        ad_account_id: String,
    },
    /// The step's customer list or audience no longer exists on Pinterest.
    AudienceDeleted {
        connection: ConnectionKey,
        canvas_id: CanvasId,
        step_id: StepId,
        audience_id: String,
    },
}

/// Resolves connections and hears about their failures.
#[async_trait]
pub trait ConnectionDirectory: Send + Sync + 'static {
    /// The connection serving `ad_account_id` in the workspace, and its state; `None` when
    /// the workspace has no connection for the account (its users wait as if paused).
    async fn connection_for(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
    ) -> Option<(ConnectionKey, ConnectionState)>;

    /// A failure that needs a human: mark the connection, show it, notify.
    async fn report(&self, event: ConnectionEvent);
}

#[derive(Default)]
struct StaticEntries {
    /// (workspace, ad account) → connection.
    accounts: HashMap<(WorkspaceId, String), ConnectionKey>,
    clients: HashMap<ConnectionKey, ConnectionClient>,
    invalid_tokens: HashSet<ConnectionKey>,
    lost_accounts: HashSet<(ConnectionKey, String)>,
    events: Vec<ConnectionEvent>,
}

/// An in-memory [`ConnectionDirectory`]: connections are registered by hand; an invalid
/// token or lost access pauses them until [`StaticDirectory::reconnect`].
#[derive(Clone, Default)]
pub struct StaticDirectory {
    entries: Arc<Mutex<StaticEntries>>,
}

impl StaticDirectory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `ad_account_id` of `workspace` through `client` under `key`.
    pub fn insert(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        key: ConnectionKey,
        client: ConnectionClient,
    ) {
        let mut entries = self.entries.lock();
        entries
            .accounts
            .insert((workspace, ad_account_id.to_owned()), key.clone());
        entries.clients.insert(key, client);
    }

    /// Replaces the connection's client (new token, same limiter) and lifts its pauses.
    pub fn reconnect(&self, key: &ConnectionKey, client: ConnectionClient) {
        let mut entries = self.entries.lock();
        entries.clients.insert(key.clone(), client);
        entries.invalid_tokens.remove(key);
        entries
            .lost_accounts
            .retain(|(connection, _)| connection != key);
    }

    /// Every event reported so far, oldest first.
    pub fn events(&self) -> Vec<ConnectionEvent> {
        self.entries.lock().events.clone()
    }
}

#[async_trait]
impl ConnectionDirectory for StaticDirectory {
    async fn connection_for(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
    ) -> Option<(ConnectionKey, ConnectionState)> {
        let entries = self.entries.lock();
        let key = entries
            .accounts
            .get(&(workspace, ad_account_id.to_owned()))?
            .clone();
        let state = if entries.invalid_tokens.contains(&key) {
            ConnectionState::Paused(ReasonCode::InvalidToken)
        } else if entries
            .lost_accounts
            .contains(&(key.clone(), ad_account_id.to_owned()))
        {
            ConnectionState::Paused(ReasonCode::AccessLost)
        } else {
            ConnectionState::Ready(entries.clients.get(&key)?.clone())
        };
        Some((key, state))
    }

    async fn report(&self, event: ConnectionEvent) {
        let mut entries = self.entries.lock();
        match &event {
            ConnectionEvent::InvalidToken { connection } => {
                entries.invalid_tokens.insert(connection.clone());
            }
            ConnectionEvent::AccessLost {
                connection,
                ad_account_id,
            } => {
                entries
                    .lost_accounts
                    .insert((connection.clone(), ad_account_id.clone()));
            }
            ConnectionEvent::AudienceDeleted { .. } => {}
        }
        entries.events.push(event);
    }
}
