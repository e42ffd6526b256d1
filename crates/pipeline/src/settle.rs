//! The outcome of a request applied to its users: synced users are completed, retryable
//! failures store their next attempt time, failures that need a human pause the connection
//! (users stay pending), and final failures make users errored, each with its reason.

use std::collections::BTreeMap;

use pinsync_core::reason::ReasonCode;
use pinsync_core::sync::batch_plan::Settled;
use pinsync_core::sync::retry::{Decision, Failure, FailureClass, decide};
use pinsync_store::sync::{AttemptRecord, BatchSettlement, ClaimedSyncItem, LedgerWrite};
use pinsync_store::{SyncDetail, SyncItemId, SyncOutcome};

use crate::batch::Partition;
use crate::directory::ConnectionEvent;
use crate::scheduler::BatchReport;
use crate::{Pipeline, PipelineError, telemetry};

/// What happened to a group of claimed items.
#[derive(Debug)]
pub(crate) enum Settlement {
    /// Pinterest acknowledged their records; `ledger` holds what the ledger learns from it.
    Synced {
        items: Vec<ClaimedSyncItem>,
        request_id: Option<String>,
        ledger: Vec<LedgerWrite>,
    },
    /// The request failed.
    Failed {
        items: Vec<ClaimedSyncItem>,
        class: FailureClass,
        request_id: Option<String>,
        reset_hint_ms: Option<i64>,
    },
    /// Nothing needed sending (already members, or overtaken by a later step); `ledger` holds
    /// the confirmations of the already-member records, so that an older pending remove
    /// cannot undo them.
    Settled {
        items: Vec<(ClaimedSyncItem, Settled)>,
        ledger: Vec<LedgerWrite>,
    },
    /// Not sent after all: the user's ad tracking was disabled after the step recorded them.
    NotSynced {
        items: Vec<ClaimedSyncItem>,
        reason: ReasonCode,
    },
    /// Errored without a request (the audience is known to be deleted; an unhashed record).
    Errored {
        items: Vec<ClaimedSyncItem>,
        reason: ReasonCode,
    },
}

impl Settlement {
    /// A failed request, whose items go through the retry rules.
    pub(crate) fn is_failure(&self) -> bool {
        matches!(self, Settlement::Failed { .. })
    }

    /// Takes out what the ledger learns from this settlement.
    fn take_ledger(&mut self) -> Vec<LedgerWrite> {
        match self {
            Settlement::Synced { ledger, .. } | Settlement::Settled { ledger, .. } => {
                std::mem::take(ledger)
            }
            _ => Vec::new(),
        }
    }
}

impl Pipeline {
    /// Writes (in one transaction) and takes out of `settlements` what the ledger learns
    /// from them, so that they can be settled later without it.
    pub(crate) async fn write_ledger(
        &self,
        partition: &Partition,
        settlements: &mut [Settlement],
    ) -> Result<(), PipelineError> {
        let ledger: Vec<LedgerWrite> = settlements
            .iter_mut()
            .flat_map(Settlement::take_ledger)
            .collect();
        if ledger.is_empty() {
            return Ok(());
        }
        let batch = BatchSettlement {
            audience_id: partition.target.audience_id.clone(),
            ledger,
            now: self.now(),
            ..BatchSettlement::default()
        };
        self.inner.store.settle_sync_batch(batch).await?;
        Ok(())
    }

    /// Applies a batch's settlements. Every outcome but a failed request (ledger changes,
    /// attempts, completions) is written in one store transaction; failed requests follow,
    /// each through the retry rules.
    pub(crate) async fn settle(
        &self,
        partition: &Partition,
        settlements: Vec<Settlement>,
        report: &mut BatchReport,
    ) -> Result<(), PipelineError> {
        let now = self.now();
        let mut batch = BatchSettlement {
            audience_id: partition.target.audience_id.clone(),
            now,
            ..BatchSettlement::default()
        };
        let mut failures = Vec::new();
        for settlement in settlements {
            match settlement {
                Settlement::Synced {
                    items,
                    request_id,
                    ledger,
                } => {
                    batch.ledger.extend(ledger);
                    attempt(&mut batch, &items, request_id.clone(), "success", None);
                    for claimed in &items {
                        telemetry::end_to_end(claimed.item.action, now - claimed.item.entered_at);
                    }
                    report.synced += items.len() as u64;
                    self.completions(
                        &mut batch,
                        &items,
                        |detail| SyncOutcome::Synced { detail },
                        request_id,
                    )
                    .await?;
                }
                Settlement::Settled { items, ledger } => {
                    batch.ledger.extend(ledger);
                    for (outcome, reason) in [
                        (Settled::AlreadyMember, Some(ReasonCode::AlreadyMember)),
                        (Settled::Superseded, None),
                    ] {
                        let group: Vec<ClaimedSyncItem> = items
                            .iter()
                            .filter(|(_, why)| *why == outcome)
                            .map(|(claimed, _)| claimed.clone())
                            .collect();
                        if group.is_empty() {
                            continue;
                        }
                        let name = match outcome {
                            Settled::AlreadyMember => "already_member",
                            Settled::Superseded => "superseded",
                        };
                        attempt(&mut batch, &group, None, name, reason);
                        report.synced += group.len() as u64;
                        self.completions(
                            &mut batch,
                            &group,
                            |detail| SyncOutcome::Synced { detail },
                            None,
                        )
                        .await?;
                    }
                }
                Settlement::Errored { items, reason } => {
                    attempt(&mut batch, &items, None, reason.as_str(), Some(reason));
                    report.errored += items.len() as u64;
                    self.completions(
                        &mut batch,
                        &items,
                        |detail| SyncOutcome::Errored { reason, detail },
                        None,
                    )
                    .await?;
                }
                Settlement::NotSynced { items, reason } => {
                    attempt(&mut batch, &items, None, reason.as_str(), Some(reason));
                    report.not_synced += items.len() as u64;
                    self.completions(
                        &mut batch,
                        &items,
                        |detail| SyncOutcome::NotSynced { reason, detail },
                        None,
                    )
                    .await?;
                }
                failed @ Settlement::Failed { .. } => failures.push(failed),
            }
        }
        if !batch.is_empty() {
            self.inner.store.settle_sync_batch(batch).await?;
        }
        for failed in failures {
            let Settlement::Failed {
                items,
                class,
                request_id,
                reset_hint_ms,
            } = failed
            else {
                continue;
            };
            self.settle_failure(partition, items, class, request_id, reset_hint_ms, report)
                .await?;
        }
        Ok(())
    }

    async fn settle_failure(
        &self,
        partition: &Partition,
        items: Vec<ClaimedSyncItem>,
        class: FailureClass,
        request_id: Option<String>,
        reset_hint_ms: Option<i64>,
        report: &mut BatchReport,
    ) -> Result<(), PipelineError> {
        let now = self.now();
        let jitter: f64 = rand::random();
        let mut retries: BTreeMap<i64, Vec<ClaimedSyncItem>> = BTreeMap::new();
        let mut given_up: BTreeMap<ReasonCode, Vec<ClaimedSyncItem>> = BTreeMap::new();
        let mut paused: Vec<ClaimedSyncItem> = Vec::new();
        let mut pause_reason = None;
        for claimed in items {
            let failure = Failure {
                attempt: claimed.item.attempts + 1,
                class,
                reset_after_ms: reset_hint_ms,
                first_attempt_at: claimed.first_attempt_at.unwrap_or(now),
            };
            match decide(&self.inner.settings.retry, &failure, now, jitter) {
                Decision::RetryAt(at) => retries.entry(at).or_default().push(claimed),
                Decision::GiveUp(reason) => given_up.entry(reason).or_default().push(claimed),
                Decision::Pause(reason) => {
                    pause_reason = Some(reason);
                    paused.push(claimed);
                }
            }
        }
        let reason = class.reason();
        for (at, group) in retries {
            telemetry::retries(reason, group.len() as u64);
            report.retried += group.len() as u64;
            self.log_attempt(
                &group,
                request_id.clone(),
                reason.as_str(),
                Some(reason),
                Some(at),
            )
            .await?;
        }
        if let Some(pause_reason) = pause_reason {
            // The users stay pending and due; the paused partition is simply not claimed.
            report.paused = Some(pause_reason);
            self.log_attempt(
                &paused,
                request_id.clone(),
                reason.as_str(),
                Some(reason),
                Some(now),
            )
            .await?;
            let connection = partition.connection.clone();
            let event = match class {
                FailureClass::AccessLost => ConnectionEvent::AccessLost {
                    connection,
                    ad_account_id: partition.target.ad_account_id.clone(),
                },
                _ => ConnectionEvent::InvalidToken { connection },
            };
            self.inner.directory.report(event).await;
        }
        for (reason, group) in given_up {
            if reason == ReasonCode::AudienceDeleted {
                self.mark_deleted(partition).await;
            }
            report.errored += group.len() as u64;
            let mut batch = BatchSettlement {
                now,
                ..BatchSettlement::default()
            };
            attempt(
                &mut batch,
                &group,
                request_id.clone(),
                reason.as_str(),
                Some(reason),
            );
            self.completions(
                &mut batch,
                &group,
                |detail| SyncOutcome::Errored { reason, detail },
                request_id.clone(),
            )
            .await?;
            self.inner.store.settle_sync_batch(batch).await?;
        }
        Ok(())
    }

    async fn mark_deleted(&self, partition: &Partition) {
        let newly = self
            .inner
            .deleted
            .lock()
            .insert((partition.canvas_id, partition.step_id.clone()));
        if newly {
            tracing::warn!(canvas_id = %partition.canvas_id, step_id = %partition.step_id, "audience deleted on pinterest; its users become errored");
            self.inner
                .directory
                .report(ConnectionEvent::AudienceDeleted {
                    connection: partition.connection.clone(),
                    canvas_id: partition.canvas_id,
                    step_id: partition.step_id.clone(),
                    audience_id: partition.target.audience_id.clone(),
                })
                .await;
        }
    }

    async fn log_attempt(
        &self,
        items: &[ClaimedSyncItem],
        request_id: Option<String>,
        outcome: &str,
        reason: Option<ReasonCode>,
        retry_at: Option<i64>,
    ) -> Result<(), PipelineError> {
        if items.is_empty() {
            return Ok(());
        }
        self.inner
            .store
            .record_sync_attempt(AttemptRecord {
                item_ids: items.iter().map(|c| c.item.id).collect(),
                request_id,
                outcome: outcome.to_owned(),
                reason,
                retry_at,
                now: self.now(),
            })
            .await?;
        Ok(())
    }

    /// Adds the completions of `items` to `batch`, with the request ids of all their
    /// attempts (earlier ones from the store, then `request_id`) for the trace.
    async fn completions(
        &self,
        batch: &mut BatchSettlement,
        items: &[ClaimedSyncItem],
        outcome: impl Fn(SyncDetail) -> SyncOutcome,
        request_id: Option<String>,
    ) -> Result<(), PipelineError> {
        let retried: Vec<SyncItemId> = items
            .iter()
            .filter(|c| c.item.attempts > 0)
            .map(|c| c.item.id)
            .collect();
        let mut earlier = if retried.is_empty() {
            Default::default()
        } else {
            self.inner.store.sync_request_ids(retried).await?
        };
        for claimed in items {
            let mut request_ids = earlier.remove(&claimed.item.id).unwrap_or_default();
            if let Some(id) = &request_id
                && !request_ids.contains(id)
            {
                request_ids.push(id.clone());
            }
            batch
                .completions
                .push((claimed.item.id, outcome(SyncDetail { request_ids })));
        }
        Ok(())
    }
}

/// Adds one attempt of `items` (finished by it, so without a retry time) to `batch`.
fn attempt(
    batch: &mut BatchSettlement,
    items: &[ClaimedSyncItem],
    request_id: Option<String>,
    outcome: &str,
    reason: Option<ReasonCode>,
) {
    if items.is_empty() {
        return;
    }
    batch.attempts.push(AttemptRecord {
        item_ids: items.iter().map(|c| c.item.id).collect(),
        request_id,
        outcome: outcome.to_owned(),
        reason,
        retry_at: None,
        now: batch.now,
    });
}
