//! The retry horizon for paused partitions: users whose first attempt (or entry) is older than
//! the horizon (13 h by default) become errored with the pause's reason. The check walks the
//! partition's items, so a partition is checked once a minute by the pipeline's clock (a
//! minute is nothing against the horizon), and again on the next pass while whole batches of
//! users are still being errored.

use pinsync_core::reason::ReasonCode;
use pinsync_store::SyncOutcome;
use pinsync_store::sync::DuePartition;

use crate::{Pipeline, PipelineError};

/// How often one paused partition is checked against the horizon.
const CHECK_EVERY_MS: i64 = 60_000;

/// Users errored per check at most.
const EXPIRED_PER_CHECK: u32 = 10_000;

impl Pipeline {
    /// Errors the users of a paused partition past the retry horizon, with the pause's
    /// reason, when the partition's check is due; returns how many.
    pub(crate) async fn expire(
        &self,
        due: &DuePartition,
        reason: ReasonCode,
    ) -> Result<u64, PipelineError> {
        let now = self.now();
        let key = (due.canvas_id, due.step_id.clone());
        let checked_lately = self
            .inner
            .horizon_checked
            .lock()
            .get(&key)
            .is_some_and(|last| now - last < CHECK_EVERY_MS);
        if checked_lately {
            return Ok(0);
        }
        let cutoff = now - self.inner.settings.retry.horizon_ms;
        let store = &self.inner.store;
        let ids = store
            .expired_sync_items(due.canvas_id, &due.step_id, cutoff, EXPIRED_PER_CHECK)
            .await?;
        let count = ids.len() as u64;
        {
            let mut checked = self.inner.horizon_checked.lock();
            if count < u64::from(EXPIRED_PER_CHECK) {
                checked.insert(key, now);
            } else {
                // A whole batch: more may be past the horizon; check again next pass.
                checked.remove(&key);
            }
        }
        if ids.is_empty() {
            return Ok(0);
        }
        let mut earlier = store.sync_request_ids(ids.clone()).await?;
        let outcomes = ids
            .into_iter()
            .map(|id| {
                let request_ids = earlier.remove(&id).unwrap_or_default();
                let detail = pinsync_store::SyncDetail { request_ids };
                (id, SyncOutcome::Errored { reason, detail })
            })
            .collect();
        store.complete_sync_items(outcomes, self.now()).await?;
        Ok(count)
    }
}
