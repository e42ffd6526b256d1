//! Wire-shape tests against the reference's real request and response bodies.

use serde_json::json;

use super::*;

#[test]
fn create_customer_list_serializes_to_the_reference_body() {
    let body = CreateCustomerList {
        name: "Nango Dryrun List 2026-07-09T10-40-46".into(),
        records: Records::join(["dryrun1@example.com", "dryrun2@example.com"]),
        list_type: None,
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"name":"Nango Dryrun List 2026-07-09T10-40-46","records":"dryrun1@example.com,dryrun2@example.com"})
    );
}

#[test]
fn patch_customer_list_serializes_records_as_one_comma_joined_string() {
    let body = UpdateCustomerList {
        operation_type: ListOperation::Add,
        records: Records::join(vec![
            "testadd1@example.com".to_owned(),
            "testadd2@example.com".to_owned(),
        ]),
    };
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"operation_type":"ADD","records":"testadd1@example.com,testadd2@example.com"}"#
    );
    let remove = UpdateCustomerList {
        operation_type: ListOperation::Remove,
        records: Records::join(["a@b.c"]),
    };
    assert_eq!(
        serde_json::to_value(&remove).unwrap()["operation_type"],
        "REMOVE"
    );
}

#[test]
fn records_debug_shows_only_the_count() {
    let records = Records::join(["secret@example.com", "other@example.com"]);
    assert_eq!(format!("{records:?}"), "Records(2 redacted)");
}

#[test]
fn customer_list_response_from_the_reference_decodes() {
    let body = r#"{"ad_account_id":"549770573673","created_time":1783587306,"id":"4189731",
 "name":"Nango Seed Delete Customer List One","num_batches":3,"num_removed_user_records":0,
 "num_uploaded_user_records":6,"type":"customerlist","updated_time":1783594206,
 "exceptions":{},"status":"PROCESSING"}"#;
    let list: CustomerList = serde_json::from_str(body).unwrap();
    assert_eq!(list.id, "4189731");
    assert_eq!(list.num_batches, 3);
    assert_eq!(list.num_uploaded_user_records, 6);
    assert_eq!(list.created_time, Some(1_783_587_306));
    assert_eq!(list.status, "PROCESSING");
}

#[test]
fn create_audience_serializes_to_the_reference_body() {
    let body = CreateAudience {
        name: "Braze - VIP buyers".into(),
        audience_type: AudienceType::CustomerList,
        rule: AudienceRule {
            customer_list_id: Some("4189755".into()),
        },
        description: Some("synced by Canvas".into()),
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"name":"Braze - VIP buyers","audience_type":"CUSTOMER_LIST",
               "rule":{"customer_list_id":"4189755"},"description":"synced by Canvas"})
    );
}

#[test]
fn audience_response_from_the_reference_decodes() {
    let body = r#"{"type":"audience","id":"2542623499806","name":"Braze - VIP buyers","ad_account_id":"549770573673",
 "audience_type":"CUSTOMER_LIST","description":"synced by Canvas","status":"INITIALIZING","size":0,
 "created_timestamp":1783594220,"updated_timestamp":1783594221,
 "rule":{"customer_list_id":"4189755"},"created_by_company_name":null,"is_nca":false}"#;
    let audience: Audience = serde_json::from_str(body).unwrap();
    assert_eq!(audience.id, "2542623499806");
    assert_eq!(audience.rule.customer_list_id.as_deref(), Some("4189755"));
    assert_eq!(audience.size, Some(0));
    assert_eq!(audience.status.as_deref(), Some("INITIALIZING"));
}

#[test]
fn ad_account_page_from_the_reference_decodes_with_a_null_bookmark() {
    let body = r#"{"items":[{"id":"549770573673","name":"Nango Seed Ad Account",
  "owner":{"username":"nangodeveloper","id":"1099300727702429065"},
  "country":"US","currency":"USD","permissions":["OWNER"],
  "created_time":1783586335,"updated_time":1783586335}],
 "bookmark":null}"#;
    let page: Page<AdAccount> = serde_json::from_str(body).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].permissions, ["OWNER"]);
    assert_eq!(page.bookmark, None);
    assert_eq!(PageRequest::first(25).next(&page), None);
}

#[test]
fn next_page_request_carries_the_bookmark_and_size() {
    let page: Page<AdAccount> = serde_json::from_str(r#"{"items":[],"bookmark":"b2"}"#).unwrap();
    let next = PageRequest::first(10).next(&page).unwrap();
    assert_eq!(next.bookmark.as_deref(), Some("b2"));
    assert_eq!(next.page_size, Some(10));
}

#[test]
fn token_response_accepts_string_expires_in_from_pinterests_own_mock() {
    let body = r#"{"access_token":"pina_new-access-token","refresh_token":"pinr_new-refresh-token",
      "response_type":"refresh_token","token_type":"bearer","expires_in":"2592000",
      "refresh_token_expires_in":31536000,"scope":"users:read,pins:read,boards:read"}"#;
    let token: TokenResponse = serde_json::from_str(body).unwrap();
    assert_eq!(token.expires_in, 2_592_000);
    assert_eq!(token.access_token.expose(), "pina_new-access-token");
    assert_eq!(token.scopes(), ["users:read", "pins:read", "boards:read"]);
}

#[test]
fn user_account_from_the_reference_decodes() {
    let body = r#"{"id":"1099300727702429065","username":"nangodeveloper","account_type":"BUSINESS",
 "business_name":"NangoDeveloper","profile_image":"https://s.pinimg.com/images/user/default_600.png",
 "website_url":"","about":"","follower_count":0,"following_count":0,"monthly_views":-1,
 "pin_count":3,"board_count":3}"#;
    let account: UserAccount = serde_json::from_str(body).unwrap();
    assert_eq!(account.username, "nangodeveloper");
    assert_eq!(account.account_type.as_deref(), Some("BUSINESS"));
}
