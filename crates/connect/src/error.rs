//! [`ConnectError`]: what can go wrong in the connection service, in terms the API maps to
//! answers (each variant says what the user should do).

use pinsync_pinterest::PinterestError;
use pinsync_store::StoreError;

use crate::cipher::CipherError;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "the OAuth state is missing or does not match a connection attempt of pinsync; start again from the connect endpoint"
    )]
    StateMismatch,
    #[error("this OAuth state was already used; start again from the connect endpoint")]
    StateReused,
    #[error("the connection attempt expired (10 minutes); start again from the connect endpoint")]
    StateExpired,
    #[error("access was denied on Pinterest's consent page; nothing was connected")]
    AccessDenied,
    #[error("Pinterest answered the OAuth callback with an error: {0}")]
    OAuthError(String),
    #[error("the callback carries no authorization code")]
    MissingCode,
    #[error("Pinterest is not connected for this workspace; connect it first")]
    NotConnected,
    #[error("Pinterest rejected pinsync's access token; disconnect and reconnect Pinterest")]
    InvalidToken,
    #[error("ad account {0} is not one of the connection's ad accounts")]
    UnknownAdAccount(String),
    #[error(
        "ad account {0} is not selected for syncing; select it with PUT /api/v1/partners/pinterest/ad_accounts"
    )]
    AdAccountNotSelected(String),
    #[error("{0}")]
    Invalid(String),
    #[error("pinterest: {0}")]
    Pinterest(#[from] PinterestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cipher(#[from] CipherError),
}
