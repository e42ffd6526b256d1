//! Where a partition's users go on Pinterest: the step's ad account, audience and customer
//! list, resolved from the Canvas definition (and, for an existing audience, from Pinterest's
//! answer naming its list).

use pinsync_core::canvas::{AudienceRef, CanvasDefinition, StepId, SyncAction};
use pinsync_pinterest::{ConnectionClient, PinterestError};

/// The Pinterest side of one audience-sync step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTarget {
    pub ad_account_id: String,
    pub audience_id: String,
    pub customer_list_id: String,
    pub action: SyncAction,
}

/// What the definition says before any Pinterest call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepTarget {
    pub ad_account_id: String,
    pub action: SyncAction,
    pub audience: TargetAudience,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetAudience {
    /// Both ids known (a created audience).
    Known {
        audience_id: String,
        customer_list_id: String,
    },
    /// An existing audience: its list is read from Pinterest.
    Existing { audience_id: String },
    /// A new audience not created yet (the connection service creates it with the first
    /// batch); its users wait.
    NotCreated,
}

/// Why a step cannot be synced as defined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("step {0} is not an audience-sync step of the canvas")]
    NotAudienceSync(StepId),
    #[error("step {0} has no audience")]
    NoAudience(StepId),
    #[error("audience {0} has no customer list")]
    NoCustomerList(String),
}

/// Reads the step's target from the definition.
pub(crate) fn step_target(
    definition: &CanvasDefinition,
    step_id: &StepId,
) -> Result<StepTarget, TargetError> {
    let step = definition
        .step(step_id)
        .and_then(|step| step.as_audience_sync())
        .ok_or_else(|| TargetError::NotAudienceSync(step_id.clone()))?;
    let audience = definition
        .resolve_audience(step)
        .ok_or_else(|| TargetError::NoAudience(step_id.clone()))?;
    let audience = match audience {
        AudienceRef::New {
            created: Some(created),
            ..
        } => TargetAudience::Known {
            audience_id: created.audience_id.clone(),
            customer_list_id: created.customer_list_id.clone(),
        },
        AudienceRef::New { created: None, .. } => TargetAudience::NotCreated,
        AudienceRef::Existing { audience_id } => TargetAudience::Existing {
            audience_id: audience_id.clone(),
        },
        AudienceRef::Step { .. } => return Err(TargetError::NoAudience(step_id.clone())),
    };
    Ok(StepTarget {
        ad_account_id: step.ad_account_id.clone(),
        action: step.action,
        audience,
    })
}

/// Completes a step target into a [`SyncTarget`], reading an existing audience's list from
/// Pinterest (one read, within the read budget). `Ok(None)`: not created yet.
pub(crate) async fn resolve(
    target: &StepTarget,
    client: &ConnectionClient,
) -> Result<Option<SyncTarget>, ResolveError> {
    let (audience_id, customer_list_id) = match &target.audience {
        TargetAudience::NotCreated => return Ok(None),
        TargetAudience::Known {
            audience_id,
            customer_list_id,
        } => (audience_id.clone(), customer_list_id.clone()),
        TargetAudience::Existing { audience_id } => {
            let audience = client
                .get_audience(&target.ad_account_id, audience_id)
                .await
                .map_err(ResolveError::Pinterest)?
                .value;
            let list = audience.rule.customer_list_id.ok_or_else(|| {
                ResolveError::Target(TargetError::NoCustomerList(audience_id.clone()))
            })?;
            (audience_id.clone(), list)
        }
    };
    Ok(Some(SyncTarget {
        ad_account_id: target.ad_account_id.clone(),
        audience_id,
        customer_list_id,
        action: target.action,
    }))
}

/// Resolving a target failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResolveError {
    #[error(transparent)]
    Target(TargetError),
    #[error("cannot read the audience: {0}")]
    Pinterest(PinterestError),
}
