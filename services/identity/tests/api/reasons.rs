//! Refusals name their rule in `ErrorInfo.reason`, and the rule is the one the protos
//! document for the method, so clients can branch on it.

use breakroom_proto::identity::v1 as pb;
use tonic::{Code, Status};

use crate::support::*;

/// Asserts `code` with `reason`, documented for `rpc`.
fn answers<T: std::fmt::Debug>(
    rpc: &str,
    code: Code,
    reason: &str,
    result: Result<tonic::Response<T>, Status>,
) {
    let status = result.expect_err(rpc);
    assert_eq!(status.code(), code, "{rpc}: {status:?}");
    assert_eq!(reason_of(&status), reason, "{rpc}: {status:?}");
    assert!(
        documented_reasons(rpc).iter().any(|r| r == reason),
        "{rpc} does not document {reason}: {:?}",
        documented_reasons(rpc)
    );
}

#[tokio::test]
async fn refusals_carry_the_reasons_their_methods_document() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("vomar").await;
    let store = id.store("vomar", "V-1", &admin.access).await;
    let invited = id
        .invite(
            "vomar",
            "mgr@vomar.example",
            vec![role_in(&store.name, pb::Role::StoreManager)],
            &admin.access,
        )
        .await
        .unwrap();
    let manager = id
        .activate_and_login("vomar", "mgr@vomar.example", &invited.invite_code)
        .await;
    let mut identity = id.identity.clone();

    answers(
        "CreateTenant",
        Code::AlreadyExists,
        "TENANT_EXISTS",
        identity
            .create_tenant(as_operator(pb::CreateTenantRequest {
                tenant_id: "vomar".into(),
                tenant: Some(pb::Tenant {
                    display_name: "Again".into(),
                    time_zone: "UTC".into(),
                    locale: "nl".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            }))
            .await,
    );
    answers(
        "CreateStore",
        Code::AlreadyExists,
        "STORE_CODE_TAKEN",
        identity
            .create_store(bearer(
                &admin.access,
                pb::CreateStoreRequest {
                    parent: "tenants/vomar".into(),
                    store: Some(pb::Store {
                        display_name: "Twin".into(),
                        store_code: "v-1".into(),
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await,
    );
    answers(
        "InviteUser",
        Code::AlreadyExists,
        "EMAIL_TAKEN",
        id.invite("vomar", "mgr@vomar.example", vec![], &admin.access)
            .await
            .map(tonic::Response::new),
    );
    answers(
        "InviteUser",
        Code::PermissionDenied,
        "ROLE_NOT_GRANTABLE",
        id.invite(
            "vomar",
            "deputy@vomar.example",
            vec![role_in(&store.name, pb::Role::StoreManager)],
            &manager.access,
        )
        .await
        .map(tonic::Response::new),
    );
    answers(
        "DeactivateUser",
        Code::PermissionDenied,
        "OUTRANKED",
        identity
            .deactivate_user(bearer(
                &manager.access,
                pb::DeactivateUserRequest {
                    name: admin.user.clone(),
                    request_id: uuid(),
                },
            ))
            .await,
    );
    answers(
        "RevokeRole",
        Code::FailedPrecondition,
        "MEMBERSHIP_NOT_HELD",
        identity
            .revoke_role(bearer(
                &admin.access,
                pb::RevokeRoleRequest {
                    name: manager.user.clone(),
                    membership: Some(role_in(&store.name, pb::Role::TeamLead)),
                    request_id: uuid(),
                },
            ))
            .await,
    );
    identity
        .deactivate_user(bearer(
            &admin.access,
            pb::DeactivateUserRequest {
                name: manager.user.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    answers(
        "GrantRole",
        Code::FailedPrecondition,
        "USER_DEACTIVATED",
        identity
            .grant_role(bearer(
                &admin.access,
                pb::GrantRoleRequest {
                    name: manager.user.clone(),
                    membership: Some(role_in(&store.name, pb::Role::TeamLead)),
                    request_id: uuid(),
                },
            ))
            .await,
    );

    // An integration has no session to log out of and mints no credentials.
    let key = identity
        .create_service_account(bearer(
            &admin.access,
            pb::CreateServiceAccountRequest {
                parent: "tenants/vomar".into(),
                service_account: Some(pb::ServiceAccount {
                    display_name: "WFM".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .api_key;
    let wfm = id
        .auth
        .clone()
        .login(pb::LoginRequest {
            tenant: "tenants/vomar".into(),
            credential: Some(pb::login_request::Credential::ApiKey(key)),
            device_class: pb::DeviceClass::Api as i32,
            client_version: "wfm/1".into(),
            request_id: uuid(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token;
    answers(
        "Logout",
        Code::FailedPrecondition,
        "NO_SESSION",
        id.auth
            .clone()
            .logout(bearer(&wfm, pb::LogoutRequest { request_id: uuid() }))
            .await,
    );
    answers(
        "CreateServiceAccount",
        Code::PermissionDenied,
        "HQ_ADMIN_ONLY",
        identity
            .create_service_account(bearer(
                &wfm,
                pb::CreateServiceAccountRequest {
                    parent: "tenants/vomar".into(),
                    service_account: Some(pb::ServiceAccount {
                        display_name: "Another".into(),
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            ))
            .await,
    );
}
