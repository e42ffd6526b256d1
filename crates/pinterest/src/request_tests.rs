//! Request-building tests: paths, queries, categories and the id check.

use super::*;
use crate::models::{ListOperation, Records};

#[test]
fn patch_customer_list_is_an_ads_write_with_the_reference_body() {
    let body = UpdateCustomerList {
        operation_type: ListOperation::Add,
        records: Records::join(["testadd1@example.com", "testadd2@example.com"]),
    };
    let request = update_customer_list("549770573673", "4189731", &body).unwrap();

    assert_eq!(request.method, Method::PATCH);
    assert_eq!(
        request.path,
        "/ad_accounts/549770573673/customer_lists/4189731"
    );
    assert_eq!(request.category, RateCategory::AdsWrite);
    assert_eq!(request.auth, AuthScheme::UserToken);
    assert_eq!(
        request.body,
        RequestBody::Json(serde_json::json!({
            "operation_type": "ADD",
            "records": "testadd1@example.com,testadd2@example.com"
        }))
    );
}

#[test]
fn non_numeric_ids_are_rejected_before_sending() {
    let table = ["", "../oauth", "12a", "1234567890123456789"];
    for bad in table {
        let error = get_customer_list("549770573673", bad).unwrap_err();
        assert_eq!(error.kind(), "invalid_request", "id {bad:?}");
        assert_eq!(error.request_id(), None);
    }
    assert!(get_customer_list("549770573673", "123456789012345678").is_ok());
}

#[test]
fn list_audiences_sends_bookmark_page_size_and_ownership_type() {
    let page = PageRequest {
        bookmark: Some("b1".into()),
        page_size: Some(50),
    };
    let request = list_audiences("549770573673", &page, Some(OwnershipType::Received)).unwrap();

    assert_eq!(request.path, "/ad_accounts/549770573673/audiences");
    assert_eq!(request.category, RateCategory::AdsRead);
    assert_eq!(
        request.query,
        [
            ("bookmark", "b1".to_owned()),
            ("page_size", "50".to_owned()),
            ("ownership_type", "RECEIVED".to_owned())
        ]
    );
}

#[test]
fn each_endpoint_has_its_documented_rate_category() {
    let table = [
        (user_account(), RateCategory::OrgRead),
        (
            list_ad_accounts(&PageRequest::default(), None),
            RateCategory::AdsRead,
        ),
        (get_ad_account("1").unwrap(), RateCategory::AdsRead),
        (get_audience("1", "2").unwrap(), RateCategory::AdsRead),
        (
            list_customer_lists("1", &PageRequest::default()).unwrap(),
            RateCategory::AdsRead,
        ),
        (
            exchange_code("c", "http://x/", false),
            RateCategory::OrgRead,
        ),
        (
            refresh_token(&RefreshToken::new("pinr_x")),
            RateCategory::OrgRead,
        ),
        (
            revoke_token(&RevocableToken::Access(AccessToken::new("pina_x"))),
            RateCategory::OrgWrite,
        ),
    ];
    for (request, category) in table {
        assert_eq!(request.category, category, "{}", request.path);
    }
}

#[test]
fn token_grants_are_basic_authenticated_forms_whose_debug_hides_values() {
    let request = refresh_token(&RefreshToken::new("pinr_new-refresh-token"));

    assert_eq!(request.auth, AuthScheme::AppCredentials);
    assert_eq!(request.path, "/oauth/token");
    assert_eq!(
        request.body,
        RequestBody::Form(vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", "pinr_new-refresh-token".to_owned()),
        ])
    );
    assert!(!format!("{request:?}").contains("pinr_new-refresh-token"));
}

#[test]
fn code_exchange_sends_code_and_redirect_uri_and_optionally_continuous_refresh() {
    let request = exchange_code("abc", "http://localhost:8085/", true);
    assert_eq!(
        request.body,
        RequestBody::Form(vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", "abc".to_owned()),
            ("redirect_uri", "http://localhost:8085/".to_owned()),
            ("continuous_refresh", "true".to_owned()),
        ])
    );
}
