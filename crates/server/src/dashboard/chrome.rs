//! [`Chrome`]: what every signed-in page shows around its content — the signed-in user, the
//! workspace switcher, the navigation, the CSRF token for its forms, the sandbox label and
//! the connection banner when the Pinterest token is invalid or about to expire.

use pinsync_connect::ConnectionStatus;

use super::error::DashboardError;
use super::session::SignedIn;
use crate::app::AppState;

/// A workspace the user may switch to.
pub struct WorkspaceChoice {
    pub id: i64,
    pub name: String,
    pub current: bool,
}

/// A warning about the Pinterest connection, with what to do about it.
pub struct ConnectionBanner {
    pub status: &'static str,
    pub message: String,
}

/// The frame of every signed-in page.
pub struct Chrome {
    pub login: String,
    pub workspaces: Vec<WorkspaceChoice>,
    /// The session's CSRF token; every form carries it in a hidden `csrf` field.
    pub csrf: String,
    /// Whether pinsync talks to its built-in Pinterest sandbox (labelled on every page).
    pub sandbox: bool,
    /// The navigation entry to highlight: `canvases` or `partners`.
    pub section: &'static str,
    pub banner: Option<ConnectionBanner>,
}

impl Chrome {
    /// The chrome for `signed_in` on a page of `section`.
    pub async fn build(
        state: &AppState,
        signed_in: &SignedIn,
        section: &'static str,
    ) -> Result<Self, DashboardError> {
        let sandbox = state.pinterest.as_ref().is_some_and(|p| p.is_sandbox());
        let banner = match &state.pinterest {
            Some(pinterest) => match pinterest.view(signed_in.workspace()).await {
                Ok(view) => banner_for(view.status, view.message),
                Err(error) => {
                    tracing::warn!(error = %error, "cannot read the connection for the banner");
                    None
                }
            },
            None => None,
        };
        Ok(Chrome {
            login: signed_in.session.login.clone(),
            workspaces: signed_in
                .workspaces
                .iter()
                .map(|w| WorkspaceChoice {
                    id: w.id.0,
                    name: w.name.clone(),
                    current: w.id == signed_in.workspace(),
                })
                .collect(),
            csrf: signed_in.session.csrf_token.clone(),
            sandbox,
            section,
            banner,
        })
    }
}

fn banner_for(status: ConnectionStatus, message: &str) -> Option<ConnectionBanner> {
    let advice = match status {
        ConnectionStatus::InvalidToken => {
            "Syncing is paused. Go to Partner Integrations → Pinterest, disconnect and connect Pinterest again; make sure the Business Hub admin gave the app access to your ad accounts."
        }
        ConnectionStatus::ExpiringSoon => {
            "Reconnect Pinterest soon (Partner Integrations → Pinterest → Disconnect, then Connect Pinterest) to keep syncing."
        }
        ConnectionStatus::Connected | ConnectionStatus::Disconnected => return None,
    };
    Some(ConnectionBanner {
        status: status.as_str(),
        message: format!("{message} {advice}"),
    })
}
