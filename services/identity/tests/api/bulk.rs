//! Onboarding at chain scale: a whole store in one call, retries, and uniqueness races.

use std::time::Duration;

use breakroom_proto::identity::v1 as pb;
use breakroom_testing::eventually;
use tonic::Code;

use crate::support::*;

fn entry(i: usize, store: &str) -> pb::InviteUserRequest {
    pb::InviteUserRequest {
        parent: String::new(),
        user: Some(pb::User {
            display_name: format!("Employee {i:03}"),
            email: if i.is_multiple_of(3) {
                String::new()
            } else {
                format!("e{i}@hema.example")
            },
            phone: format!("+3161{i:07}"),
            memberships: vec![role_in(store, pb::Role::Employee)],
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn a_whole_store_of_500_is_invited_in_one_call_and_a_retry_returns_the_same_codes() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("hema").await;
    let store = id.store("hema", "H-100", &admin.access).await;
    let request = pb::BatchInviteUsersRequest {
        parent: "tenants/hema".into(),
        requests: (0..500).map(|i| entry(i, &store.name)).collect(),
        request_id: uuid(),
    };
    let first = id
        .identity
        .clone()
        .batch_invite_users(bearer(&admin.access, request.clone()))
        .await
        .unwrap();
    let sequence: u64 = breakroom_testing::sequence(first.metadata());
    let first = first.into_inner().invitations;
    assert_eq!(first.len(), 500);
    assert_eq!(
        first[7].user.as_ref().unwrap().display_name,
        "Employee 007",
        "in request order"
    );
    let codes: std::collections::HashSet<_> = first.iter().map(|i| i.invite_code.clone()).collect();
    assert_eq!(codes.len(), 500);

    let retry = id
        .identity
        .clone()
        .batch_invite_users(bearer(&admin.access, request))
        .await
        .unwrap()
        .into_inner()
        .invitations;
    assert_eq!(
        retry
            .iter()
            .map(|i| (&i.invite_code, &i.user.as_ref().unwrap().name))
            .collect::<Vec<_>>(),
        first
            .iter()
            .map(|i| (&i.invite_code, &i.user.as_ref().unwrap().name))
            .collect::<Vec<_>>(),
    );

    // Read-your-writes: with the batch's sequence, the list shows all 500 at once.
    let mut list = bearer(
        &admin.access,
        pb::ListUsersRequest {
            parent: "tenants/hema".into(),
            store: store.name.clone(),
            role: pb::Role::Employee as i32,
            page_size: 1000,
            ..Default::default()
        },
    );
    list.metadata_mut().insert(
        "breakroom-min-sequence",
        sequence.to_string().parse().unwrap(),
    );
    let listed = id
        .identity
        .clone()
        .list_users(list)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.users.len(), 500);
    assert!(listed.next_page_token.is_empty());

    // A phone-only employee activates and logs in by phone.
    let phone_only = &first[3];
    id.auth_activate("hema", &phone_only.invite_code, PASSWORD)
        .await
        .unwrap();
    id.auth
        .clone()
        .login(pb::LoginRequest {
            tenant: "tenants/hema".into(),
            credential: Some(pb::login_request::Credential::Password(
                pb::login_request::Password {
                    login: Some(pb::login_request::password::Login::Phone(
                        "+31610000003".into(),
                    )),
                    password: PASSWORD.into(),
                },
            )),
            device_class: pb::DeviceClass::MobileWeb as i32,
            client_version: "web/2026.11".into(),
            request_id: uuid(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_batch_with_duplicates_or_taken_addresses_invites_nobody_and_names_each_entry() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("hema").await;
    let store = id.store("hema", "H-2", &admin.access).await;
    id.invite(
        "hema",
        "e1@hema.example",
        vec![role_in(&store.name, pb::Role::Employee)],
        &admin.access,
    )
    .await
    .unwrap();
    let mut requests: Vec<_> = (0..4).map(|i| entry(i, &store.name)).collect();
    requests[2].user.as_mut().unwrap().email = "e2@hema.example".into();
    requests[3].user.as_mut().unwrap().email = "E2@hema.example".into();
    requests[3].user.as_mut().unwrap().phone = "+31690000000".into();
    let err = id
        .identity
        .clone()
        .batch_invite_users(bearer(
            &admin.access,
            pb::BatchInviteUsersRequest {
                parent: "tenants/hema".into(),
                requests,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(fields, ["requests[1].user.email", "requests[3].user.email"]);
    let listed = eventually(Duration::from_secs(5), || async {
        let users = id
            .identity
            .clone()
            .list_users(bearer(
                &admin.access,
                pb::ListUsersRequest {
                    parent: "tenants/hema".into(),
                    store: store.name.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .users;
        (!users.is_empty()).then_some(users)
    })
    .await;
    assert_eq!(listed.len(), 1, "only the earlier single invite");
}

#[tokio::test]
async fn two_concurrent_invites_of_one_address_have_exactly_one_winner() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("etos").await;
    let store = id.store("etos", "E-1", &admin.access).await;
    for round in 0..5 {
        let email = format!("same{round}@etos.example");
        let attempts = (0..4).map(|_| {
            id.invite(
                "etos",
                &email,
                vec![role_in(&store.name, pb::Role::Employee)],
                &admin.access,
            )
        });
        let results = futures::future::join_all(attempts).await;
        let won = results.iter().filter(|r| r.is_ok()).count();
        let lost: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(won, 1, "round {round}: {results:?}");
        assert!(
            lost.iter().all(|s| s.code() == Code::AlreadyExists),
            "{lost:?}"
        );
    }
    let users = eventually(Duration::from_secs(5), || async {
        let listed = id
            .identity
            .clone()
            .list_users(bearer(
                &admin.access,
                pb::ListUsersRequest {
                    parent: "tenants/etos".into(),
                    store: store.name.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .users;
        (listed.len() == 5).then_some(listed)
    })
    .await;
    assert_eq!(users.len(), 5);
}
