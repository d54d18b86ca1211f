//! Integrations and token verification elsewhere: service accounts with API keys, and the
//! published signing keys another service follows to verify tokens offline.

use std::time::Duration;

use breakroom_directory::{auth::KeySet, signing_keys};
use breakroom_proto::identity::v1 as pb;
use breakroom_testing::eventually;
use tonic::Code;

use crate::support::*;

fn api_key_login(tenant: &str, key: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        tenant: format!("tenants/{tenant}"),
        credential: Some(pb::login_request::Credential::ApiKey(key.into())),
        device_class: pb::DeviceClass::Api as i32,
        client_version: "wfm-connector/1.2".into(),
        request_id: uuid(),
    }
}

#[tokio::test]
async fn a_service_account_logs_in_with_its_key_manages_stores_and_stops_working_when_deleted() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("picnic").await;
    let created = id
        .identity
        .clone()
        .create_service_account(bearer(
            &admin.access,
            pb::CreateServiceAccountRequest {
                parent: "tenants/picnic".into(),
                service_account: Some(pb::ServiceAccount {
                    display_name: "WFM roster import".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(created.api_key.starts_with("brk1.picnic."));
    let account = created.service_account.unwrap();

    let login = id
        .auth
        .clone()
        .login(api_key_login("picnic", &created.api_key))
        .await
        .unwrap()
        .into_inner();
    assert!(login.refresh_token.is_empty() && login.session.is_empty());
    let store = id.store("picnic", "P-1", &login.access_token).await;
    assert_eq!(store.store_code, "P-1");
    // An integration cannot mint more credentials.
    let denied = id
        .identity
        .clone()
        .create_service_account(bearer(
            &login.access_token,
            pb::CreateServiceAccountRequest {
                parent: "tenants/picnic".into(),
                service_account: Some(pb::ServiceAccount {
                    display_name: "Another".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let mut forged = created.api_key.clone();
    let last = if forged.ends_with('A') { 'B' } else { 'A' };
    forged.pop();
    forged.push(last);
    let wrong = id
        .auth
        .clone()
        .login(api_key_login("picnic", &forged))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);

    id.identity
        .clone()
        .delete_service_account(bearer(
            &admin.access,
            pb::DeleteServiceAccountRequest {
                name: account.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let key = id
        .auth
        .clone()
        .login(api_key_login("picnic", &created.api_key))
        .await
        .unwrap_err();
    assert_eq!(key.code(), Code::Unauthenticated);
    let token = id
        .identity
        .clone()
        .get_tenant(bearer(
            &login.access_token,
            pb::GetTenantRequest {
                name: "tenants/picnic".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(token.code(), Code::Unauthenticated);

    let events = event_types(
        &id.recorded(&format!("service_account.picnic.{}", id_of(&account.name)))
            .await,
    );
    assert_eq!(
        events
            .iter()
            .filter(|t| t.ends_with(".UserLoggedIn"))
            .count(),
        1,
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|t| t.ends_with(".LoginFailed"))
            .count(),
        2,
        "{events:?}"
    );
}

#[tokio::test]
async fn the_signing_key_is_published_and_another_service_verifies_tokens_with_it_offline() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("jan-linders").await;
    let keys = eventually(Duration::from_secs(10), || async {
        let keys = id
            .auth
            .clone()
            .get_signing_keys(pb::GetSigningKeysRequest {})
            .await
            .unwrap()
            .into_inner()
            .keys;
        (!keys.is_empty()).then_some(keys)
    })
    .await;
    let kid = jsonwebtoken::decode_header(&admin.access)
        .unwrap()
        .kid
        .unwrap();
    assert_eq!(keys[0].kid, kid);
    assert!(keys[0].not_after.unwrap().seconds > keys[0].not_before.unwrap().seconds);

    // "Another service": an empty key set that follows identity's events.
    let follower = KeySet::new();
    let cancel = tokio_util::sync::CancellationToken::new();
    let js = async_nats::jetstream::new(id.env.nats().await);
    signing_keys::follow(
        js,
        id.env.namespace.clone(),
        follower.clone(),
        cancel.clone(),
    );
    let principal = eventually(Duration::from_secs(10), || {
        let follower = follower.clone();
        let token = admin.access.clone();
        async move { follower.verify(&token).ok() }
    })
    .await;
    assert_eq!(principal.tenant, "jan-linders");
    assert_eq!(principal.user, id_of(&admin.user));
    cancel.cancel();
}

#[tokio::test]
async fn every_login_is_recorded_with_device_class_and_client_version() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("boni").await;
    let commits = id
        .recorded(&format!("user.boni.{}", id_of(&admin.user)))
        .await;
    let logged_in = commits
        .iter()
        .flat_map(|c| c.events::<pb::UserEvent>().unwrap())
        .find_map(|e| match e.event {
            Some(pb::user_event::Event::LoggedIn(logged_in)) => Some(logged_in),
            _ => None,
        })
        .expect("login event");
    assert_eq!(logged_in.device_class, pb::DeviceClass::MobileApp as i32);
    assert_eq!(logged_in.client_version, "ios/3.4.1");
    assert_eq!(logged_in.source_address, "127.0.0.1");
    assert_eq!(
        format!("{}/sessions/{}", admin.user, logged_in.session_id),
        admin.session
    );
}
