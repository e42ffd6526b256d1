//! Every API call through real HTTP against the sandbox, with the reference's bodies.

use pinsync_pinterest::models::{
    AudienceOperation, AudienceRule, AudienceType, CreateAudience, CreateCustomerList,
    ListOperation, OwnershipType, Records, UpdateAudience, UpdateCustomerList,
};
use pinsync_pinterest::{PageRequest, RateCategory};

use crate::harness::{ALICE_MAIN_ACCOUNT, spawn_app};

fn reference_list() -> CreateCustomerList {
    CreateCustomerList {
        name: "Nango Dryrun List 2026-07-09T10-40-46".into(),
        records: Records::join(["dryrun1@example.com", "dryrun2@example.com"]),
        list_type: None,
    }
}

#[tokio::test]
async fn user_account_names_the_connected_user_and_keeps_the_request_id() {
    let app = spawn_app().await;

    let response = app.connection.user_account().await.unwrap();

    assert_eq!(response.value.username, "sandbox-alice");
    assert_eq!(response.value.id.as_deref(), Some("1099300727702429001"));
    assert!(response.request_id.is_some_and(|rid| !rid.is_empty()));
}

#[tokio::test]
async fn ad_accounts_are_paged_with_bookmarks_until_the_bookmark_is_null() {
    let app = spawn_app().await;

    let first = app
        .connection
        .list_ad_accounts(&PageRequest::first(1))
        .await
        .unwrap()
        .value;
    assert_eq!(first.items.len(), 1);
    assert!(first.bookmark.is_some(), "alice has two accounts");

    let all = app.connection.list_all_ad_accounts(1).await.unwrap();
    let mut ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["549770573673", "549770573674"]);
    assert_eq!(all[0].id, first.items[0].id);
    assert!(all.iter().all(|a| a.permissions == ["OWNER"]));
}

#[tokio::test]
async fn get_ad_account_returns_the_seeded_account() {
    let app = spawn_app().await;

    let account = app
        .connection
        .get_ad_account(ALICE_MAIN_ACCOUNT)
        .await
        .unwrap()
        .value;

    assert_eq!(account.name, "Alice Main Account");
    assert_eq!(account.currency.as_deref(), Some("USD"));
}

#[tokio::test]
async fn customer_lists_are_created_read_listed_and_patched_with_comma_joined_records() {
    let app = spawn_app().await;
    let created = app
        .connection
        .create_customer_list(ALICE_MAIN_ACCOUNT, &reference_list())
        .await
        .unwrap()
        .value;
    assert_eq!(created.name, "Nango Dryrun List 2026-07-09T10-40-46");
    assert_eq!(created.num_uploaded_user_records, 2);
    assert_eq!(created.num_batches, 1);

    let add = UpdateCustomerList {
        operation_type: ListOperation::Add,
        records: Records::join(["testadd1@example.com", "testadd2@example.com"]),
    };
    let added = app
        .connection
        .update_customer_list(ALICE_MAIN_ACCOUNT, &created.id, &add)
        .await
        .unwrap()
        .value;
    assert_eq!(added.num_batches, 2);
    assert_eq!(added.num_uploaded_user_records, 4);

    let remove = UpdateCustomerList {
        operation_type: ListOperation::Remove,
        records: Records::join(["dryrun1@example.com"]),
    };
    let removed = app
        .connection
        .update_customer_list(ALICE_MAIN_ACCOUNT, &created.id, &remove)
        .await
        .unwrap()
        .value;
    assert_eq!(removed.num_removed_user_records, 1);

    let members = app.sandbox().list_members(&created.id).unwrap();
    let members: Vec<&str> = members.iter().map(String::as_str).collect();
    assert_eq!(
        members,
        [
            "dryrun2@example.com",
            "testadd1@example.com",
            "testadd2@example.com"
        ]
    );

    let fetched = app
        .connection
        .get_customer_list(ALICE_MAIN_ACCOUNT, &created.id)
        .await
        .unwrap()
        .value;
    assert_eq!(fetched.num_batches, 3);
    let listed = app
        .connection
        .list_customer_lists(ALICE_MAIN_ACCOUNT, &PageRequest::first(25))
        .await
        .unwrap()
        .value;
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].id, created.id);
    assert_eq!(listed.bookmark, None);
}

#[tokio::test]
async fn audiences_are_created_paged_updated_and_removed() {
    let app = spawn_app().await;
    let list = app
        .connection
        .create_customer_list(ALICE_MAIN_ACCOUNT, &reference_list())
        .await
        .unwrap()
        .value;
    let mut created_ids = Vec::new();
    for name in ["VIP buyers", "Lapsed", "Suppression"] {
        let body = CreateAudience {
            name: name.into(),
            audience_type: AudienceType::CustomerList,
            rule: AudienceRule {
                customer_list_id: Some(list.id.clone()),
            },
            description: Some("synced by Canvas".into()),
        };
        let audience = app
            .connection
            .create_audience(ALICE_MAIN_ACCOUNT, &body)
            .await
            .unwrap()
            .value;
        assert_eq!(audience.audience_type, "CUSTOMER_LIST");
        assert_eq!(
            audience.rule.customer_list_id.as_deref(),
            Some(list.id.as_str())
        );
        created_ids.push(audience.id);
    }

    let first_page = app
        .connection
        .list_audiences(
            ALICE_MAIN_ACCOUNT,
            &PageRequest::first(2),
            Some(OwnershipType::Owned),
        )
        .await
        .unwrap()
        .value;
    assert_eq!(first_page.items.len(), 2);
    assert!(first_page.bookmark.is_some());
    let all = app
        .connection
        .list_all_audiences(ALICE_MAIN_ACCOUNT, 2, Some(OwnershipType::Owned))
        .await
        .unwrap();
    let mut listed: Vec<String> = all.into_iter().map(|a| a.id).collect();
    listed.sort();
    created_ids.sort();
    assert_eq!(listed, created_ids);

    let audience_id = &created_ids[0];
    let rename = UpdateAudience {
        operation_type: AudienceOperation::Update,
        name: Some("VIP buyers (renamed)".into()),
        description: None,
        rule: None,
    };
    let renamed = app
        .connection
        .update_audience(ALICE_MAIN_ACCOUNT, audience_id, &rename)
        .await
        .unwrap()
        .value;
    assert_eq!(renamed.name, "VIP buyers (renamed)");
    let fetched = app
        .connection
        .get_audience(ALICE_MAIN_ACCOUNT, audience_id)
        .await
        .unwrap()
        .value;
    assert_eq!(fetched.name, "VIP buyers (renamed)");

    let remove = UpdateAudience {
        operation_type: AudienceOperation::Remove,
        name: None,
        description: None,
        rule: None,
    };
    app.connection
        .update_audience(ALICE_MAIN_ACCOUNT, audience_id, &remove)
        .await
        .unwrap();
    let writes_used = app
        .limiter
        .usage()
        .windows
        .iter()
        .filter(|w| {
            w.scope == pinsync_pinterest::limiter::LimitScope::Category(RateCategory::AdsWrite)
        })
        .map(|w| w.used)
        .max();
    assert_eq!(writes_used, Some(6), "1 list + 3 audiences + 2 patches");
}
