//! Bad input gets INVALID_ARGUMENT naming every offending field; nothing is written.

use breakroom_proto::identity::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn malformed_tenants_and_stores_are_refused_with_every_field_named() {
    let id = Identity::spawn().await;
    let err = id
        .identity
        .clone()
        .create_tenant(as_operator(pb::CreateTenantRequest {
            tenant_id: "X".into(),
            tenant: Some(pb::Tenant {
                display_name: " ".into(),
                time_zone: "Europe/Atlantis".into(),
                locale: "dutch".into(),
                ..Default::default()
            }),
            request_id: "not-a-uuid".into(),
        }))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "tenant.display_name",
            "tenant.locale",
            "tenant.time_zone",
            "tenant_id"
        ]
    );
    assert!(err.message().contains("Europe/Atlantis"), "{err:?}");

    let admin = id.chain_with_admin("ahold").await;
    let err = id
        .identity
        .clone()
        .create_store(bearer(
            &admin.access,
            pb::CreateStoreRequest {
                parent: "tenants/ahold".into(),
                store: Some(pb::Store {
                    store_code: "has space".into(),
                    time_zone: "Mars/Olympus".into(),
                    departments: vec![department("Fresh Produce")],
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "store.departments[0].department_id",
            "store.display_name",
            "store.store_code",
            "store.time_zone"
        ]
    );
    let err = id
        .identity
        .clone()
        .get_store(bearer(
            &admin.access,
            pb::GetStoreRequest {
                name: "stores/1".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["name"]);
    let listed = id
        .identity
        .clone()
        .list_stores(bearer(
            &admin.access,
            pb::ListStoresRequest {
                parent: "tenants/ahold".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.stores.is_empty(), "nothing was written");
}

#[tokio::test]
async fn invitations_need_a_valid_contact_and_valid_memberships() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("deen").await;
    let store = id.store("deen", "D-1", &admin.access).await;
    let err = id
        .identity
        .clone()
        .invite_user(bearer(
            &admin.access,
            pb::InviteUserRequest {
                parent: "tenants/deen".into(),
                user: Some(pb::User {
                    display_name: "Eva".into(),
                    email: "eva@@deen".into(),
                    phone: "0612345678".into(),
                    memberships: vec![
                        pb::Membership {
                            store: store.name.clone(),
                            department_id: "bakery".into(),
                            role: pb::Role::Employee as i32,
                        },
                        pb::Membership {
                            store: String::new(),
                            department_id: String::new(),
                            role: pb::Role::Integration as i32,
                        },
                        pb::Membership {
                            store: "tenants/other/stores/x".into(),
                            department_id: String::new(),
                            role: pb::Role::Employee as i32,
                        },
                    ],
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        ["user.email", "user.memberships[2].store", "user.phone"]
    );

    let err = id
        .invite(
            "deen",
            "eva@deen.example",
            vec![pb::Membership {
                store: store.name.clone(),
                department_id: "bakery".into(),
                role: pb::Role::Employee as i32,
            }],
            &admin.access,
        )
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["user.memberships[0].department_id"]);
    let err = id
        .invite(
            "deen",
            "eva@deen.example",
            vec![role_in(&store.name, pb::Role::Integration)],
            &admin.access,
        )
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["user.memberships[0].role"]);
    let err = id
        .identity
        .clone()
        .invite_user(bearer(
            &admin.access,
            pb::InviteUserRequest {
                parent: "tenants/deen".into(),
                user: Some(pb::User {
                    display_name: "Nobody".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["user.email"]);
}

#[tokio::test]
async fn weak_passwords_are_refused_and_the_invite_stays_usable() {
    let id = Identity::spawn().await;
    id.tenant("poiesz").await;
    let invited = id
        .invite(
            "poiesz",
            "finn.de.vries@poiesz.example",
            vec![hq_admin()],
            OPERATOR,
        )
        .await
        .unwrap();
    for weak in [
        "short",
        "password123",
        "aaaaaaaaaaaaaaaa",
        "finn.de.vries-2026",
    ] {
        let err = id
            .auth_activate("poiesz", &invited.invite_code, weak)
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&err), ["password"], "{weak}");
    }
    id.auth_activate("poiesz", &invited.invite_code, PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn updates_name_unknown_mask_paths_and_keep_a_contact() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("nettorama").await;
    let err = id
        .identity
        .clone()
        .update_user(bearer(
            &admin.access,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    name: admin.user.clone(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["state".into()],
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["update_mask"]);
    let err = id
        .identity
        .clone()
        .update_user(bearer(
            &admin.access,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    name: admin.user.clone(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["email".into()],
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["user.email"]);
    let updated = id
        .identity
        .clone()
        .update_user(bearer(
            &admin.access,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    name: admin.user.clone(),
                    phone: "+31 6 1234 5678".into(),
                    email: "boss@nettorama.example".into(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["email".into(), "phone".into()],
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (updated.email.as_str(), updated.phone.as_str()),
        ("boss@nettorama.example", "+31612345678")
    );
    // The old address is free again, the new one logs in.
    id.login("nettorama", "boss@nettorama.example", PASSWORD)
        .await
        .unwrap();
    id.invite(
        "nettorama",
        "hq@nettorama.example",
        vec![hq_admin()],
        &admin.access,
    )
    .await
    .unwrap();
    let bad_page = id
        .identity
        .clone()
        .list_users(bearer(
            &admin.access,
            pb::ListUsersRequest {
                parent: "tenants/nettorama".into(),
                page_token: "forged".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_page.code(), Code::InvalidArgument);
}
