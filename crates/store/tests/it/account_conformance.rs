//! The account area's conformance suite (dashboard users, memberships, sessions, set-up
//! links): generic tests over [`AccountStore`] every backend must pass, stamped out per
//! backend by [`account_conformance_suite!`].

use pinsync_store::{NewSession, Store, StoreError};

/// Stamps out one `#[tokio::test]` per account conformance test for a backend.
#[macro_export]
macro_rules! account_conformance_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            $crate::account_conformance_suite!(@tests $make;
                a_login_is_unique_whatever_its_case,
                a_user_sees_only_the_workspaces_they_belong_to,
                a_session_is_found_by_its_hash_until_it_expires,
                a_session_switches_only_to_a_workspace_of_its_user,
                a_signed_out_session_is_gone,
                a_setup_link_creates_one_user_once,
                an_expired_setup_link_creates_nobody,
                a_password_can_be_replaced,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::account_conformance::$name(&*fixture).await;
            }
        )*
    };
}

crate::account_conformance_suite!(sqlite_backend, crate::sqlite::fresh_sqlite());

fn session(
    store_user: pinsync_store::DashboardUserId,
    ws: pinsync_store::WorkspaceId,
    tag: char,
    expires_at: i64,
) -> NewSession {
    NewSession {
        token_sha256: tag.to_string().repeat(64),
        user_id: store_user,
        workspace_id: ws,
        csrf_token: format!("csrf-{tag}"),
        expires_at,
    }
}

pub async fn a_login_is_unique_whatever_its_case(store: &dyn Store) {
    assert_eq!(store.count_dashboard_users().await.unwrap(), 0);
    let alice = store
        .create_dashboard_user("alice", "$argon2id$one")
        .await
        .unwrap();
    let again = store.create_dashboard_user("ALICE", "$argon2id$two").await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let found = store
        .dashboard_user_by_login("Alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, alice.id);
    assert_eq!(found.password_hash, "$argon2id$one");
    assert!(
        store
            .dashboard_user_by_login("bob")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_dashboard_users().await.unwrap(), 1);
}

pub async fn a_user_sees_only_the_workspaces_they_belong_to(store: &dyn Store) {
    let acme = store.ensure_workspace("acme").await.unwrap();
    let beta = store.ensure_workspace("beta").await.unwrap();
    store.ensure_workspace("other").await.unwrap();
    let alice = store.create_dashboard_user("alice", "h").await.unwrap();
    store.add_workspace_member(alice.id, beta.id).await.unwrap();
    store.add_workspace_member(alice.id, acme.id).await.unwrap();
    store.add_workspace_member(alice.id, acme.id).await.unwrap();
    let names: Vec<String> = store
        .workspaces_of(alice.id)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert_eq!(names, ["acme", "beta"]);
}

pub async fn a_session_is_found_by_its_hash_until_it_expires(store: &dyn Store) {
    let acme = store.ensure_workspace("acme").await.unwrap();
    let alice = store.create_dashboard_user("alice", "h").await.unwrap();
    store
        .insert_session(session(alice.id, acme.id, 'a', 1_000))
        .await
        .unwrap();
    let live = store
        .live_session(&"a".repeat(64), 999)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.login, "alice");
    assert_eq!(live.workspace_id, acme.id);
    assert_eq!(live.csrf_token, "csrf-a");
    assert!(
        store
            .live_session(&"a".repeat(64), 1_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .live_session(&"b".repeat(64), 10)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.delete_expired_sessions(1_000).await.unwrap(), 1);
    assert!(
        store
            .live_session(&"a".repeat(64), 10)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn a_session_switches_only_to_a_workspace_of_its_user(store: &dyn Store) {
    let acme = store.ensure_workspace("acme").await.unwrap();
    let beta = store.ensure_workspace("beta").await.unwrap();
    let other = store.ensure_workspace("other").await.unwrap();
    let alice = store.create_dashboard_user("alice", "h").await.unwrap();
    store.add_workspace_member(alice.id, acme.id).await.unwrap();
    store.add_workspace_member(alice.id, beta.id).await.unwrap();
    store
        .insert_session(session(alice.id, acme.id, 'a', i64::MAX))
        .await
        .unwrap();
    let token = "a".repeat(64);
    store
        .switch_session_workspace(&token, beta.id)
        .await
        .unwrap();
    assert_eq!(
        store
            .live_session(&token, 0)
            .await
            .unwrap()
            .unwrap()
            .workspace_id,
        beta.id
    );
    let refused = store.switch_session_workspace(&token, other.id).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "{refused:?}"
    );
    assert_eq!(
        store
            .live_session(&token, 0)
            .await
            .unwrap()
            .unwrap()
            .workspace_id,
        beta.id
    );
}

pub async fn a_signed_out_session_is_gone(store: &dyn Store) {
    let acme = store.ensure_workspace("acme").await.unwrap();
    let alice = store.create_dashboard_user("alice", "h").await.unwrap();
    store
        .insert_session(session(alice.id, acme.id, 'a', i64::MAX))
        .await
        .unwrap();
    store
        .insert_session(session(alice.id, acme.id, 'b', i64::MAX))
        .await
        .unwrap();
    store.delete_session(&"a".repeat(64)).await.unwrap();
    store.delete_session(&"a".repeat(64)).await.unwrap();
    assert!(
        store
            .live_session(&"a".repeat(64), 0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .live_session(&"b".repeat(64), 0)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn a_setup_link_creates_one_user_once(store: &dyn Store) {
    let token = "s".repeat(64);
    store.insert_setup_link(&token, 5_000).await.unwrap();
    assert!(store.setup_link_is_valid(&token, 100).await.unwrap());
    assert!(
        !store
            .setup_link_is_valid(&"t".repeat(64), 100)
            .await
            .unwrap()
    );
    let admin = store
        .redeem_setup_link(&token, 100, "admin", "h")
        .await
        .unwrap();
    assert_eq!(admin.unwrap().login, "admin");
    assert!(!store.setup_link_is_valid(&token, 100).await.unwrap());
    let twice = store
        .redeem_setup_link(&token, 101, "mallory", "h")
        .await
        .unwrap();
    assert!(twice.is_none());
    assert!(
        store
            .dashboard_user_by_login("mallory")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_dashboard_users().await.unwrap(), 1);
}

pub async fn an_expired_setup_link_creates_nobody(store: &dyn Store) {
    let token = "s".repeat(64);
    store.insert_setup_link(&token, 5_000).await.unwrap();
    assert!(!store.setup_link_is_valid(&token, 5_000).await.unwrap());
    let late = store
        .redeem_setup_link(&token, 5_000, "admin", "h")
        .await
        .unwrap();
    assert!(late.is_none());
    assert_eq!(store.count_dashboard_users().await.unwrap(), 0);
}

pub async fn a_password_can_be_replaced(store: &dyn Store) {
    let alice = store.create_dashboard_user("alice", "old").await.unwrap();
    store.set_dashboard_password(alice.id, "new").await.unwrap();
    let found = store
        .dashboard_user_by_login("alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.password_hash, "new");
}
