//! Notifications: events recorded in the store (the events list) and delivered to the
//! workspace's webhook URLs, signed with HMAC-SHA256, retried with backoff. A failed delivery
//! is a row with its next attempt time, claimed by the background loop; nothing sleeps.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use pinsync_store::{NewEvent, Store, StoredEvent, StoredWebhooks, WorkspaceId};
use sha2::Sha256;

use crate::cipher::TokenCipher;
use crate::error::ConnectError;

/// The header carrying `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Pinsync-Signature";

/// Delays before the 2nd, 3rd, … attempt; after the last one the delivery is given up.
pub const RETRY_SCHEDULE: [Duration; 6] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
];

/// How long a claimed delivery is leased to the worker that claimed it.
const DELIVERY_LEASE_MS: i64 = 60_000;

/// The delay before the next attempt after `attempts_made` failed ones, or `None` to give up.
pub fn retry_delay(attempts_made: u32) -> Option<Duration> {
    let index = usize::try_from(attempts_made).ok()?.checked_sub(1)?;
    RETRY_SCHEDULE.get(index).copied()
}

/// `sha256=<hex>` of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn secret_context(workspace: WorkspaceId) -> String {
    format!("webhooks:{}:secret", workspace.0)
}

/// What one pass of [`Notifier::deliver_due`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: u32,
    pub retrying: u32,
    pub given_up: u32,
}

/// Records events and delivers them.
#[derive(Clone)]
pub struct Notifier {
    store: Arc<dyn Store>,
    cipher: TokenCipher,
    http: reqwest::Client,
}

impl Notifier {
    pub fn new(store: Arc<dyn Store>, cipher: TokenCipher) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            store,
            cipher,
            http,
        }
    }

    /// Records an event (and its pending deliveries) for the workspace.
    pub async fn record(
        &self,
        workspace: WorkspaceId,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<StoredEvent, ConnectError> {
        let event = NewEvent {
            workspace_id: workspace,
            kind: kind.to_owned(),
            payload,
        };
        let stored = self
            .store
            .record_event(event, pinsync_store::now_millis())
            .await?;
        tracing::info!(
            workspace = workspace.0,
            kind,
            event_id = stored.id,
            "event recorded"
        );
        Ok(stored)
    }

    /// Replaces the workspace's webhook URLs with a fresh signing secret, returned once.
    pub async fn set_webhooks(
        &self,
        workspace: WorkspaceId,
        urls: Vec<String>,
    ) -> Result<String, ConnectError> {
        for url in &urls {
            let parsed = url::Url::parse(url)
                .map_err(|_| ConnectError::Invalid(format!("{url:?} is not a URL")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConnectError::Invalid(format!(
                    "{url:?} must be an http or https URL"
                )));
            }
        }
        let secret = format!("whsec_{}", hex::encode(rand::random::<[u8; 24]>()));
        let webhooks = StoredWebhooks {
            urls,
            secret: self.cipher.encrypt(&secret, &secret_context(workspace)),
        };
        self.store
            .set_webhooks(workspace, webhooks, pinsync_store::now_millis())
            .await?;
        Ok(secret)
    }

    /// Attempts every delivery due at `now`; failures get their next attempt stored.
    pub async fn deliver_due(&self, now: i64) -> Result<DeliveryReport, ConnectError> {
        let due = self
            .store
            .claim_due_deliveries(now, now + DELIVERY_LEASE_MS, 100)
            .await?;
        let mut report = DeliveryReport::default();
        for delivery in due {
            let Some(webhooks) = self.store.webhooks(delivery.workspace_id).await? else {
                self.store
                    .fail_delivery(delivery.id, delivery.attempts, None, "no webhooks", now)
                    .await?;
                report.given_up += 1;
                continue;
            };
            let secret = self
                .cipher
                .decrypt(&webhooks.secret, &secret_context(delivery.workspace_id))?;
            let body = serde_json::json!({
                "id": delivery.event.id,
                "type": delivery.event.kind,
                "workspace_id": delivery.event.workspace_id,
                "created_at": delivery.event.created_at,
                "data": delivery.event.payload,
            })
            .to_string();
            let outcome = self
                .http
                .post(&delivery.url)
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, signature(&secret, body.as_bytes()))
                .body(body)
                .send()
                .await;
            let failure = match outcome {
                Ok(response) if response.status().is_success() => None,
                Ok(response) => Some(format!("answered {}", response.status())),
                Err(error) => Some(format!("request failed: {}", error.without_url())),
            };
            let Some(failure) = failure else {
                self.store.complete_delivery(delivery.id, now).await?;
                report.delivered += 1;
                continue;
            };
            let attempts = delivery.attempts + 1;
            let next = retry_delay(attempts).map(|delay| now + delay.as_millis() as i64);
            tracing::warn!(delivery_id = delivery.id, attempts, error = %failure, "webhook delivery failed");
            self.store
                .fail_delivery(delivery.id, attempts, next, &failure, now)
                .await?;
            if next.is_some() {
                report.retrying += 1;
            } else {
                report.given_up += 1;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_schedule_backs_off_and_then_gives_up() {
        let table = [
            (0, None),
            (1, Some(5)),
            (2, Some(30)),
            (3, Some(120)),
            (6, Some(6 * 3600)),
            (7, None),
        ];
        for (attempts, expected) in table {
            assert_eq!(
                retry_delay(attempts).map(|d| d.as_secs()),
                expected,
                "after {attempts} attempts"
            );
        }
    }

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        let expected = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(signature("Jefe", b"what do ya want for nothing?"), expected);
    }
}
