//! A batch's outcome in one SQLite transaction: the ledger writes, the attempt log and the
//! completions. An item finished by its last attempt is deleted and its attempt logged in one
//! pass, without first updating the row it is about to delete.

use rusqlite::Transaction;

use super::super::canvases::sync_items::complete_logging_attempts;
use super::{claims, ledger};
use crate::canvas_model::CompletionReport;
use crate::error::StoreError;
use crate::sync::BatchSettlement;

pub(super) fn settle(
    tx: &Transaction<'_>,
    batch: &BatchSettlement,
) -> Result<CompletionReport, StoreError> {
    if !batch.ledger.is_empty() {
        ledger::record(tx, &batch.audience_id, &batch.ledger, batch.now)?;
    }
    let split = batch.split_attempts();
    for attempt in &split.logged_first {
        claims::record_attempt(tx, attempt)?;
    }
    complete_logging_attempts(tx, &batch.completions, &split.finishing, batch.now)
}
