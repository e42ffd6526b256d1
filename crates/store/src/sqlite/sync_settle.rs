//! A batch's outcome in one SQLite transaction: the ledger writes, the attempt log and the
//! completions. An item finished by its last attempt is deleted and its attempt logged in one
//! pass, without first updating the row it is about to delete.

use std::collections::{HashMap, HashSet};

use rusqlite::Transaction;

use super::super::canvases::sync_items::{FinalAttempt, complete_logging_attempts};
use super::{claims, ledger};
use crate::canvas_model::{CompletionReport, SyncItemId};
use crate::error::StoreError;
use crate::sync::{AttemptRecord, BatchSettlement};

pub(super) fn settle(
    tx: &Transaction<'_>,
    batch: &BatchSettlement,
) -> Result<CompletionReport, StoreError> {
    if !batch.ledger.is_empty() {
        ledger::record(tx, &batch.audience_id, &batch.ledger, batch.now)?;
    }
    let completing: HashSet<SyncItemId> = batch.completions.iter().map(|(id, _)| *id).collect();
    // The last attempt of an item that is completed here (and not rescheduled) is logged as
    // the item is deleted; any earlier ones are logged first, in order.
    let mut last_attempt: HashMap<SyncItemId, usize> = HashMap::new();
    for (index, attempt) in batch.attempts.iter().enumerate() {
        for id in &attempt.item_ids {
            last_attempt.insert(*id, index);
        }
    }
    let mut final_attempts: HashMap<SyncItemId, FinalAttempt<'_>> = HashMap::new();
    for (index, attempt) in batch.attempts.iter().enumerate() {
        let mut logged_now = Vec::new();
        for id in &attempt.item_ids {
            let finishes = attempt.retry_at.is_none()
                && completing.contains(id)
                && last_attempt.get(id) == Some(&index);
            if finishes {
                final_attempts.insert(
                    *id,
                    FinalAttempt {
                        request_id: attempt.request_id.as_deref(),
                        outcome: &attempt.outcome,
                        reason: attempt.reason.map(|reason| reason.as_str()),
                        at: attempt.now,
                    },
                );
            } else {
                logged_now.push(*id);
            }
        }
        if !logged_now.is_empty() {
            claims::record_attempt(
                tx,
                &AttemptRecord {
                    item_ids: logged_now,
                    ..attempt.clone()
                },
            )?;
        }
    }
    complete_logging_attempts(tx, &batch.completions, &final_attempts, batch.now)
}
