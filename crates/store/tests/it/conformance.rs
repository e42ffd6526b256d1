//! The conformance suite: generic tests over [`Store`] that every backend must pass.
//!
//! Each test takes a freshly migrated, empty store. A backend runs the whole suite by invoking
//! [`conformance_suite!`] with an async expression that builds such a store.

use pinsync_store::{FieldUpdate, NewApiKey, Store, StoredIdentifier, UserUpsert, WorkspaceId};
use serde_json::json;

/// Stamps out one `#[tokio::test]` per conformance test for a backend.
#[macro_export]
macro_rules! conformance_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            $crate::conformance_suite!(@tests $make;
                migrating_twice_applies_nothing_the_second_time,
                ensure_workspace_is_idempotent,
                api_keys_resolve_to_their_workspace_only,
                upserted_users_read_back_with_their_identifiers,
                upserts_merge_fields_and_attributes,
                an_upsert_counts_created_and_updated_users,
                workspaces_do_not_see_each_others_users,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::conformance::$name(&*fixture).await;
            }
        )*
    };
}

pub async fn migrating_twice_applies_nothing_the_second_time(store: &dyn Store) {
    assert!(store.migrate().await.unwrap().is_empty());
    store.ping().await.unwrap();
}

pub async fn ensure_workspace_is_idempotent(store: &dyn Store) {
    let first = store.ensure_workspace("acme").await.unwrap();
    let second = store.ensure_workspace("acme").await.unwrap();
    assert_eq!(first, second);
    let found = store.workspace_by_name("acme").await.unwrap().unwrap();
    assert_eq!(found.id, first.id);
    assert!(store.workspace_by_name("nobody").await.unwrap().is_none());
}

pub async fn api_keys_resolve_to_their_workspace_only(store: &dyn Store) {
    let acme = store.ensure_workspace("acme").await.unwrap();
    let key = NewApiKey {
        workspace_id: acme.id,
        key_sha256: "a".repeat(64),
        key_prefix: "psk_aaaaaa".into(),
    };
    store.insert_api_key(key.clone()).await.unwrap();
    assert_eq!(
        store.workspace_for_api_key(&"a".repeat(64)).await.unwrap(),
        Some(acme.id)
    );
    assert_eq!(
        store.workspace_for_api_key(&"b".repeat(64)).await.unwrap(),
        None
    );
    assert!(
        store.insert_api_key(key).await.is_err(),
        "a key hash is unique"
    );
}

fn hash(c: char) -> String {
    c.to_string().repeat(64)
}

pub async fn upserted_users_read_back_with_their_identifiers(store: &dyn Store) {
    let ws = store.ensure_workspace("acme").await.unwrap().id;
    let user = UserUpsert {
        external_id: "u1".into(),
        email: FieldUpdate::Set(StoredIdentifier::valid(hash('e'))),
        gaid: FieldUpdate::Set(StoredIdentifier::rejected("zero_id")),
        ad_tracking_enabled: FieldUpdate::Set(false),
        attributes: json!({"plan": "gold", "ltv": 12.5})
            .as_object()
            .unwrap()
            .clone(),
        ..UserUpsert::default()
    };
    store.upsert_users(ws, vec![user]).await.unwrap();
    let profile = store.user(ws, "u1").await.unwrap().unwrap();
    assert_eq!(profile.email, StoredIdentifier::valid(hash('e')));
    assert_eq!(profile.gaid, StoredIdentifier::rejected("zero_id"));
    assert_eq!(profile.idfa, StoredIdentifier::missing());
    assert!(!profile.ad_tracking_enabled);
    assert_eq!(profile.attributes["plan"], json!("gold"));
    assert_eq!(profile.attributes["ltv"], json!(12.5));
    assert!(store.user(ws, "u2").await.unwrap().is_none());
}

pub async fn upserts_merge_fields_and_attributes(store: &dyn Store) {
    let ws = store.ensure_workspace("acme").await.unwrap().id;
    let first = UserUpsert {
        external_id: "u1".into(),
        email: FieldUpdate::Set(StoredIdentifier::valid(hash('e'))),
        idfa: FieldUpdate::Set(StoredIdentifier::valid(hash('f'))),
        attributes: json!({"a": 1, "b": 2}).as_object().unwrap().clone(),
        ..UserUpsert::default()
    };
    let second = UserUpsert {
        external_id: "u1".into(),
        idfa: FieldUpdate::Clear,
        gaid: FieldUpdate::Set(StoredIdentifier::valid(hash('d'))),
        attributes: json!({"a": null, "c": 3}).as_object().unwrap().clone(),
        ..UserUpsert::default()
    };
    store.upsert_users(ws, vec![first]).await.unwrap();
    store.upsert_users(ws, vec![second]).await.unwrap();
    let profile = store.user(ws, "u1").await.unwrap().unwrap();
    assert_eq!(profile.email, StoredIdentifier::valid(hash('e')), "kept");
    assert_eq!(profile.idfa, StoredIdentifier::missing(), "cleared");
    assert_eq!(profile.gaid, StoredIdentifier::valid(hash('d')), "set");
    assert!(profile.ad_tracking_enabled, "defaults to enabled");
    assert_eq!(json!(profile.attributes), json!({"b": 2, "c": 3}));
    assert!(profile.updated_at >= profile.created_at);
}

pub async fn an_upsert_counts_created_and_updated_users(store: &dyn Store) {
    let ws = store.ensure_workspace("acme").await.unwrap().id;
    let user = |id: &str| UserUpsert {
        external_id: id.into(),
        ..UserUpsert::default()
    };
    let summary = store
        .upsert_users(ws, vec![user("a"), user("b")])
        .await
        .unwrap();
    assert_eq!((summary.created, summary.updated), (2, 0));
    let summary = store
        .upsert_users(ws, vec![user("b"), user("c"), user("c")])
        .await
        .unwrap();
    assert_eq!((summary.created, summary.updated), (1, 2));
    assert_eq!(store.count_users(ws).await.unwrap(), 3);
}

pub async fn workspaces_do_not_see_each_others_users(store: &dyn Store) {
    let acme = store.ensure_workspace("acme").await.unwrap().id;
    let other = store.ensure_workspace("other").await.unwrap().id;
    let user = UserUpsert {
        external_id: "u1".into(),
        ..UserUpsert::default()
    };
    store.upsert_users(acme, vec![user]).await.unwrap();
    assert!(store.user(other, "u1").await.unwrap().is_none());
    assert_eq!(store.count_users(other).await.unwrap(), 0);
    assert_eq!(store.count_users(WorkspaceId(i64::MAX)).await.unwrap(), 0);
}
