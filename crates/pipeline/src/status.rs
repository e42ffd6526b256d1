//! Pinterest-side status: each synced step's customer list (status, counters) and audience
//! (status, size) read back from Pinterest within the read budget, for the step analytics'
//! estimated match rate. Also publishes the queue depth per connection.

use std::collections::BTreeMap;

use pinsync_store::sync::TargetStatus;

use crate::directory::ConnectionState;
use crate::{Pipeline, telemetry};

impl Pipeline {
    /// Reads every known step target's list and audience once and stores what Pinterest
    /// says (or why it could not say), for the connections this instance owns. Errors are
    /// stored, not returned.
    pub async fn poll_statuses(&self) {
        let targets: Vec<_> = self
            .inner
            .targets
            .lock()
            .iter()
            .map(|(key, target)| (key.clone(), target.clone()))
            .collect();
        for ((canvas_id, step_id), (workspace_id, target)) in targets {
            let Some((connection, ConnectionState::Ready(client))) = self
                .inner
                .directory
                .connection_for(workspace_id, &target.ad_account_id)
                .await
            else {
                continue;
            };
            // The read budget is the owner's too.
            if !self.owns(&connection) {
                continue;
            }
            let mut status = TargetStatus {
                canvas_id,
                step_id: step_id.clone(),
                audience_id: target.audience_id.clone(),
                customer_list_id: target.customer_list_id.clone(),
                list_status: None,
                audience_status: None,
                audience_size: None,
                uploaded_records: 0,
                removed_records: 0,
                error: None,
                polled_at: self.now(),
            };
            match client
                .get_customer_list(&target.ad_account_id, &target.customer_list_id)
                .await
            {
                Ok(list) => {
                    status.list_status = Some(list.value.status);
                    status.uploaded_records = list.value.num_uploaded_user_records;
                    status.removed_records = list.value.num_removed_user_records;
                }
                Err(error) => status.error = Some(error.kind().to_owned()),
            }
            match client
                .get_audience(&target.ad_account_id, &target.audience_id)
                .await
            {
                Ok(audience) => {
                    status.audience_status = audience.value.status;
                    status.audience_size = audience.value.size;
                }
                Err(error) => status.error = Some(error.kind().to_owned()),
            }
            if let Err(error) = self.inner.store.record_target_status(status).await {
                tracing::warn!(%error, "cannot store a pinterest status poll");
            }
        }
    }

    /// Sets the queue-depth gauge of every connection with a known partition (0 when its
    /// queue is empty).
    pub(crate) async fn publish_queue_depths(&self) {
        let Ok(depths) = self.inner.store.sync_queue_depths().await else {
            return;
        };
        let targets: Vec<_> = self
            .inner
            .targets
            .lock()
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let mut per_connection: BTreeMap<String, u64> = BTreeMap::new();
        for ((canvas_id, step_id), (workspace_id, target)) in targets {
            let Some((connection, _)) = self
                .inner
                .directory
                .connection_for(workspace_id, &target.ad_account_id)
                .await
            else {
                continue;
            };
            let items: u64 = depths
                .iter()
                .filter(|depth| depth.canvas_id == canvas_id && depth.step_id == step_id)
                .map(|depth| depth.items)
                .sum();
            *per_connection.entry(connection.0).or_default() += items;
        }
        for (connection, items) in per_connection {
            telemetry::queue_depth(&connection, items);
        }
    }
}
