//! Reason codes: why a user was not synced or errored, as stable snake_case names shared by
//! the API, the database and the metrics.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a user was not synced (a problem with the user's data) or errored (a problem talking
/// to Pinterest). The snake_case name of each variant is stable: it is stored and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The field is absent or blank.
    Missing,
    /// The field is present but is not a well-formed value of its kind.
    InvalidFormat,
    /// The field already looks like a hex digest; pinsync hashes raw values itself.
    AlreadyHashed,
    /// The advertising ID is the all-zero UUID (tracking limited on the device).
    ZeroId,
    /// The value is longer than its kind allows.
    TooLong,
    /// The user disabled ad tracking.
    AdTrackingDisabled,
    /// None of the step's match fields is usable for this user.
    NoMatchFields,
    /// Pinterest rejected the access token.
    InvalidToken,
    /// The connection lost access to the ad account.
    AccessLost,
    /// The audience no longer exists on Pinterest.
    AudienceDeleted,
    /// Pinterest's rate limit was still hit when the retry window closed.
    RateLimited,
    /// A temporary failure (network, 5xx) outlasted the retry window.
    Transient,
    /// Pinterest rejected the request as malformed.
    InvalidRequest,
    /// The user revoked consent to ad tracking.
    ConsentRevoked,
    /// The identifier is already a member of the audience; nothing was sent again.
    AlreadyMember,
}

impl ReasonCode {
    /// Every reason code, in declaration order.
    pub const ALL: &'static [ReasonCode] = &[
        ReasonCode::Missing,
        ReasonCode::InvalidFormat,
        ReasonCode::AlreadyHashed,
        ReasonCode::ZeroId,
        ReasonCode::TooLong,
        ReasonCode::AdTrackingDisabled,
        ReasonCode::NoMatchFields,
        ReasonCode::InvalidToken,
        ReasonCode::AccessLost,
        ReasonCode::AudienceDeleted,
        ReasonCode::RateLimited,
        ReasonCode::Transient,
        ReasonCode::InvalidRequest,
        ReasonCode::ConsentRevoked,
        ReasonCode::AlreadyMember,
    ];

    /// The stable snake_case name, identical to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Missing => "missing",
            ReasonCode::InvalidFormat => "invalid_format",
            ReasonCode::AlreadyHashed => "already_hashed",
            ReasonCode::ZeroId => "zero_id",
            ReasonCode::TooLong => "too_long",
            ReasonCode::AdTrackingDisabled => "ad_tracking_disabled",
            ReasonCode::NoMatchFields => "no_match_fields",
            ReasonCode::InvalidToken => "invalid_token",
            ReasonCode::AccessLost => "access_lost",
            ReasonCode::AudienceDeleted => "audience_deleted",
            ReasonCode::RateLimited => "rate_limited",
            ReasonCode::Transient => "transient",
            ReasonCode::InvalidRequest => "invalid_request",
            ReasonCode::ConsentRevoked => "consent_revoked",
            ReasonCode::AlreadyMember => "already_member",
        }
    }

    /// The reason code with this snake_case name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        ReasonCode::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == s)
    }

    /// One human sentence explaining the reason, for dashboards and traces.
    pub fn description(self) -> &'static str {
        match self {
            ReasonCode::Missing => "The field is absent or blank.",
            ReasonCode::InvalidFormat => "The field is not a well-formed value of its kind.",
            ReasonCode::AlreadyHashed => {
                "The field is already a hex digest; send the raw value and pinsync hashes it."
            }
            ReasonCode::ZeroId => {
                "The advertising ID is all zeros, which devices report when tracking is limited."
            }
            ReasonCode::TooLong => "The value is longer than its kind allows.",
            ReasonCode::AdTrackingDisabled => "The user has ad tracking disabled.",
            ReasonCode::NoMatchFields => {
                "The user has none of the step's match fields in a usable form."
            }
            ReasonCode::InvalidToken => {
                "Pinterest rejected the access token; disconnect and reconnect Pinterest."
            }
            ReasonCode::AccessLost => "The Pinterest connection lost access to the ad account.",
            ReasonCode::AudienceDeleted => "The audience was deleted on Pinterest.",
            ReasonCode::RateLimited => {
                "Pinterest's rate limit was still being hit when the retry window closed."
            }
            ReasonCode::Transient => {
                "A temporary failure talking to Pinterest lasted past the retry window."
            }
            ReasonCode::InvalidRequest => "Pinterest rejected the request as malformed.",
            ReasonCode::ConsentRevoked => "The user revoked consent to ad tracking.",
            ReasonCode::AlreadyMember => {
                "The identifier is already in the audience, so it was not sent again."
            }
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
