//! One Pinterest connection: the HTTP client, the connection's token provider and its
//! shared rate limiter, with refresh-and-retry-once on an invalid token.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::error::PinterestError;
use crate::limiter::RateLimiter;
use crate::models::{
    AdAccount, Audience, CreateAudience, CreateCustomerList, CustomerList, OwnershipType, Page,
    PageRequest, Response, UpdateAudience, UpdateCustomerList, UserAccount,
};
use crate::request::{self, ApiRequest};
use crate::secret::AccessToken;
use crate::service::PinterestClient;
use crate::token::TokenProvider;

/// The way callers talk to Pinterest as one connected user.
///
/// Every call waits for its category's slot on the connection's [`RateLimiter`] first. A 401
/// code 2 makes it ask the [`TokenProvider`] for a fresh token once and retry once; a second
/// 401 is returned as [`PinterestError::InvalidToken`]. A 429 with a reset hint pauses the
/// whole limiter until then.
#[derive(Clone)]
pub struct ConnectionClient {
    client: PinterestClient,
    tokens: Arc<dyn TokenProvider>,
    limiter: Arc<RateLimiter>,
}

impl std::fmt::Debug for ConnectionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionClient")
            .field("client", &self.client)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl ConnectionClient {
    pub fn new(
        client: PinterestClient,
        tokens: Arc<dyn TokenProvider>,
        limiter: Arc<RateLimiter>,
    ) -> Self {
        Self {
            client,
            tokens,
            limiter,
        }
    }

    /// The connection's limiter (for dashboards and for pausing from outside).
    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.limiter
    }

    /// Sends any prepared request under this connection's limiter and token.
    pub async fn call<T: DeserializeOwned>(
        &self,
        request: &ApiRequest,
    ) -> Result<Response<T>, PinterestError> {
        let token = self.tokens.access_token().await?;
        match self.send_limited(request, &token).await {
            Err(PinterestError::InvalidToken { .. }) => {
                let fresh = self.tokens.refresh(&token).await?;
                self.send_limited(request, &fresh).await
            }
            other => other,
        }
    }

    async fn send_limited<T: DeserializeOwned>(
        &self,
        request: &ApiRequest,
        token: &AccessToken,
    ) -> Result<Response<T>, PinterestError> {
        self.limiter.acquire(request.category).await;
        let result = self.client.send(request, Some(token)).await;
        if let Err(error) = &result
            && let Some(reset_after) = error.reset_after()
        {
            self.limiter.pause_until(Instant::now() + reset_after);
        }
        result
    }

    /// `GET /user_account`.
    pub async fn user_account(&self) -> Result<Response<UserAccount>, PinterestError> {
        self.call(&request::user_account()).await
    }

    /// `GET /ad_accounts`, one page.
    pub async fn list_ad_accounts(
        &self,
        page: &PageRequest,
    ) -> Result<Response<Page<AdAccount>>, PinterestError> {
        self.call(&request::list_ad_accounts(page, None)).await
    }

    /// Every ad account, following bookmarks with pages of `page_size`.
    pub async fn list_all_ad_accounts(
        &self,
        page_size: u32,
    ) -> Result<Vec<AdAccount>, PinterestError> {
        let mut accounts = Vec::new();
        let mut next = Some(PageRequest::first(page_size));
        while let Some(page_request) = next {
            let page = self.list_ad_accounts(&page_request).await?.value;
            next = page_request.next(&page);
            accounts.extend(page.items);
        }
        Ok(accounts)
    }

    /// `GET /ad_accounts/{id}`.
    pub async fn get_ad_account(
        &self,
        ad_account_id: &str,
    ) -> Result<Response<AdAccount>, PinterestError> {
        self.call(&request::get_ad_account(ad_account_id)?).await
    }

    /// `POST /ad_accounts/{id}/customer_lists`.
    pub async fn create_customer_list(
        &self,
        ad_account_id: &str,
        body: &CreateCustomerList,
    ) -> Result<Response<CustomerList>, PinterestError> {
        self.call(&request::create_customer_list(ad_account_id, body)?)
            .await
    }

    /// `GET /ad_accounts/{id}/customer_lists/{list_id}`.
    pub async fn get_customer_list(
        &self,
        ad_account_id: &str,
        customer_list_id: &str,
    ) -> Result<Response<CustomerList>, PinterestError> {
        self.call(&request::get_customer_list(
            ad_account_id,
            customer_list_id,
        )?)
        .await
    }

    /// `GET /ad_accounts/{id}/customer_lists`, one page.
    pub async fn list_customer_lists(
        &self,
        ad_account_id: &str,
        page: &PageRequest,
    ) -> Result<Response<Page<CustomerList>>, PinterestError> {
        self.call(&request::list_customer_lists(ad_account_id, page)?)
            .await
    }

    /// `PATCH /ad_accounts/{id}/customer_lists/{list_id}`: ADD or REMOVE records.
    pub async fn update_customer_list(
        &self,
        ad_account_id: &str,
        customer_list_id: &str,
        body: &UpdateCustomerList,
    ) -> Result<Response<CustomerList>, PinterestError> {
        let request = request::update_customer_list(ad_account_id, customer_list_id, body)?;
        self.call(&request).await
    }

    /// `POST /ad_accounts/{id}/audiences`.
    pub async fn create_audience(
        &self,
        ad_account_id: &str,
        body: &CreateAudience,
    ) -> Result<Response<Audience>, PinterestError> {
        self.call(&request::create_audience(ad_account_id, body)?)
            .await
    }

    /// `GET /ad_accounts/{id}/audiences/{audience_id}`.
    pub async fn get_audience(
        &self,
        ad_account_id: &str,
        audience_id: &str,
    ) -> Result<Response<Audience>, PinterestError> {
        self.call(&request::get_audience(ad_account_id, audience_id)?)
            .await
    }

    /// `GET /ad_accounts/{id}/audiences`, one page.
    pub async fn list_audiences(
        &self,
        ad_account_id: &str,
        page: &PageRequest,
        ownership_type: Option<OwnershipType>,
    ) -> Result<Response<Page<Audience>>, PinterestError> {
        let request = request::list_audiences(ad_account_id, page, ownership_type)?;
        self.call(&request).await
    }

    /// Every audience of an ad account, following bookmarks.
    pub async fn list_all_audiences(
        &self,
        ad_account_id: &str,
        page_size: u32,
        ownership_type: Option<OwnershipType>,
    ) -> Result<Vec<Audience>, PinterestError> {
        let mut audiences = Vec::new();
        let mut next = Some(PageRequest::first(page_size));
        while let Some(page_request) = next {
            let page = self
                .list_audiences(ad_account_id, &page_request, ownership_type)
                .await?
                .value;
            next = page_request.next(&page);
            audiences.extend(page.items);
        }
        Ok(audiences)
    }

    /// `PATCH /ad_accounts/{id}/audiences/{audience_id}`: UPDATE or REMOVE.
    pub async fn update_audience(
        &self,
        ad_account_id: &str,
        audience_id: &str,
        body: &UpdateAudience,
    ) -> Result<Response<Audience>, PinterestError> {
        let request = request::update_audience(ad_account_id, audience_id, body)?;
        self.call(&request).await
    }
}
