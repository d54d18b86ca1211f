//! The life of an employee's account: invite, activate, log in, refresh, log out, leave.

use std::time::Duration;

use breakroom_proto::identity::v1 as pb;
use breakroom_testing::eventually;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn an_invited_employee_activates_logs_in_refreshes_and_a_replayed_refresh_token_ends_the_session()
 {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("jumbo").await;
    let store = id.store("jumbo", "J-001", &admin.access).await;

    let invited = id
        .invite(
            "jumbo",
            "anna@jumbo.example",
            vec![role_in(&store.name, pb::Role::Employee)],
            &admin.access,
        )
        .await
        .unwrap();
    assert_eq!(
        invited.user.as_ref().unwrap().state,
        pb::user::State::Invited as i32
    );
    assert_eq!(invited.invite_code.len(), 19, "XXXX-XXXX-XXXX-XXXX");
    let anna = id
        .activate_and_login("jumbo", "anna@jumbo.example", &invited.invite_code)
        .await;

    // An authenticated call with the access token, after the activation (its token: the
    // read model may not have applied it yet otherwise).
    let mut request = bearer(
        &anna.access,
        pb::GetUserRequest {
            name: anna.user.clone(),
        },
    );
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", anna.activated.parse().unwrap());
    let me = id
        .identity
        .clone()
        .get_user(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.state, pb::user::State::Active as i32);
    assert_eq!(me.email, "anna@jumbo.example");
    assert_eq!(me.memberships[0].store, store.name);

    // Refresh rotates.
    let refreshed = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: anna.refresh.clone(),
            request_id: uuid(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(refreshed.refresh_token, anna.refresh);
    id.identity
        .clone()
        .get_user(bearer(
            &refreshed.access_token,
            pb::GetUserRequest {
                name: anna.user.clone(),
            },
        ))
        .await
        .unwrap();

    // The old refresh token again: the whole family is revoked.
    let replay = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: anna.refresh.clone(),
            request_id: uuid(),
        })
        .await
        .unwrap_err();
    assert_eq!(replay.code(), Code::Unauthenticated);
    assert!(replay.message().contains("already used"), "{replay:?}");
    let newest = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: refreshed.refresh_token,
            request_id: uuid(),
        })
        .await
        .unwrap_err();
    assert_eq!(newest.code(), Code::Unauthenticated);
    let access = id
        .identity
        .clone()
        .get_user(bearer(
            &refreshed.access_token,
            pb::GetUserRequest {
                name: anna.user.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        access.code(),
        Code::Unauthenticated,
        "the session's access tokens die with it"
    );
}

#[tokio::test]
async fn a_retried_refresh_with_the_same_request_id_is_answered_again_not_taken_for_reuse() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("plus").await;
    let request = pb::RefreshTokenRequest {
        refresh_token: admin.refresh.clone(),
        request_id: uuid(),
    };
    let first = id
        .auth
        .clone()
        .refresh_token(request.clone())
        .await
        .unwrap()
        .into_inner();
    let retry = id
        .auth
        .clone()
        .refresh_token(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.refresh_token, retry.refresh_token);
    id.auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: first.refresh_token,
            request_id: uuid(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn deactivating_an_employee_ends_their_sessions_refresh_and_logins_at_once() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("spar").await;
    let store = id.store("spar", "S-1", &admin.access).await;
    let ben = id
        .employee("spar", &store.name, "ben@spar.example", &admin.access)
        .await;

    let deactivated = id
        .identity
        .clone()
        .deactivate_user(bearer(
            &admin.access,
            pb::DeactivateUserRequest {
                name: ben.user.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deactivated.state, pb::user::State::Deactivated as i32);

    let call = id
        .identity
        .clone()
        .get_tenant(bearer(
            &ben.access,
            pb::GetTenantRequest {
                name: "tenants/spar".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(call.code(), Code::Unauthenticated);
    let refresh = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: ben.refresh,
            request_id: uuid(),
        })
        .await
        .unwrap_err();
    assert_eq!(refresh.code(), Code::Unauthenticated);
    let login = id
        .login("spar", "ben@spar.example", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(login.code(), Code::Unauthenticated);
    let sessions = eventually(Duration::from_secs(5), || async {
        let listed = id
            .auth
            .clone()
            .list_sessions(bearer(
                &admin.access,
                pb::ListSessionsRequest {
                    parent: ben.user.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        listed.sessions.is_empty().then_some(listed)
    })
    .await;
    assert!(sessions.next_page_token.is_empty());
}

#[tokio::test]
async fn users_list_and_revoke_their_sessions_and_logout_ends_the_current_one() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("coop").await;
    let second = id.login("coop", "hq@coop.example", PASSWORD).await.unwrap();

    let mut request = bearer(
        &admin.access,
        pb::ListSessionsRequest {
            parent: admin.user.clone(),
            ..Default::default()
        },
    );
    let listed = eventually(Duration::from_secs(5), || {
        let request = bearer(
            &admin.access,
            pb::ListSessionsRequest {
                parent: admin.user.clone(),
                ..Default::default()
            },
        );
        let mut auth = id.auth.clone();
        async move {
            let sessions = auth
                .list_sessions(request)
                .await
                .unwrap()
                .into_inner()
                .sessions;
            (sessions.len() == 2).then_some(sessions)
        }
    })
    .await;
    assert_eq!(listed[0].name, second.session, "newest first");
    assert_eq!(listed[0].device_class, pb::DeviceClass::MobileApp as i32);
    assert_eq!(listed[0].client_version, "ios/3.4.1");
    request.get_mut().page_size = 1;
    let page = id
        .auth
        .clone()
        .list_sessions(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.sessions.len(), 1);
    assert!(!page.next_page_token.is_empty());

    id.auth
        .clone()
        .revoke_session(bearer(
            &admin.access,
            pb::RevokeSessionRequest {
                name: second.session.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let revoked = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: second.refresh_token,
            request_id: uuid(),
        })
        .await
        .unwrap_err();
    assert_eq!(revoked.code(), Code::Unauthenticated);

    id.auth
        .clone()
        .logout(bearer(
            &admin.access,
            pb::LogoutRequest { request_id: uuid() },
        ))
        .await
        .unwrap();
    let after = id
        .identity
        .clone()
        .get_tenant(bearer(
            &admin.access,
            pb::GetTenantRequest {
                name: "tenants/coop".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(after.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn an_invite_code_works_once_and_can_be_typed_sloppily() {
    let id = Identity::spawn().await;
    id.tenant("dirk").await;
    let invited = id
        .invite("dirk", "cem@dirk.example", vec![hq_admin()], OPERATOR)
        .await
        .unwrap();
    let sloppy = invited.invite_code.to_lowercase().replace('-', " ");
    id.auth_activate("dirk", &sloppy, PASSWORD).await.unwrap();
    let again = id
        .auth_activate("dirk", &invited.invite_code, PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&again), ["invite_code"]);
}

#[tokio::test]
async fn store_managers_invite_into_their_own_store_only() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("vomar").await;
    let mine = id.store("vomar", "V-1", &admin.access).await;
    let other = id.store("vomar", "V-2", &admin.access).await;
    let invited = id
        .invite(
            "vomar",
            "mgr@vomar.example",
            vec![role_in(&mine.name, pb::Role::StoreManager)],
            &admin.access,
        )
        .await
        .unwrap();
    let manager = id
        .activate_and_login("vomar", "mgr@vomar.example", &invited.invite_code)
        .await;

    id.invite(
        "vomar",
        "e1@vomar.example",
        vec![role_in(&mine.name, pb::Role::Employee)],
        &manager.access,
    )
    .await
    .unwrap();
    let elsewhere = id
        .invite(
            "vomar",
            "e2@vomar.example",
            vec![role_in(&other.name, pb::Role::Employee)],
            &manager.access,
        )
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::PermissionDenied);
    let promote = id
        .invite(
            "vomar",
            "e3@vomar.example",
            vec![role_in(&mine.name, pb::Role::StoreManager)],
            &manager.access,
        )
        .await
        .unwrap_err();
    assert_eq!(promote.code(), Code::PermissionDenied);

    // Employees see colleagues, but not their contact details.
    let employee = id
        .employee("vomar", &mine.name, "e4@vomar.example", &admin.access)
        .await;
    let listed = id
        .identity
        .clone()
        .list_users(bearer(
            &employee.access,
            pb::ListUsersRequest {
                parent: "tenants/vomar".into(),
                store: mine.name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.users.len() >= 2);
    for user in &listed.users {
        if user.name != employee.user {
            assert!(user.email.is_empty(), "{user:?}");
        }
    }
}
