//! Hostile input found by fuzzing every RPC: ambiguous credentials are refused, and who
//! asks is checked before what is asked, so a stranger or a caller without the right
//! learns nothing about which input would be valid.

use breakroom_proto::identity::v1 as pb;
use prost_types::FieldMask;
use tonic::{Code, Request, Status};

use crate::support::*;

/// `message` with two `authorization` entries.
fn twice<T>(first: &str, second: &str, message: T) -> Request<T> {
    let mut request = bearer(first, message);
    request
        .metadata_mut()
        .append("authorization", format!("Bearer {second}").parse().unwrap());
    request
}

fn garbage_tenant() -> pb::CreateTenantRequest {
    pb::CreateTenantRequest {
        tenant_id: "NOT A VALID ID".into(),
        tenant: None,
        request_id: "not a request id!".into(),
    }
}

#[tokio::test]
async fn two_authorization_entries_are_refused_whichever_comes_first() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("deen").await;
    for (first, second) in [
        (OPERATOR, "forged"),
        ("forged", OPERATOR),
        (OPERATOR, OPERATOR),
        (admin.access.as_str(), admin.access.as_str()),
    ] {
        let status = id
            .identity
            .clone()
            .create_tenant(twice(first, second, garbage_tenant()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        let status = id
            .identity
            .clone()
            .get_tenant(twice(
                first,
                second,
                pb::GetTenantRequest {
                    name: "tenants/deen".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
}

/// Asserts UNAUTHENTICATED.
fn unauthenticated<T: std::fmt::Debug>(what: &str, result: Result<tonic::Response<T>, Status>) {
    let status = result.expect_err(what);
    assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
}

#[tokio::test]
async fn without_a_token_every_method_answers_unauthenticated_whatever_the_input() {
    let id = Identity::spawn().await;
    let (mut identity, mut auth) = (id.identity.clone(), id.auth.clone());
    let bad = "%%%".to_owned();
    unauthenticated(
        "CreateTenant",
        identity.create_tenant(garbage_tenant()).await,
    );
    unauthenticated(
        "GetTenant",
        identity
            .get_tenant(pb::GetTenantRequest { name: bad.clone() })
            .await,
    );
    unauthenticated(
        "CreateStore",
        identity
            .create_store(pb::CreateStoreRequest {
                parent: bad.clone(),
                ..Default::default()
            })
            .await,
    );
    unauthenticated(
        "GetStore",
        identity
            .get_store(pb::GetStoreRequest { name: bad.clone() })
            .await,
    );
    unauthenticated(
        "ListStores",
        identity
            .list_stores(pb::ListStoresRequest {
                parent: bad.clone(),
                page_size: -1,
                page_token: bad.clone(),
            })
            .await,
    );
    unauthenticated(
        "UpdateStore",
        identity
            .update_store(pb::UpdateStoreRequest::default())
            .await,
    );
    unauthenticated(
        "InviteUser",
        identity.invite_user(pb::InviteUserRequest::default()).await,
    );
    unauthenticated(
        "BatchInviteUsers",
        identity
            .batch_invite_users(pb::BatchInviteUsersRequest::default())
            .await,
    );
    unauthenticated(
        "GetUser",
        identity
            .get_user(pb::GetUserRequest { name: bad.clone() })
            .await,
    );
    unauthenticated(
        "ListUsers",
        identity
            .list_users(pb::ListUsersRequest {
                parent: bad.clone(),
                role: 99,
                ..Default::default()
            })
            .await,
    );
    unauthenticated(
        "UpdateUser",
        identity.update_user(pb::UpdateUserRequest::default()).await,
    );
    unauthenticated(
        "DeactivateUser",
        identity
            .deactivate_user(pb::DeactivateUserRequest::default())
            .await,
    );
    unauthenticated(
        "GrantRole",
        identity.grant_role(pb::GrantRoleRequest::default()).await,
    );
    unauthenticated(
        "RevokeRole",
        identity.revoke_role(pb::RevokeRoleRequest::default()).await,
    );
    unauthenticated(
        "CreateServiceAccount",
        identity
            .create_service_account(pb::CreateServiceAccountRequest::default())
            .await,
    );
    unauthenticated(
        "DeleteServiceAccount",
        identity
            .delete_service_account(pb::DeleteServiceAccountRequest::default())
            .await,
    );
    unauthenticated(
        "Logout",
        auth.logout(pb::LogoutRequest {
            request_id: bad.clone(),
        })
        .await,
    );
    unauthenticated(
        "ListSessions",
        auth.list_sessions(pb::ListSessionsRequest::default()).await,
    );
    unauthenticated(
        "RevokeSession",
        auth.revoke_session(pb::RevokeSessionRequest::default())
            .await,
    );
}

/// Asserts PERMISSION_DENIED with `reason`, documented for `rpc`.
fn denied<T: std::fmt::Debug>(rpc: &str, reason: &str, result: Result<tonic::Response<T>, Status>) {
    let status = result.expect_err(rpc);
    assert_eq!(status.code(), Code::PermissionDenied, "{rpc}: {status:?}");
    assert_eq!(reason_of(&status), reason, "{rpc}");
    assert!(
        documented_reasons(rpc).iter().any(|r| r == reason),
        "{rpc} does not document {reason}"
    );
}

#[tokio::test]
async fn a_caller_without_the_right_is_refused_before_its_input_is_looked_at() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("poiesz").await;
    let store = id.store("poiesz", "P-1", &admin.access).await;
    let employee = id
        .employee("poiesz", &store.name, "emp@poiesz.example", &admin.access)
        .await;
    let t = employee.access.as_str();
    let (mut identity, mut auth) = (id.identity.clone(), id.auth.clone());
    let bad = "%%%".to_owned();

    denied(
        "CreateTenant",
        "OPERATOR_ONLY",
        identity.create_tenant(bearer(t, garbage_tenant())).await,
    );
    denied(
        "CreateStore",
        "NOT_AN_ADMIN",
        identity
            .create_store(bearer(
                t,
                pb::CreateStoreRequest {
                    parent: bad.clone(),
                    store: Some(pb::Store {
                        time_zone: "Mars/Olympus".into(),
                        ..Default::default()
                    }),
                    request_id: bad.clone(),
                },
            ))
            .await,
    );
    denied(
        "UpdateStore",
        "NOT_AN_ADMIN",
        identity
            .update_store(bearer(t, pb::UpdateStoreRequest::default()))
            .await,
    );
    denied(
        "InviteUser",
        "NOT_A_MANAGER",
        identity
            .invite_user(bearer(
                t,
                pb::InviteUserRequest {
                    parent: bad.clone(),
                    ..Default::default()
                },
            ))
            .await,
    );
    denied(
        "BatchInviteUsers",
        "NOT_A_MANAGER",
        identity
            .batch_invite_users(bearer(t, pb::BatchInviteUsersRequest::default()))
            .await,
    );
    denied(
        "UpdateUser",
        "NOT_A_MANAGER",
        identity
            .update_user(bearer(
                t,
                pb::UpdateUserRequest {
                    user: Some(pb::User {
                        name: admin.user.clone(),
                        email: "not an address".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["no_such_field".into()],
                    }),
                    request_id: bad.clone(),
                },
            ))
            .await,
    );
    denied(
        "DeactivateUser",
        "NOT_A_MANAGER",
        identity
            .deactivate_user(bearer(
                t,
                pb::DeactivateUserRequest {
                    name: bad.clone(),
                    request_id: bad.clone(),
                },
            ))
            .await,
    );
    denied(
        "GrantRole",
        "NOT_A_MANAGER",
        identity
            .grant_role(bearer(t, pb::GrantRoleRequest::default()))
            .await,
    );
    denied(
        "RevokeRole",
        "NOT_A_MANAGER",
        identity
            .revoke_role(bearer(t, pb::RevokeRoleRequest::default()))
            .await,
    );
    denied(
        "CreateServiceAccount",
        "HQ_ADMIN_ONLY",
        identity
            .create_service_account(bearer(t, pb::CreateServiceAccountRequest::default()))
            .await,
    );
    denied(
        "DeleteServiceAccount",
        "HQ_ADMIN_ONLY",
        identity
            .delete_service_account(bearer(t, pb::DeleteServiceAccountRequest::default()))
            .await,
    );
    denied(
        "ListSessions",
        "NOT_YOUR_SESSIONS",
        auth.list_sessions(bearer(
            t,
            pb::ListSessionsRequest {
                parent: admin.user.clone(),
                page_size: -5,
                page_token: bad.clone(),
            },
        ))
        .await,
    );
    denied(
        "RevokeSession",
        "NOT_YOUR_SESSIONS",
        auth.revoke_session(bearer(
            t,
            pb::RevokeSessionRequest {
                name: admin.session.clone(),
                request_id: bad.clone(),
            },
        ))
        .await,
    );
    // Control: the same employee may change their own profile, so there the input counts.
    let own = identity
        .update_user(bearer(
            t,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    name: employee.user.clone(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["no_such_field".into()],
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&own), ["update_mask"]);
}
