//! Audiences for the step editor: search by name over an ad account's audiences (pages
//! fetched from Pinterest lazily and cached for up to 60 s per ad account), creation (a
//! customer list plus a `CUSTOMER_LIST` audience, or `pending_creation` until the first
//! records when Pinterest rejects an empty list), and an audience's Pinterest-side status.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pinsync_pinterest::models::{
    Audience, AudienceRule, AudienceType, CreateAudience, CreateCustomerList, CustomerList,
    ListType, Records,
};
use pinsync_pinterest::{ConnectionClient, PageRequest, PinterestError};
use pinsync_store::WorkspaceId;
use serde::Serialize;

use crate::error::ConnectError;
use crate::service::ConnectionService;

/// How long fetched audience pages are reused.
pub const CACHE_TTL: Duration = Duration::from_secs(60);
/// Audiences per page fetched from Pinterest (its maximum).
const PINTEREST_PAGE_SIZE: u32 = 250;
/// Largest page pinsync answers.
pub const MAX_PAGE_SIZE: usize = 100;

/// The audiences fetched so far for one ad account, in Pinterest's order.
struct CachedAudiences {
    fetched_at: Instant,
    audiences: Vec<Audience>,
    /// Pinterest's bookmark of the next page; `None` with `complete` once all are fetched.
    next_bookmark: Option<String>,
    complete: bool,
}

type CacheKey = (WorkspaceId, String);

/// Per (workspace connection, ad account) cache of fetched audience pages.
#[derive(Default)]
pub struct AudienceCache {
    entries: parking_lot::Mutex<HashMap<CacheKey, Arc<tokio::sync::Mutex<CachedAudiences>>>>,
}

impl AudienceCache {
    fn entry(&self, key: CacheKey) -> Arc<tokio::sync::Mutex<CachedAudiences>> {
        self.entries
            .lock()
            .entry(key)
            .or_insert_with(|| {
                Arc::new(tokio::sync::Mutex::new(CachedAudiences {
                    fetched_at: Instant::now(),
                    audiences: Vec::new(),
                    next_bookmark: None,
                    complete: false,
                }))
            })
            .clone()
    }

    /// Drops everything cached for the workspace (reconnect, disconnect).
    pub fn forget_workspace(&self, workspace: WorkspaceId) {
        self.entries.lock().retain(|(ws, _), _| *ws != workspace);
    }

    fn forget(&self, key: &CacheKey) {
        self.entries.lock().remove(key);
    }
}

/// One audience in a search answer.
#[derive(Debug, Clone, Serialize)]
pub struct AudienceSummary {
    pub id: String,
    pub name: String,
    pub audience_type: String,
    pub status: Option<String>,
    pub size: Option<u64>,
}

/// A page of search results; pass `bookmark` back for the next page.
#[derive(Debug, Clone, Serialize)]
pub struct AudiencePage {
    pub items: Vec<AudienceSummary>,
    pub bookmark: Option<String>,
}

/// What creating an audience produced.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CreatedAudience {
    /// List and audience exist on Pinterest.
    Created {
        audience_id: String,
        customer_list_id: String,
        name: String,
    },
    /// Pinterest rejects empty lists: both are created with the first batch of records.
    PendingCreation { pending_id: i64, name: String },
}

/// An audience's Pinterest-side status.
#[derive(Debug, Clone, Serialize)]
pub struct AudienceStatus {
    pub audience_id: String,
    pub name: String,
    pub audience_status: Option<String>,
    pub size: Option<u64>,
    pub customer_list: Option<CustomerListStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerListStatus {
    pub id: String,
    pub status: String,
    pub num_batches: u64,
    pub num_uploaded_user_records: u64,
    pub num_removed_user_records: u64,
}

impl ConnectionService {
    async fn account_client(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
    ) -> Result<ConnectionClient, ConnectError> {
        let accounts = self.store.ad_accounts(workspace).await?;
        let Some(account) = accounts.iter().find(|a| a.ad_account_id == ad_account_id) else {
            return Err(ConnectError::UnknownAdAccount(ad_account_id.to_owned()));
        };
        if !account.selected {
            return Err(ConnectError::AdAccountNotSelected(ad_account_id.to_owned()));
        }
        self.connection_client(workspace).await
    }

    /// Searches the ad account's audiences whose name contains `query` (case-insensitive).
    /// `bookmark` is the one a previous page returned. Fetches Pinterest pages only until
    /// the page is full, and reuses fetched pages for up to 60 s.
    pub async fn search_audiences(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        query: &str,
        bookmark: Option<&str>,
        page_size: usize,
    ) -> Result<AudiencePage, ConnectError> {
        let client = self.account_client(workspace, ad_account_id).await?;
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let mut position: usize = match bookmark {
            Some(text) => text.parse().map_err(|_| {
                ConnectError::Invalid("bookmark is not one pinsync returned".into())
            })?,
            None => 0,
        };
        let needle = query.trim().to_lowercase();
        let entry = self.audiences.entry((workspace, ad_account_id.to_owned()));
        let mut cached = entry.lock().await;
        if cached.fetched_at.elapsed() > CACHE_TTL {
            *cached = CachedAudiences {
                fetched_at: Instant::now(),
                audiences: Vec::new(),
                next_bookmark: None,
                complete: false,
            };
        }
        let mut items = Vec::new();
        loop {
            while position < cached.audiences.len() && items.len() < page_size {
                let audience = &cached.audiences[position];
                position += 1;
                if needle.is_empty() || audience.name.to_lowercase().contains(&needle) {
                    items.push(summary(audience));
                }
            }
            if items.len() == page_size || cached.complete {
                break;
            }
            let request = PageRequest {
                bookmark: cached.next_bookmark.clone(),
                page_size: Some(PINTEREST_PAGE_SIZE),
            };
            let page = match client.list_audiences(ad_account_id, &request, None).await {
                Ok(page) => page.value,
                Err(error) => {
                    return Err(self.note_error(workspace, Some(ad_account_id), error).await);
                }
            };
            if cached.audiences.is_empty() {
                cached.fetched_at = Instant::now();
            }
            cached.complete = page.bookmark.is_none();
            cached.next_bookmark = page.bookmark;
            cached.audiences.extend(page.items);
        }
        let more = position < cached.audiences.len() || !cached.complete;
        Ok(AudiencePage {
            items,
            bookmark: more.then(|| position.to_string()),
        })
    }

    /// Creates an audience named `name`: a customer list and a `CUSTOMER_LIST` audience over
    /// it. When Pinterest rejects a list without records, keeps it `pending_creation`.
    pub async fn create_audience(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        name: &str,
    ) -> Result<CreatedAudience, ConnectError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(ConnectError::Invalid(
                "name must be between 1 and 255 characters".into(),
            ));
        }
        let client = self.account_client(workspace, ad_account_id).await?;
        let list = CreateCustomerList {
            name: name.to_owned(),
            records: Records::join(Vec::<String>::new()),
            list_type: Some(ListType::Email),
        };
        let created = match client.create_customer_list(ad_account_id, &list).await {
            Ok(list) => list.value,
            Err(PinterestError::InvalidRequest { .. }) => {
                let pending = self
                    .store
                    .insert_pending_audience(
                        workspace,
                        ad_account_id,
                        name,
                        pinsync_store::now_millis(),
                    )
                    .await?;
                return Ok(CreatedAudience::PendingCreation {
                    pending_id: pending.id,
                    name: name.to_owned(),
                });
            }
            Err(error) => return Err(self.note_error(workspace, Some(ad_account_id), error).await),
        };
        let audience = self
            .create_audience_over(&client, workspace, ad_account_id, name, &created)
            .await?;
        Ok(CreatedAudience::Created {
            audience_id: audience.id,
            customer_list_id: created.id,
            name: name.to_owned(),
        })
    }

    async fn create_audience_over(
        &self,
        client: &ConnectionClient,
        workspace: WorkspaceId,
        ad_account_id: &str,
        name: &str,
        list: &CustomerList,
    ) -> Result<Audience, ConnectError> {
        let body = CreateAudience {
            name: name.to_owned(),
            audience_type: AudienceType::CustomerList,
            rule: AudienceRule {
                customer_list_id: Some(list.id.clone()),
            },
            description: Some("Created by pinsync".into()),
        };
        let audience = match client.create_audience(ad_account_id, &body).await {
            Ok(audience) => audience.value,
            Err(error) => return Err(self.note_error(workspace, Some(ad_account_id), error).await),
        };
        self.audiences
            .forget(&(workspace, ad_account_id.to_owned()));
        Ok(audience)
    }

    /// Creates a `pending_creation` audience with its first batch of (normalized, hashed)
    /// email records: the list with those records, then the audience. Called by the sync
    /// pipeline; idempotent once created.
    pub async fn create_pending_audience(
        &self,
        workspace: WorkspaceId,
        pending_id: i64,
        first_records: Records,
    ) -> Result<CreatedAudience, ConnectError> {
        let Some(pending) = self.store.pending_audience(workspace, pending_id).await? else {
            return Err(ConnectError::Invalid(format!(
                "no pending audience {pending_id}"
            )));
        };
        if let (Some(list), Some(audience)) = (&pending.customer_list_id, &pending.audience_id) {
            return Ok(CreatedAudience::Created {
                audience_id: audience.clone(),
                customer_list_id: list.clone(),
                name: pending.name,
            });
        }
        let ad_account_id = pending.ad_account_id.as_str();
        let client = self.account_client(workspace, ad_account_id).await?;
        let body = CreateCustomerList {
            name: pending.name.clone(),
            records: first_records,
            list_type: Some(ListType::Email),
        };
        let list = match client.create_customer_list(ad_account_id, &body).await {
            Ok(list) => list.value,
            Err(error) => return Err(self.note_error(workspace, Some(ad_account_id), error).await),
        };
        let audience = self
            .create_audience_over(&client, workspace, ad_account_id, &pending.name, &list)
            .await?;
        self.store
            .complete_pending_audience(
                workspace,
                pending_id,
                &list.id,
                &audience.id,
                pinsync_store::now_millis(),
            )
            .await?;
        Ok(CreatedAudience::Created {
            audience_id: audience.id,
            customer_list_id: list.id,
            name: pending.name,
        })
    }

    /// The audience's status and size, and its customer list's status and counters.
    pub async fn audience_status(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        audience_id: &str,
    ) -> Result<AudienceStatus, ConnectError> {
        let client = self.account_client(workspace, ad_account_id).await?;
        let audience = match client.get_audience(ad_account_id, audience_id).await {
            Ok(audience) => audience.value,
            Err(error) => return Err(self.note_error(workspace, Some(ad_account_id), error).await),
        };
        let customer_list = match &audience.rule.customer_list_id {
            Some(list_id) => match client.get_customer_list(ad_account_id, list_id).await {
                Ok(list) => Some(list.value),
                Err(PinterestError::NotFound { .. }) => None,
                Err(error) => {
                    return Err(self.note_error(workspace, Some(ad_account_id), error).await);
                }
            },
            None => None,
        };
        Ok(AudienceStatus {
            audience_id: audience.id,
            name: audience.name,
            audience_status: audience.status,
            size: audience.size,
            customer_list: customer_list.map(|list| CustomerListStatus {
                id: list.id,
                status: list.status,
                num_batches: list.num_batches,
                num_uploaded_user_records: list.num_uploaded_user_records,
                num_removed_user_records: list.num_removed_user_records,
            }),
        })
    }
}

fn summary(audience: &Audience) -> AudienceSummary {
    AudienceSummary {
        id: audience.id.clone(),
        name: audience.name.clone(),
        audience_type: audience.audience_type.clone(),
        status: audience.status.clone(),
        size: audience.size,
    }
}
