//! [`PinterestLaunchChecks`]: before a Canvas launches (or a launched one is edited), checks
//! live that Pinterest is connected with a valid token, that each Audience Sync step's ad
//! account is selected and reachable, and that its audience exists or was created.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use pinsync_connect::status::MESSAGE_ACCESS_LOST;
use pinsync_connect::{ConnectionService, ConnectionStatus};
use pinsync_core::canvas::{
    AudienceRef, AudienceSyncStep, CanvasDefinition, ExternalChecks, ProblemCode, Step, StepKind,
    ValidationProblem,
};
use pinsync_engine::LaunchChecks;
use pinsync_store::WorkspaceId;

/// The launch checks of the Pinterest connection.
pub struct PinterestLaunchChecks {
    service: Arc<ConnectionService>,
}

impl PinterestLaunchChecks {
    pub fn new(service: Arc<ConnectionService>) -> Self {
        Self { service }
    }
}

/// What the live check found, for the synchronous per-step checks.
struct ConnectionFacts {
    /// Selected ad account id → whether access was lost.
    selected: HashMap<String, bool>,
    /// Existing audience ids that Pinterest does not know (per ad account).
    missing_audiences: BTreeSet<(String, String)>,
}

fn sync_steps(definition: &CanvasDefinition) -> impl Iterator<Item = (&Step, &AudienceSyncStep)> {
    definition.steps.iter().filter_map(|step| match &step.kind {
        StepKind::AudienceSync(sync) => Some((step, sync)),
        _ => None,
    })
}

#[async_trait]
impl LaunchChecks for PinterestLaunchChecks {
    async fn prepare(
        &self,
        workspace: WorkspaceId,
        definition: &CanvasDefinition,
    ) -> Result<Box<dyn ExternalChecks + Send + Sync>, Vec<ValidationProblem>> {
        if sync_steps(definition).next().is_none() {
            return Ok(Box::new(pinsync_core::canvas::NoExternalChecks));
        }
        let view = self.service.check(workspace).await.map_err(|error| {
            vec![ValidationProblem::canvas(
                ProblemCode::AdAccountUnreachable,
                format!("Pinterest could not be checked: {error}"),
            )]
        })?;
        match view.status {
            ConnectionStatus::Disconnected => {
                return Err(vec![ValidationProblem::canvas(
                    ProblemCode::ConnectionMissing,
                    "Pinterest is not connected: connect it (GET /api/v1/partners/pinterest/connect) and select the ad accounts to sync",
                )]);
            }
            ConnectionStatus::InvalidToken => {
                return Err(vec![ValidationProblem::canvas(
                    ProblemCode::TokenInvalid,
                    view.message,
                )]);
            }
            ConnectionStatus::Connected | ConnectionStatus::ExpiringSoon => {}
        }
        let selected: HashMap<String, bool> = view
            .ad_accounts
            .iter()
            .filter(|a| a.selected)
            .map(|a| (a.id.clone(), a.status == "access_lost"))
            .collect();
        let mut missing_audiences = BTreeSet::new();
        for (_, sync) in sync_steps(definition) {
            let Some(AudienceRef::Existing { audience_id }) = &sync.audience else {
                continue;
            };
            if selected.get(&sync.ad_account_id) != Some(&false) {
                continue;
            }
            let found = self
                .service
                .audience_status(workspace, &sync.ad_account_id, audience_id)
                .await;
            if let Err(pinsync_connect::ConnectError::Pinterest(
                pinsync_pinterest::PinterestError::NotFound { .. },
            )) = found
            {
                missing_audiences.insert((sync.ad_account_id.clone(), audience_id.clone()));
            }
        }
        Ok(Box::new(ConnectionFacts {
            selected,
            missing_audiences,
        }))
    }
}

impl ExternalChecks for ConnectionFacts {
    fn check_audience_sync(&self, step: &Step, sync: &AudienceSyncStep) -> Vec<ValidationProblem> {
        let account = &sync.ad_account_id;
        let problem =
            |code, message: String| vec![ValidationProblem::step(&step.id, code, message)];
        match self.selected.get(account) {
            None => {
                return problem(
                    ProblemCode::AdAccountUnreachable,
                    format!(
                        "ad account {account} is not selected for syncing: select it with PUT /api/v1/partners/pinterest/ad_accounts"
                    ),
                );
            }
            Some(true) => {
                return problem(
                    ProblemCode::AdAccountUnreachable,
                    format!("ad account {account}: {MESSAGE_ACCESS_LOST}"),
                );
            }
            Some(false) => {}
        }
        match &sync.audience {
            Some(AudienceRef::New { created: None, .. }) => problem(
                ProblemCode::AudienceNotCreated,
                format!(
                    "the audience is not created on Pinterest yet: create it with POST /api/v1/canvases/{{id}}/steps/{}/audience",
                    step.id.0
                ),
            ),
            Some(AudienceRef::Existing { audience_id })
                if self
                    .missing_audiences
                    .contains(&(account.clone(), audience_id.clone())) =>
            {
                problem(
                    ProblemCode::AudienceNotFound,
                    format!(
                        "audience {audience_id} does not exist in ad account {account} (any more): choose another one"
                    ),
                )
            }
            _ => Vec::new(),
        }
    }
}
