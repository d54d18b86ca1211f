//! Identity as its own OS process, as it runs in production: onboarding a store, then the
//! process is killed without warning (SIGKILL) and restarted; nothing acknowledged is lost
//! and the read model catches up.
//!
//! Needs the `identity` binary built (`just test` builds every binary first).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{process::Stdio, time::Duration};

use breakroom_e2e::platform::{binary, free_port};

use breakroom_proto::identity::v1::{
    self as pb, auth_service_client::AuthServiceClient,
    identity_service_client::IdentityServiceClient, login_request,
};
use breakroom_testing::{TestEnv, eventually, wait_serving};
use tonic::Request;

const OPERATOR: &str = "e2e-operator";
const PASSWORD: &str = "correct horse battery staple";

fn start(env: &TestEnv, port: u16) -> tokio::process::Child {
    tokio::process::Command::new(binary("identity").unwrap())
        .env("GRPC_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("NATS_URL", &env.nats_url)
        .env("DATABASE_URL", env.database_url("identity"))
        .env("BREAKROOM_NAMESPACE", env.namespace.as_str())
        .env("BREAKROOM_OPERATOR_TOKEN", OPERATOR)
        .env(
            "BREAKROOM_SIGNING_KEY",
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
        )
        .env("BREAKROOM_LEASE_TTL_SECS", "2")
        .env("BREAKROOM_ARGON2_MEMORY_KIB", "4096")
        .env("BREAKROOM_ARGON2_ITERATIONS", "1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start identity")
}

fn operator<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {OPERATOR}").parse().unwrap(),
    );
    request
}

#[tokio::test]
async fn identity_killed_after_onboarding_a_store_restarts_with_nothing_lost() {
    let env = TestEnv::new().await;
    let port = free_port().unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut process = start(&env, port);
    wait_serving(addr, "breakroom.identity.v1.IdentityService").await;
    let channel = breakroom_testing::channel(addr).await;
    let mut identity = IdentityServiceClient::new(channel);

    identity
        .create_tenant(operator(pb::CreateTenantRequest {
            tenant_id: "e2e-chain".into(),
            tenant: Some(pb::Tenant {
                display_name: "E2E".into(),
                time_zone: "Europe/Amsterdam".into(),
                locale: "nl-NL".into(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .unwrap();
    let store = identity
        .create_store(operator(pb::CreateStoreRequest {
            parent: "tenants/e2e-chain".into(),
            store: Some(pb::Store {
                display_name: "Store 1".into(),
                store_code: "S1".into(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    let invited = identity
        .batch_invite_users(operator(pb::BatchInviteUsersRequest {
            parent: "tenants/e2e-chain".into(),
            requests: (0..200)
                .map(|i| pb::InviteUserRequest {
                    user: Some(pb::User {
                        display_name: format!("Employee {i}"),
                        email: format!("e{i}@e2e.example"),
                        memberships: vec![pb::Membership {
                            store: store.name.clone(),
                            role: pb::Role::Employee as i32,
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .collect(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .unwrap()
        .into_inner()
        .invitations;
    identity
        .activate_user(pb::ActivateUserRequest {
            tenant: "tenants/e2e-chain".into(),
            invite_code: invited[0].invite_code.clone(),
            password: PASSWORD.into(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap();

    // No goodbye: SIGKILL, possibly in the middle of a projection batch.
    process.start_kill().unwrap();
    process.wait().await.unwrap();
    let mut process = start(&env, port);
    wait_serving(addr, "breakroom.identity.v1.IdentityService").await;
    let channel = breakroom_testing::channel(addr).await;
    let identity = IdentityServiceClient::new(channel.clone());
    let mut auth = AuthServiceClient::new(channel);

    let login = auth
        .login(pb::LoginRequest {
            tenant: "tenants/e2e-chain".into(),
            credential: Some(login_request::Credential::Password(
                login_request::Password {
                    login: Some(login_request::password::Login::Email(
                        "e0@e2e.example".into(),
                    )),
                    password: PASSWORD.into(),
                },
            )),
            device_class: pb::DeviceClass::MobileApp as i32,
            client_version: "e2e/1".into(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect("the activation survived the kill")
        .into_inner();
    assert!(!login.access_token.is_empty());
    // A later invite's code still activates: the invitations were all recorded. Until the
    // new process holds the projection lease and has caught up, the lookup answers
    // UNAVAILABLE, which clients retry with the same request id.
    let activation = pb::ActivateUserRequest {
        tenant: "tenants/e2e-chain".into(),
        invite_code: invited[199].invite_code.clone(),
        password: PASSWORD.into(),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    eventually(Duration::from_secs(20), || {
        let mut identity = identity.clone();
        let activation = activation.clone();
        async move {
            match identity.activate_user(activation).await {
                Ok(_) => Some(()),
                Err(status) if status.code() == tonic::Code::Unavailable => None,
                Err(status) => panic!("{status:?}"),
            }
        }
    })
    .await;
    let users = eventually(Duration::from_secs(15), || {
        let mut identity = identity.clone();
        let store = store.name.clone();
        async move {
            let listed = identity
                .list_users(operator(pb::ListUsersRequest {
                    parent: "tenants/e2e-chain".into(),
                    store,
                    page_size: 1000,
                    ..Default::default()
                }))
                .await
                .ok()?
                .into_inner()
                .users;
            (listed
                .iter()
                .filter(|u| u.state == pb::user::State::Active as i32)
                .count()
                == 2)
                .then_some(listed)
        }
    })
    .await;
    assert_eq!(users.len(), 200, "every invite once, none twice");
    process.start_kill().unwrap();
    let _ = process.wait().await;
}
