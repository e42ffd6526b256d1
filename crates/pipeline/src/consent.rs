//! Consent revoked: when a user's `ad_tracking_enabled` turns false, the user's identifiers
//! leave every audience the membership ledger says they were added to, through this pipeline:
//! REMOVE batches to each step's customer list, under the list's lock, through the
//! connection's client (its rate limiter), with the retry schedule, pauses and horizon of
//! every other sync.
//!
//! [`Pipeline::revoke_consent`] queues one removal per (user, audience) as data;
//! [`Pipeline::send_consent_removals`] (called by the background loop after each pass) claims
//! due removals with a lease and sends them. A removal is ordered at the revocation time: it
//! overrides every earlier add in the ledger (so an add still queued from before is
//! superseded and not sent), and a later add (consent given again, a new entry) overrides it.
//!
//! Removals are not step entries: no step counter changes, so the step's invariants stay as
//! they are; the user's trace lists them with reason `consent_revoked`.

use std::collections::{BTreeMap, HashMap, HashSet};

use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::reason::ReasonCode;
use pinsync_core::sync::ledger::{
    LedgerEntry, MembershipState, OpOrder, RecordDecision, decide_record,
};
use pinsync_core::sync::retry::{Decision, Failure, FailureClass, decide};
use pinsync_pinterest::ConnectionClient;
use pinsync_store::consent::{ConsentClaim, ConsentOutcome, ConsentRemoval, NewConsentRemoval};
use pinsync_store::sync::LedgerWrite;
use pinsync_store::{CanvasId, WorkspaceId};

use crate::classify::{failure_class, reset_hint_ms};
use crate::config::millis;
use crate::directory::{ConnectionEvent, ConnectionKey, ConnectionState};
use crate::encoder::encode;
use crate::target::{SyncTarget, TargetAudience, resolve, step_target};
use crate::{Pipeline, PipelineError};

/// The most removals one call of [`Pipeline::send_consent_removals`] claims.
const CLAIM_LIMIT: u32 = 10_000;

/// How long held removals (paused connection, another instance's) wait before the next look.
const HOLD_MS: i64 = 5_000;

/// What one call of [`Pipeline::send_consent_removals`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentReport {
    /// REMOVE requests made.
    pub requests: u32,
    /// Hashed identifiers sent in acknowledged requests.
    pub records_sent: usize,
    /// Removals finished as removed (including those with nothing left to remove).
    pub removed: u64,
    /// Removals that will be retried at a stored time.
    pub retried: u64,
    /// Removals given up, with a reason.
    pub errored: u64,
    /// Removals left for later untouched (connection paused, or owned by another instance).
    pub held: u64,
}

/// Where the removals of one step go, once resolved.
struct Destination {
    connection: ConnectionKey,
    client: ConnectionClient,
    target: SyncTarget,
}

/// Why a group of removals cannot be sent now.
enum Blocked {
    /// Wait without spending attempts (paused connection, another instance's connection);
    /// the reason is used once the retry horizon has passed.
    Hold(Option<ReasonCode>),
    /// Give up.
    Error(ReasonCode),
}

impl Pipeline {
    /// Queues the removal of these users' identifiers from every audience the ledger holds
    /// them in. Only users whose ad tracking is disabled at that moment are queued, and a
    /// (user, audience) with a removal pending already is not queued twice, so calling this
    /// again (a repeated `users/track`) changes nothing. Returns how many were queued.
    pub async fn revoke_consent(
        &self,
        workspace: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<u64, PipelineError> {
        if external_ids.is_empty() {
            return Ok(0);
        }
        let store = &self.inner.store;
        let memberships = store
            .ledger_audiences_of_users(workspace, external_ids)
            .await?;
        if memberships.is_empty() {
            return Ok(0);
        }
        let steps = self.steps_by_audience(workspace).await?;
        let mut removals = Vec::with_capacity(memberships.len());
        for (external_id, audience_id) in memberships {
            let Some((canvas_id, step_id)) = steps.get(&audience_id) else {
                tracing::warn!(%audience_id, "consent revoked, but no Audience Sync step targets the audience any more: nothing to remove it through");
                continue;
            };
            removals.push(NewConsentRemoval {
                workspace_id: workspace,
                external_id,
                audience_id,
                canvas_id: *canvas_id,
                step_id: step_id.clone(),
            });
        }
        let queued = store.enqueue_consent_removals(removals, self.now()).await?;
        if queued > 0 {
            tracing::info!(queued, "consent revoked: removals queued");
        }
        Ok(queued)
    }

    /// For each audience a Canvas of the workspace syncs to, a step that targets it: an add
    /// step (the list the users were added to) before a remove step, a created audience (no
    /// Pinterest read to find its list) before an existing one.
    async fn steps_by_audience(
        &self,
        workspace: WorkspaceId,
    ) -> Result<HashMap<String, (CanvasId, StepId)>, PipelineError> {
        let canvases = self.inner.store.list_canvases(workspace, true).await?;
        let mut best: HashMap<String, ((bool, bool), CanvasId, StepId)> = HashMap::new();
        for canvas in canvases {
            for (step, _) in canvas.definition.audience_sync_steps() {
                let Ok(target) = step_target(&canvas.definition, &step.id) else {
                    continue;
                };
                let (audience_id, known) = match target.audience {
                    TargetAudience::Known { audience_id, .. } => (audience_id, true),
                    TargetAudience::Existing { audience_id } => (audience_id, false),
                    TargetAudience::NotCreated => continue,
                };
                let rank = (target.action != SyncAction::Add, !known);
                let better = best
                    .get(&audience_id)
                    .is_none_or(|(held, _, _)| rank < *held);
                if better {
                    best.insert(audience_id, (rank, canvas.id, step.id.clone()));
                }
            }
        }
        Ok(best
            .into_iter()
            .map(|(audience, (_, canvas, step))| (audience, (canvas, step)))
            .collect())
    }

    /// Claims due consent removals and sends them, step target by step target. The
    /// background loop calls this after every pass; tests call it directly.
    pub async fn send_consent_removals(&self) -> Result<ConsentReport, PipelineError> {
        let settings = &self.inner.settings;
        let now = self.now();
        let claimed = self
            .inner
            .store
            .claim_consent_removals(ConsentClaim {
                worker: settings.worker_id.clone(),
                now,
                lease_until: now.saturating_add(millis(settings.lease)),
                limit: CLAIM_LIMIT,
            })
            .await?;
        let mut report = ConsentReport::default();
        let mut groups: BTreeMap<(WorkspaceId, CanvasId, StepId), Vec<ConsentRemoval>> =
            BTreeMap::new();
        for removal in claimed {
            let key = (
                removal.workspace_id,
                removal.canvas_id,
                removal.step_id.clone(),
            );
            groups.entry(key).or_default().push(removal);
        }
        for ((workspace, canvas_id, step_id), removals) in groups {
            match self.destination(workspace, canvas_id, &step_id).await {
                Ok(destination) => {
                    self.send_removals(&destination, workspace, removals, &mut report)
                        .await?;
                }
                Err(Blocked::Hold(reason)) => self.hold(removals, reason, &mut report).await?,
                Err(Blocked::Error(reason)) => {
                    report.errored += removals.len() as u64;
                    self.finish(
                        &removals,
                        ConsentOutcome::Errored {
                            reason,
                            request_id: None,
                        },
                    )
                    .await?;
                }
            }
        }
        Ok(report)
    }

    /// The step's connection, client and target, as a partition resolves them.
    async fn destination(
        &self,
        workspace: WorkspaceId,
        canvas_id: CanvasId,
        step_id: &StepId,
    ) -> Result<Destination, Blocked> {
        let store = &self.inner.store;
        let canvas = match store.canvas(workspace, canvas_id).await {
            Ok(Some(canvas)) => canvas,
            Ok(None) => return Err(Blocked::Error(ReasonCode::AudienceDeleted)),
            Err(error) => {
                tracing::warn!(%error, "cannot read the canvas of consent removals");
                return Err(Blocked::Hold(None));
            }
        };
        let Ok(step) = step_target(&canvas.definition, step_id) else {
            return Err(Blocked::Error(ReasonCode::AudienceDeleted));
        };
        let key = (canvas_id, step_id.clone());
        if self.inner.deleted.lock().contains(&key) {
            return Err(Blocked::Error(ReasonCode::AudienceDeleted));
        }
        let Some((connection, state)) = self
            .inner
            .directory
            .connection_for(workspace, &step.ad_account_id)
            .await
        else {
            return Err(Blocked::Hold(Some(ReasonCode::InvalidToken)));
        };
        if !self.acquire_connection(&connection).await {
            return Err(Blocked::Hold(None));
        }
        let client = match state {
            ConnectionState::Ready(client) => client,
            ConnectionState::Paused(reason) => return Err(Blocked::Hold(Some(reason))),
        };
        let cached = self.inner.targets.lock().get(&key).cloned();
        let target = match cached {
            Some((_, target)) => target,
            None => match resolve(&step, &client).await {
                Ok(Some(target)) => {
                    self.inner
                        .targets
                        .lock()
                        .insert(key, (workspace, target.clone()));
                    target
                }
                Ok(None) => return Err(Blocked::Error(ReasonCode::AudienceDeleted)),
                Err(error) => {
                    tracing::warn!(%error, canvas_id = %canvas_id, step_id = %step_id, "cannot resolve the target of consent removals");
                    return Err(Blocked::Hold(None));
                }
            },
        };
        Ok(Destination {
            connection,
            client,
            target,
        })
    }

    /// Leaves removals for a later call; errors those past the retry horizon.
    async fn hold(
        &self,
        removals: Vec<ConsentRemoval>,
        reason: Option<ReasonCode>,
        report: &mut ConsentReport,
    ) -> Result<(), PipelineError> {
        let cutoff = self.now() - self.inner.settings.retry.horizon_ms;
        let (expired, waiting): (Vec<_>, Vec<_>) = removals.into_iter().partition(|r| {
            reason.is_some() && r.first_attempt_at.unwrap_or(r.revoked_at) <= cutoff
        });
        if let Some(reason) = reason
            && !expired.is_empty()
        {
            report.errored += expired.len() as u64;
            self.finish(
                &expired,
                ConsentOutcome::Errored {
                    reason,
                    request_id: None,
                },
            )
            .await?;
        }
        report.held += waiting.len() as u64;
        let until = self.now() + HOLD_MS;
        self.finish(&waiting, ConsentOutcome::Held { until }).await
    }

    /// Sends the removals of one step target, at most `max_records_per_request` records per
    /// request, under the customer list's lock.
    async fn send_removals(
        &self,
        destination: &Destination,
        workspace: WorkspaceId,
        removals: Vec<ConsentRemoval>,
        report: &mut ConsentReport,
    ) -> Result<(), PipelineError> {
        let store = &self.inner.store;
        let target = &destination.target;
        let lock = self.list_lock(&target.customer_list_id);
        let _guard = lock.lock().await;
        let users = removals.iter().map(|r| r.external_id.clone()).collect();
        let members = store
            .ledger_members(&target.audience_id, workspace, users)
            .await?;
        let hashes = members.iter().map(|(_, _, hash)| hash.clone()).collect();
        let ledger = store.ledger_entries(&target.audience_id, hashes).await?;
        let mut by_user: HashMap<&str, Vec<(IdentifierKind, String)>> = HashMap::new();
        for (external_id, kind, hash) in &members {
            by_user
                .entry(external_id.as_str())
                .or_default()
                .push((*kind, hash.clone()));
        }
        let max_records = self.inner.settings.max_records_per_request.max(1);
        let mut nothing_left = Vec::new();
        let mut batch: Vec<(ConsentRemoval, Vec<(IdentifierKind, String)>)> = Vec::new();
        let mut batch_records = 0;
        for removal in removals {
            let order = consent_order(&removal);
            let records: Vec<(IdentifierKind, String)> = by_user
                .get(removal.external_id.as_str())
                .into_iter()
                .flatten()
                .filter(|(_, hash)| {
                    let entry = ledger.get(hash).copied();
                    decide_record(entry, SyncAction::Remove, order) == RecordDecision::Send
                })
                .cloned()
                .collect();
            if records.is_empty() {
                nothing_left.push(removal);
                continue;
            }
            if batch_records + records.len() > max_records && !batch.is_empty() {
                let full = std::mem::take(&mut batch);
                batch_records = 0;
                self.send_request(destination, workspace, full, report)
                    .await?;
            }
            batch_records += records.len();
            batch.push((removal, records));
        }
        if !batch.is_empty() {
            self.send_request(destination, workspace, batch, report)
                .await?;
        }
        if !nothing_left.is_empty() {
            report.removed += nothing_left.len() as u64;
            self.finish(
                &nothing_left,
                ConsentOutcome::Removed {
                    request_id: None,
                    records: Vec::new(),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// One REMOVE request; its outcome is written to the ledger and the removals.
    async fn send_request(
        &self,
        destination: &Destination,
        workspace: WorkspaceId,
        batch: Vec<(ConsentRemoval, Vec<(IdentifierKind, String)>)>,
        report: &mut ConsentReport,
    ) -> Result<(), PipelineError> {
        let target = &destination.target;
        let mut records: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for (_, user_records) in &batch {
            for (_, hash) in user_records {
                if seen.insert(hash) {
                    records.push(hash.clone());
                }
            }
        }
        let removals: Vec<ConsentRemoval> = batch.iter().map(|(r, _)| r.clone()).collect();
        let body = match encode(SyncAction::Remove, &records) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, "refusing to send a consent removal");
                report.errored += removals.len() as u64;
                return self
                    .finish(
                        &removals,
                        ConsentOutcome::Errored {
                            reason: ReasonCode::InvalidRequest,
                            request_id: None,
                        },
                    )
                    .await;
            }
        };
        report.requests += 1;
        let result = destination
            .client
            .update_customer_list(&target.ad_account_id, &target.customer_list_id, &body)
            .await;
        let error = match result {
            Ok(response) => {
                report.records_sent += records.len();
                report.removed += removals.len() as u64;
                let writes = batch
                    .iter()
                    .flat_map(|(removal, user_records)| {
                        user_records.iter().map(|(kind, hash)| LedgerWrite {
                            identifier_sha256: hash.clone(),
                            kind: *kind,
                            workspace_id: workspace,
                            external_id: removal.external_id.clone(),
                            entry: LedgerEntry {
                                state: MembershipState::Removed,
                                last_op: consent_order(removal),
                            },
                        })
                    })
                    .collect();
                self.inner
                    .store
                    .record_ledger(&target.audience_id, writes, self.now())
                    .await?;
                let counts = batch
                    .iter()
                    .map(|(removal, user_records)| {
                        (
                            removal.id,
                            u32::try_from(user_records.len()).unwrap_or(u32::MAX),
                        )
                    })
                    .collect();
                return self
                    .finish(
                        &removals,
                        ConsentOutcome::Removed {
                            request_id: response.request_id,
                            records: counts,
                        },
                    )
                    .await;
            }
            Err(error) => error,
        };
        let class = failure_class(&error);
        let request_id = error.request_id().map(str::to_owned);
        let now = self.now();
        let jitter: f64 = rand::random();
        let mut retries: BTreeMap<i64, Vec<ConsentRemoval>> = BTreeMap::new();
        let mut given_up: BTreeMap<ReasonCode, Vec<ConsentRemoval>> = BTreeMap::new();
        let mut paused = Vec::new();
        for removal in removals {
            let failure = Failure {
                attempt: removal.attempts + 1,
                class,
                reset_after_ms: reset_hint_ms(&error),
                first_attempt_at: removal.first_attempt_at.unwrap_or(now),
            };
            match decide(&self.inner.settings.retry, &failure, now, jitter) {
                Decision::RetryAt(at) => retries.entry(at).or_default().push(removal),
                Decision::GiveUp(reason) => given_up.entry(reason).or_default().push(removal),
                Decision::Pause(_) => paused.push(removal),
            }
        }
        for (at, group) in retries {
            report.retried += group.len() as u64;
            self.finish(
                &group,
                ConsentOutcome::RetryAt {
                    at,
                    reason: class.reason(),
                    request_id: request_id.clone(),
                },
            )
            .await?;
        }
        for (reason, group) in given_up {
            report.errored += group.len() as u64;
            self.finish(
                &group,
                ConsentOutcome::Errored {
                    reason,
                    request_id: request_id.clone(),
                },
            )
            .await?;
        }
        if !paused.is_empty() {
            report.held += paused.len() as u64;
            let until = self.now() + HOLD_MS;
            self.finish(&paused, ConsentOutcome::Held { until }).await?;
            let connection = destination.connection.clone();
            let event = match class {
                FailureClass::AccessLost => ConnectionEvent::AccessLost {
                    connection,
                    ad_account_id: target.ad_account_id.clone(),
                },
                _ => ConnectionEvent::InvalidToken { connection },
            };
            self.inner.directory.report(event).await;
        }
        Ok(())
    }

    async fn finish(
        &self,
        removals: &[ConsentRemoval],
        outcome: ConsentOutcome,
    ) -> Result<(), PipelineError> {
        if removals.is_empty() {
            return Ok(());
        }
        let ids = removals.iter().map(|r| r.id).collect();
        self.inner
            .store
            .finish_consent_removals(ids, &self.inner.settings.worker_id, outcome, self.now())
            .await?;
        Ok(())
    }
}

/// A removal's place among the operations on one identifier: at the revocation, after every
/// step entry of that millisecond.
fn consent_order(removal: &ConsentRemoval) -> OpOrder {
    OpOrder::new(removal.revoked_at, i64::MAX, i64::MAX)
}
