//! Tenant isolation: an HQ admin of chain A probing chain B learns nothing — every RPC
//! answers exactly as it would for resources that do not exist.

use breakroom_proto::identity::v1 as pb;
use prost_types::FieldMask;
use tonic::{Code, Status};

use crate::support::*;

fn not_found<T: std::fmt::Debug>(what: &str, result: Result<tonic::Response<T>, Status>) {
    let status = result.expect_err(what);
    assert_eq!(status.code(), Code::NotFound, "{what}: {status:?}");
}

#[tokio::test]
async fn an_admin_of_one_chain_gets_not_found_for_everything_of_another_chain() {
    let id = Identity::spawn().await;
    let a = id.chain_with_admin("chain-a").await;
    let b = id.chain_with_admin("chain-b").await;
    let b_store = id.store("chain-b", "B-1", &b.access).await;
    let b_user = id
        .employee("chain-b", &b_store.name, "emp@b.example", &b.access)
        .await;
    let b_account = id
        .identity
        .clone()
        .create_service_account(bearer(
            &b.access,
            pb::CreateServiceAccountRequest {
                parent: "tenants/chain-b".into(),
                service_account: Some(pb::ServiceAccount {
                    display_name: "WFM".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    let mut identity = id.identity.clone();
    let mut auth = id.auth.clone();
    let t = &a.access;
    // Existing resources of B, and made-up ones, must look the same.
    for (tenant, store, user) in [
        ("tenants/chain-b", b_store.name.clone(), b_user.user.clone()),
        (
            "tenants/chain-zz",
            "tenants/chain-zz/stores/s".to_owned(),
            "tenants/chain-zz/users/u".to_owned(),
        ),
    ] {
        not_found(
            "GetTenant",
            identity
                .get_tenant(bearer(
                    t,
                    pb::GetTenantRequest {
                        name: tenant.into(),
                    },
                ))
                .await,
        );
        not_found(
            "CreateStore",
            identity
                .create_store(bearer(
                    t,
                    pb::CreateStoreRequest {
                        parent: tenant.into(),
                        store: Some(pb::Store {
                            display_name: "x".into(),
                            store_code: "X".into(),
                            ..Default::default()
                        }),
                        request_id: uuid(),
                    },
                ))
                .await,
        );
        not_found(
            "GetStore",
            identity
                .get_store(bearer(
                    t,
                    pb::GetStoreRequest {
                        name: store.clone(),
                    },
                ))
                .await,
        );
        not_found(
            "ListStores",
            identity
                .list_stores(bearer(
                    t,
                    pb::ListStoresRequest {
                        parent: tenant.into(),
                        ..Default::default()
                    },
                ))
                .await,
        );
        not_found(
            "UpdateStore",
            identity
                .update_store(bearer(
                    t,
                    pb::UpdateStoreRequest {
                        store: Some(pb::Store {
                            name: store.clone(),
                            display_name: "Mine now".into(),
                            ..Default::default()
                        }),
                        update_mask: Some(FieldMask {
                            paths: vec!["display_name".into()],
                        }),
                        request_id: uuid(),
                    },
                ))
                .await,
        );
        let invite = pb::InviteUserRequest {
            parent: tenant.into(),
            user: Some(pb::User {
                display_name: "Spy".into(),
                email: "spy@a.example".into(),
                memberships: vec![hq_admin()],
                ..Default::default()
            }),
            request_id: uuid(),
        };
        not_found(
            "InviteUser",
            identity.invite_user(bearer(t, invite.clone())).await,
        );
        not_found(
            "BatchInviteUsers",
            identity
                .batch_invite_users(bearer(
                    t,
                    pb::BatchInviteUsersRequest {
                        parent: tenant.into(),
                        requests: vec![invite],
                        request_id: uuid(),
                    },
                ))
                .await,
        );
        not_found(
            "GetUser",
            identity
                .get_user(bearer(t, pb::GetUserRequest { name: user.clone() }))
                .await,
        );
        not_found(
            "ListUsers",
            identity
                .list_users(bearer(
                    t,
                    pb::ListUsersRequest {
                        parent: tenant.into(),
                        ..Default::default()
                    },
                ))
                .await,
        );
        not_found(
            "UpdateUser",
            identity
                .update_user(bearer(
                    t,
                    pb::UpdateUserRequest {
                        user: Some(pb::User {
                            name: user.clone(),
                            display_name: "Renamed".into(),
                            ..Default::default()
                        }),
                        update_mask: Some(FieldMask {
                            paths: vec!["display_name".into()],
                        }),
                        request_id: uuid(),
                    },
                ))
                .await,
        );
        not_found(
            "DeactivateUser",
            identity
                .deactivate_user(bearer(
                    t,
                    pb::DeactivateUserRequest {
                        name: user.clone(),
                        request_id: uuid(),
                    },
                ))
                .await,
        );
        not_found(
            "GrantRole",
            identity
                .grant_role(bearer(
                    t,
                    pb::GrantRoleRequest {
                        name: user.clone(),
                        membership: Some(hq_admin()),
                        request_id: uuid(),
                    },
                ))
                .await,
        );
        not_found(
            "RevokeRole",
            identity
                .revoke_role(bearer(
                    t,
                    pb::RevokeRoleRequest {
                        name: user.clone(),
                        membership: Some(hq_admin()),
                        request_id: uuid(),
                    },
                ))
                .await,
        );
        not_found(
            "CreateServiceAccount",
            identity
                .create_service_account(bearer(
                    t,
                    pb::CreateServiceAccountRequest {
                        parent: tenant.into(),
                        service_account: Some(pb::ServiceAccount {
                            display_name: "Spy".into(),
                            ..Default::default()
                        }),
                        request_id: uuid(),
                    },
                ))
                .await,
        );
        not_found(
            "ListSessions",
            auth.list_sessions(bearer(
                t,
                pb::ListSessionsRequest {
                    parent: user.clone(),
                    ..Default::default()
                },
            ))
            .await,
        );
        not_found(
            "RevokeSession",
            auth.revoke_session(bearer(
                t,
                pb::RevokeSessionRequest {
                    name: format!("{user}/sessions/s1"),
                    request_id: uuid(),
                },
            ))
            .await,
        );
    }
    not_found(
        "DeleteServiceAccount",
        identity
            .delete_service_account(bearer(
                t,
                pb::DeleteServiceAccountRequest {
                    name: b_account.service_account.unwrap().name,
                    request_id: uuid(),
                },
            ))
            .await,
    );
    not_found(
        "RevokeSession",
        auth.revoke_session(bearer(
            t,
            pb::RevokeSessionRequest {
                name: b_user.session.clone(),
                request_id: uuid(),
            },
        ))
        .await,
    );

    // B is untouched: its employee still works, its store still has its name.
    let store = identity
        .get_store(bearer(
            &b.access,
            pb::GetStoreRequest {
                name: b_store.name.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(store.display_name, "Store B-1");
    identity
        .get_user(bearer(
            &b_user.access,
            pb::GetUserRequest {
                name: b_user.user.clone(),
            },
        ))
        .await
        .unwrap();

    // A's credentials do not open B, and B's users cannot log in to A.
    let cross = id
        .login("chain-b", "hq@chain-a.example", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(cross.code(), Code::Unauthenticated);
    let cross = id
        .login("chain-a", "emp@b.example", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(cross.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn an_invite_code_of_one_chain_does_not_activate_in_another() {
    let id = Identity::spawn().await;
    id.tenant("chain-c").await;
    id.tenant("chain-d").await;
    let invited = id
        .invite("chain-d", "x@d.example", vec![hq_admin()], OPERATOR)
        .await
        .unwrap();
    let err = id
        .auth_activate("chain-c", &invited.invite_code, PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["invite_code"]);
    id.auth_activate("chain-d", &invited.invite_code, PASSWORD)
        .await
        .unwrap();
}
