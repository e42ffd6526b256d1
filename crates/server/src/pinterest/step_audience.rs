//! [`create_step_audience`]: the one implementation of "create the `new` audience of an
//! Audience Sync step", shared by the REST API (`POST .../steps/{step_id}/audience`) and the
//! dashboard's "Create Audience" button. It creates the customer list and audience through the
//! connection service and records their ids in the step of the definition it is given; saving
//! the definition (through the engine) is the caller's.

use pinsync_connect::{ConnectError, ConnectionService, CreatedAudience as ServiceCreated};
use pinsync_core::canvas::{AudienceRef, CanvasDefinition, CreatedAudience, StepId, StepKind};
use pinsync_store::WorkspaceId;

/// What [`create_step_audience`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAudience {
    /// Created now on Pinterest; the ids are recorded in the definition, which must be saved.
    Created {
        name: String,
        audience_id: String,
        customer_list_id: String,
    },
    /// The step's audience was created before; nothing changed.
    AlreadyCreated {
        name: String,
        audience_id: String,
        customer_list_id: String,
    },
    /// Pinterest refuses empty lists here: the pipeline creates the list and audience with
    /// the first batch. The definition is unchanged.
    PendingCreation { pending_id: i64, name: String },
}

/// Why the step's audience could not be created.
#[derive(Debug, thiserror::Error)]
pub enum StepAudienceError {
    #[error("step {0} not found in the canvas")]
    StepNotFound(StepId),
    #[error("step {0} is not an Audience Sync step")]
    NotAudienceSync(StepId),
    #[error("step {0} does not ask for a new audience")]
    NotNewAudience(StepId),
    #[error("step {0} has no ad account")]
    NoAdAccount(StepId),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

/// Creates the `new` audience of step `step_id` of `definition` on Pinterest (in the step's ad
/// account, under the step's audience name) and records its ids in the step.
pub async fn create_step_audience(
    service: &ConnectionService,
    workspace: WorkspaceId,
    definition: &mut CanvasDefinition,
    step_id: &StepId,
) -> Result<StepAudience, StepAudienceError> {
    let step = definition
        .steps
        .iter_mut()
        .find(|step| &step.id == step_id)
        .ok_or_else(|| StepAudienceError::StepNotFound(step_id.clone()))?;
    let StepKind::AudienceSync(sync) = &mut step.kind else {
        return Err(StepAudienceError::NotAudienceSync(step_id.clone()));
    };
    let Some(AudienceRef::New { name, created }) = &mut sync.audience else {
        return Err(StepAudienceError::NotNewAudience(step_id.clone()));
    };
    if let Some(existing) = created {
        return Ok(StepAudience::AlreadyCreated {
            name: name.clone(),
            audience_id: existing.audience_id.clone(),
            customer_list_id: existing.customer_list_id.clone(),
        });
    }
    if sync.ad_account_id.trim().is_empty() {
        return Err(StepAudienceError::NoAdAccount(step_id.clone()));
    }
    let outcome = service
        .create_audience(workspace, &sync.ad_account_id, name)
        .await?;
    Ok(match outcome {
        ServiceCreated::Created {
            audience_id,
            customer_list_id,
            name: created_name,
        } => {
            *created = Some(CreatedAudience {
                audience_id: audience_id.clone(),
                customer_list_id: customer_list_id.clone(),
            });
            StepAudience::Created {
                name: created_name,
                audience_id,
                customer_list_id,
            }
        }
        ServiceCreated::PendingCreation { pending_id, name } => {
            StepAudience::PendingCreation { pending_id, name }
        }
    })
}
