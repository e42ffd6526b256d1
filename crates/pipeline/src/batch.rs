//! One batch of one partition: claim due items with a lease, plan the request against the
//! ledger, encode it, send it through the connection's client (and so its limiter), and
//! hand the outcome to `settle`. An invalid request is split in halves until the offending
//! records are alone.

use std::collections::{HashMap, HashSet};

use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::reason::ReasonCode;
use pinsync_core::sync::batch_plan::{PlanItem, Settled, flush_due, plan_batch};
use pinsync_core::sync::ledger::{
    LedgerEntry, MembershipState, OpOrder, RecordDecision, decide_record,
};
use pinsync_core::sync::retry::FailureClass;
use pinsync_pinterest::{ConnectionClient, RateCategory};
use pinsync_store::sync::{ClaimRequest, ClaimedSyncItem, LedgerWrite};
use pinsync_store::{CanvasId, WorkspaceId};

use crate::classify::{failure_class, reset_hint_ms};
use crate::config::millis;
use crate::directory::ConnectionKey;
use crate::encoder::encode;
use crate::scheduler::BatchReport;
use crate::settle::Settlement;
use crate::target::SyncTarget;
use crate::{Pipeline, PipelineError, telemetry};

/// A (canvas, step) ready to send: its connection's client and its resolved target.
#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub workspace_id: WorkspaceId,
    pub canvas_id: CanvasId,
    pub step_id: StepId,
    pub connection: ConnectionKey,
    pub client: ConnectionClient,
    pub target: SyncTarget,
}

/// What one call of [`Pipeline::send_one_batch`] did.
#[derive(Debug)]
pub(crate) enum BatchResult {
    /// A request was made (or items were finished without one).
    Worked(BatchReport),
    /// Nothing due is left in the partition.
    Exhausted,
    /// What is left is neither a full request nor old enough: it waits for its flush time.
    NotDue,
}

/// A claimed item and the records it contributes to the request.
#[derive(Debug, Clone)]
pub(crate) struct PlannedItem {
    pub claimed: ClaimedSyncItem,
    pub records: Vec<(IdentifierKind, String)>,
    /// Records of an add the ledger already holds as members: not sent, but the ledger
    /// learns that this later step wants them, so an older pending remove cannot undo it.
    pub confirmed: Vec<(IdentifierKind, String)>,
}

/// A planned request and what happens to the other claimed items.
struct Plan {
    planned: Vec<PlannedItem>,
    settled: Vec<(ClaimedSyncItem, Settled)>,
    /// Items finished as already members, whose confirmations go to the ledger now.
    confirmations: Vec<PlannedItem>,
    left_over: Vec<ClaimedSyncItem>,
}

impl Pipeline {
    pub(crate) async fn send_one_batch(
        &self,
        partition: &Partition,
    ) -> Result<BatchResult, PipelineError> {
        let settings = &self.inner.settings;
        let store = &self.inner.store;
        let max_records = settings.max_records_per_request;
        let now = self.now();
        let claimed = store
            .claim_sync_items(ClaimRequest {
                canvas_id: partition.canvas_id,
                step_id: partition.step_id.clone(),
                worker: settings.worker_id.clone(),
                now,
                lease_until: now.saturating_add(millis(settings.lease)),
                limit: u32::try_from(max_records).unwrap_or(u32::MAX),
            })
            .await?;
        if claimed.is_empty() {
            return Ok(BatchResult::Exhausted);
        }
        let records: usize = claimed.iter().map(|c| c.item.identifiers.len()).sum();
        let oldest = claimed
            .iter()
            .map(|c| c.item.entered_at)
            .min()
            .unwrap_or(now);
        let retries = claimed.iter().any(|c| c.item.attempts > 0);
        let due = flush_due(
            records as u64,
            oldest,
            retries,
            now,
            millis(settings.flush_interval),
            max_records as u64,
        );
        if !due {
            self.release(&claimed).await?;
            return Ok(BatchResult::NotDue);
        }
        let mut report = BatchReport::new(partition);
        let deleted = self
            .inner
            .deleted
            .lock()
            .contains(&(partition.canvas_id, partition.step_id.clone()));
        if deleted {
            let settlement = Settlement::Errored {
                items: claimed,
                reason: ReasonCode::AudienceDeleted,
            };
            self.settle(partition, vec![settlement], &mut report)
                .await?;
            return Ok(BatchResult::Worked(report));
        }

        let claimed = self
            .drop_adds_without_consent(partition, claimed, &mut report)
            .await?;
        if claimed.is_empty() {
            return Ok(BatchResult::Worked(report));
        }

        let lock = self.list_lock(&partition.target.customer_list_id);
        let guard = lock.lock().await;
        let Plan {
            planned,
            settled,
            confirmations,
            left_over,
        } = self.plan(partition, claimed).await?;
        self.release(&left_over).await?;
        let mut settlements = Vec::new();
        if !settled.is_empty() {
            let ledger = self.ledger_writes(partition, &confirmations);
            settlements.push(Settlement::Settled {
                items: settled,
                ledger,
            });
        }
        if !planned.is_empty() {
            self.send_group(partition, planned, &mut settlements, &mut report)
                .await?;
        }
        // What the ledger learns is written, alone, before the list's lock is released, so
        // the next batch of this list plans against it; the attempts and completions follow
        // outside the lock, while that batch is already on its way. Should pinsync die in
        // between, the items' claims lapse and they are planned again: the ledger then holds
        // their records, so they finish as already members (or superseded) without a resend.
        let (failed, mut finished): (Vec<Settlement>, Vec<Settlement>) =
            settlements.into_iter().partition(Settlement::is_failure);
        self.write_ledger(partition, &mut finished).await?;
        drop(guard);
        self.settle(partition, finished, &mut report).await?;
        self.settle(partition, failed, &mut report).await?;
        Ok(BatchResult::Worked(report))
    }

    /// Finishes, as not synced with reason `ad_tracking_disabled`, the adds whose user turned
    /// ad tracking off after the step recorded them (such a user is not in the ledger yet, so
    /// no consent removal covers them); answers the other items.
    async fn drop_adds_without_consent(
        &self,
        partition: &Partition,
        claimed: Vec<ClaimedSyncItem>,
        report: &mut BatchReport,
    ) -> Result<Vec<ClaimedSyncItem>, PipelineError> {
        if partition.target.action != SyncAction::Add {
            return Ok(claimed);
        }
        let users = claimed.iter().map(|c| c.item.external_id.clone()).collect();
        let without = self
            .inner
            .store
            .users_without_ad_tracking(partition.workspace_id, users)
            .await?;
        if without.is_empty() {
            return Ok(claimed);
        }
        let (declined, kept): (Vec<_>, Vec<_>) = claimed
            .into_iter()
            .partition(|c| without.contains(&c.item.external_id));
        let settlement = Settlement::NotSynced {
            items: declined,
            reason: ReasonCode::AdTrackingDisabled,
        };
        self.settle(partition, vec![settlement], report).await?;
        Ok(kept)
    }

    async fn release(&self, items: &[ClaimedSyncItem]) -> Result<(), PipelineError> {
        if items.is_empty() {
            return Ok(());
        }
        let ids = items.iter().map(|c| c.item.id).collect();
        self.inner
            .store
            .release_sync_items(ids, &self.inner.settings.worker_id)
            .await?;
        Ok(())
    }

    /// Plans the request against the ledger.
    async fn plan(
        &self,
        partition: &Partition,
        claimed: Vec<ClaimedSyncItem>,
    ) -> Result<Plan, PipelineError> {
        let store = &self.inner.store;
        let target = &partition.target;
        let mut kinds: HashMap<String, IdentifierKind> = HashMap::new();
        let mut extras: HashMap<String, Vec<String>> = HashMap::new();
        if target.action == SyncAction::Remove {
            let users = claimed.iter().map(|c| c.item.external_id.clone()).collect();
            let members = store
                .ledger_members(&target.audience_id, partition.workspace_id, users)
                .await?;
            for (external_id, kind, hash) in members {
                kinds.insert(hash.clone(), kind);
                extras.entry(external_id).or_default().push(hash);
            }
        }
        let mut plan_items = Vec::with_capacity(claimed.len());
        for claimed_item in &claimed {
            let item = &claimed_item.item;
            let mut records: Vec<String> = Vec::with_capacity(item.identifiers.len());
            for (kind, hash) in &item.identifiers {
                kinds.insert(hash.clone(), *kind);
                records.push(hash.clone());
            }
            for hash in extras.get(&item.external_id).into_iter().flatten() {
                if !records.contains(hash) {
                    records.push(hash.clone());
                }
            }
            plan_items.push(PlanItem {
                item_id: item.id.0,
                order: order_of(claimed_item),
                action: item.action,
                records,
            });
        }
        let all: Vec<String> = kinds.keys().cloned().collect();
        let ledger = store.ledger_entries(&target.audience_id, all).await?;
        let plan = plan_batch(
            &plan_items,
            target.action,
            self.inner.settings.max_records_per_request,
            |record| ledger.get(record).copied(),
        );
        let in_request: HashSet<&str> = plan.records.iter().map(String::as_str).collect();
        let mut by_id: HashMap<i64, (ClaimedSyncItem, Vec<String>)> = claimed
            .into_iter()
            .zip(plan_items)
            .map(|(claimed, plan_item)| (plan_item.item_id, (claimed, plan_item.records)))
            .collect();
        let confirmed_of = |claimed: &ClaimedSyncItem, records: &[String]| {
            records
                .iter()
                .filter(|record| {
                    let entry = ledger.get(record.as_str()).copied();
                    decide_record(entry, target.action, order_of(claimed))
                        == RecordDecision::AlreadyMember
                })
                .filter_map(|record| kinds.get(record).map(|kind| (*kind, record.clone())))
                .collect::<Vec<_>>()
        };
        let mut planned = Vec::new();
        for id in &plan.sent_items {
            if let Some((claimed, records)) = by_id.remove(id) {
                let confirmed = confirmed_of(&claimed, &records);
                let records = records
                    .into_iter()
                    .filter(|record| in_request.contains(record.as_str()))
                    .filter_map(|record| kinds.get(&record).map(|kind| (*kind, record)))
                    .collect();
                planned.push(PlannedItem {
                    claimed,
                    records,
                    confirmed,
                });
            }
        }
        let mut settled = Vec::new();
        let mut confirmations = Vec::new();
        for (id, why) in &plan.settled {
            let Some((claimed, records)) = by_id.remove(id) else {
                continue;
            };
            if *why == Settled::AlreadyMember {
                confirmations.push(PlannedItem {
                    claimed: claimed.clone(),
                    records: Vec::new(),
                    confirmed: confirmed_of(&claimed, &records),
                });
            }
            settled.push((claimed, *why));
        }
        let left_over = plan
            .left_over
            .iter()
            .filter_map(|id| by_id.remove(id).map(|(claimed, _)| claimed))
            .collect();
        Ok(Plan {
            planned,
            settled,
            confirmations,
            left_over,
        })
    }

    /// Sends the records of `items` in one request; on an invalid request, splits them in
    /// halves and sends each. The caller settles every outcome (a successful send with its
    /// ledger writes).
    async fn send_group(
        &self,
        partition: &Partition,
        items: Vec<PlannedItem>,
        settlements: &mut Vec<Settlement>,
        report: &mut BatchReport,
    ) -> Result<(), PipelineError> {
        let target = &partition.target;
        let mut records: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for item in &items {
            for (_, record) in &item.records {
                if seen.insert(record) {
                    records.push(record.clone());
                }
            }
        }
        let body = match encode(target.action, &records) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, canvas_id = %partition.canvas_id, step_id = %partition.step_id, "refusing to send a batch");
                let items = items.into_iter().map(|item| item.claimed).collect();
                settlements.push(Settlement::Errored {
                    items,
                    reason: ReasonCode::InvalidRequest,
                });
                return Ok(());
            }
        };
        telemetry::limiter_wait(
            partition
                .client
                .limiter()
                .current_wait(RateCategory::AdsWrite),
        );
        telemetry::batch_fill(records.len(), self.inner.settings.max_records_per_request);
        let result = partition
            .client
            .update_customer_list(&target.ad_account_id, &target.customer_list_id, &body)
            .await;
        report.requests += 1;
        match result {
            Ok(response) => {
                telemetry::request("success");
                report.records_sent += records.len();
                let ledger = self.ledger_writes(partition, &items);
                let items = items.into_iter().map(|item| item.claimed).collect();
                settlements.push(Settlement::Synced {
                    items,
                    request_id: response.request_id,
                    ledger,
                });
            }
            Err(error) => {
                let class = failure_class(&error);
                telemetry::request(class.reason().as_str());
                if class == FailureClass::InvalidRequest && items.len() > 1 {
                    let mut first = items;
                    let second = first.split_off(first.len() / 2);
                    Box::pin(self.send_group(partition, first, settlements, report)).await?;
                    Box::pin(self.send_group(partition, second, settlements, report)).await?;
                    return Ok(());
                }
                let items = items.into_iter().map(|item| item.claimed).collect();
                settlements.push(Settlement::Failed {
                    items,
                    class,
                    request_id: error.request_id().map(str::to_owned),
                    reset_hint_ms: reset_hint_ms(&error),
                });
            }
        }
        Ok(())
    }

    /// What the ledger learns from `items`: their sent records and confirmed members.
    fn ledger_writes(&self, partition: &Partition, items: &[PlannedItem]) -> Vec<LedgerWrite> {
        let state = MembershipState::after(partition.target.action);
        let mut writes = Vec::new();
        let mut per_kind: HashMap<IdentifierKind, u64> = HashMap::new();
        for item in items {
            let claimed = &item.claimed.item;
            for (kind, _) in &item.records {
                *per_kind.entry(*kind).or_default() += 1;
            }
            for (kind, record) in item.records.iter().chain(&item.confirmed) {
                writes.push(LedgerWrite {
                    identifier_sha256: record.clone(),
                    kind: *kind,
                    workspace_id: partition.workspace_id,
                    external_id: claimed.external_id.clone(),
                    entry: LedgerEntry {
                        state,
                        last_op: order_of(&item.claimed),
                    },
                });
            }
        }
        for (kind, count) in per_kind {
            telemetry::records_sent(partition.target.action, kind, count);
        }
        writes
    }
}

/// The step entry's place in time, which orders operations on one identifier.
fn order_of(claimed: &ClaimedSyncItem) -> OpOrder {
    OpOrder::new(
        claimed.item.entered_at,
        claimed.item.journey_id,
        claimed.visit_seq,
    )
}
