//! Wire types: the JSON (and form) bodies Pinterest API v5 sends and accepts.

use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::{AccessToken, RefreshToken};

/// A successful response: the decoded value plus its `x-pinterest-rid`.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    pub value: T,
    pub request_id: Option<String>,
}

/// One page of a bookmark-paginated list. A `None` bookmark means the last page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub bookmark: Option<String>,
}

/// Which page to fetch: the cursor from the previous page and a size (1..=250).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub bookmark: Option<String>,
    pub page_size: Option<u32>,
}

impl PageRequest {
    /// The first page with the given size.
    pub fn first(page_size: u32) -> Self {
        Self {
            bookmark: None,
            page_size: Some(page_size),
        }
    }

    /// The page after `page`, or `None` when `page` was the last one.
    pub fn next<T>(&self, page: &Page<T>) -> Option<Self> {
        let bookmark = page.bookmark.clone()?;
        Some(Self {
            bookmark: Some(bookmark),
            page_size: self.page_size,
        })
    }
}

/// `POST /oauth/token` answer for both grants. Refresh answers rotate the refresh token;
/// legacy ones may omit it.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    #[serde(default)]
    pub response_type: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Access-token lifetime in seconds (Pinterest's own mock sends it as a string).
    #[serde(deserialize_with = "lenient_u64")]
    pub expires_in: u64,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub refresh_token_expires_in: Option<u64>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub refresh_token_expires_at: Option<u64>,
    /// Comma-separated granted scopes.
    #[serde(default)]
    pub scope: String,
}

impl TokenResponse {
    /// The granted scopes, split.
    pub fn scopes(&self) -> Vec<&str> {
        self.scope.split(',').filter(|s| !s.is_empty()).collect()
    }
}

/// `GET /user_account`: who the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserAccount {
    #[serde(default)]
    pub id: Option<String>,
    pub username: String,
    /// `PINNER` or `BUSINESS`.
    #[serde(default)]
    pub account_type: Option<String>,
    #[serde(default)]
    pub business_name: Option<String>,
}

/// The owner of an ad account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdAccountOwner {
    pub id: String,
    #[serde(default)]
    pub username: Option<String>,
}

/// An ad account the user can see; `permissions` holds its `BusinessAccessRole`s.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdAccount {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub owner: Option<AdAccountOwner>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub created_time: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub updated_time: Option<u64>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Identifier kind of a customer list; one kind per list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListType {
    Email,
    Idfa,
    Maid,
    LrId,
    DlxId,
    HashedPinnerId,
}

/// Records for a customer-list call: ONE comma-joined string on the wire, not an array.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Records(String);

impl Records {
    /// Joins already-normalized (lowercased, usually hashed) identifiers with `,`.
    pub fn join<I, S>(records: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut joined = String::new();
        for record in records {
            if !joined.is_empty() {
                joined.push(',');
            }
            joined.push_str(record.as_ref());
        }
        Self(joined)
    }

    /// How many records the string holds.
    pub fn count(&self) -> usize {
        self.0.split(',').filter(|r| !r.is_empty()).count()
    }

    /// The wire string. Contains identifiers: do not log it.
    pub fn as_wire_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Records({} redacted)", self.count())
    }
}

/// `POST /ad_accounts/{id}/customer_lists` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateCustomerList {
    pub name: String,
    pub records: Records,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_type: Option<ListType>,
}

/// Whether a customer-list PATCH adds or removes its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListOperation {
    Add,
    Remove,
}

/// `PATCH /ad_accounts/{id}/customer_lists/{list_id}` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateCustomerList {
    pub operation_type: ListOperation,
    pub records: Records,
}

/// A customer list. Counters count calls and records sent, not membership.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomerList {
    pub id: String,
    pub ad_account_id: String,
    pub name: String,
    /// `PROCESSING`, `READY`, `TOO_SMALL`, `UPLOADING` (and possibly newer values).
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "lenient_u64_or_zero")]
    pub num_batches: u64,
    #[serde(default, deserialize_with = "lenient_u64_or_zero")]
    pub num_uploaded_user_records: u64,
    #[serde(default, deserialize_with = "lenient_u64_or_zero")]
    pub num_removed_user_records: u64,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub created_time: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub updated_time: Option<u64>,
    #[serde(default)]
    pub exceptions: serde_json::Value,
}

/// Kind of audience; pinsync creates `CustomerList` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AudienceType {
    CustomerList,
    Visitor,
    Engagement,
    Actalike,
    Persona,
}

/// The audience rule; for `CUSTOMER_LIST` audiences it names the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_list_id: Option<String>,
}

/// `POST /ad_accounts/{id}/audiences` body (a single object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateAudience {
    pub name: String,
    pub audience_type: AudienceType,
    pub rule: AudienceRule,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Whether an audience PATCH edits or removes the audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AudienceOperation {
    Update,
    Remove,
}

/// `PATCH /ad_accounts/{id}/audiences/{audience_id}` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateAudience {
    pub operation_type: AudienceOperation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<AudienceRule>,
}

/// Whose audiences to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OwnershipType {
    Owned,
    Received,
}

/// An audience. `audience_type` and `status` stay strings: Pinterest adds values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Audience {
    pub id: String,
    pub ad_account_id: String,
    pub name: String,
    #[serde(default)]
    pub audience_type: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub rule: AudienceRule,
    /// Matched users; `None`/0 until about 100 are matched.
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub size: Option<u64>,
    /// `INITIALIZING`, `READY`, `TOO_SMALL`, …
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub created_timestamp: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub updated_timestamp: Option<u64>,
}

/// Accepts a JSON integer, a float (truncated) or a numeric string.
#[derive(Deserialize)]
#[serde(untagged)]
enum LenientNumber {
    Unsigned(u64),
    Float(f64),
    Text(String),
}

impl LenientNumber {
    fn to_u64(&self) -> Option<u64> {
        match self {
            Self::Unsigned(n) => Some(*n),
            Self::Float(f) if f.is_finite() && *f >= 0.0 => Some(f.trunc() as u64),
            Self::Float(_) => None,
            Self::Text(text) => text.trim().parse().ok(),
        }
    }
}

fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = LenientNumber::deserialize(deserializer)?;
    number
        .to_u64()
        .ok_or_else(|| serde::de::Error::custom("expected a non-negative number"))
}

fn lenient_u64_or_zero<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(lenient_opt_u64(deserializer)?.unwrap_or(0))
}

fn lenient_opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let number: Option<LenientNumber> = Option::deserialize(deserializer)?;
    Ok(number.and_then(|n| n.to_u64()))
}

#[cfg(test)]
#[path = "models_tests.rs"]
mod tests;
