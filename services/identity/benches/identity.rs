//! Identity's costs on this machine, printed as figures.
//!
//! `cargo bench -p breakroom-identity --bench identity` (needs NATS and PostgreSQL, as the
//! tests do). Measures, with the production argon2id settings:
//! - access-token verification and signing in the kit, on one core;
//! - one argon2id hash, on one core;
//! - logins per second through the gRPC API, with concurrent clients;
//! - bulk invitation throughput, to the reply and to a fully projected read model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime};

use breakroom_directory::auth::{KeySet, Principal, Signer};
use breakroom_identity::{
    config::{IdentityConfig, SigningKeySource},
    secrets::{Argon2Settings, Passwords},
    startup,
};
use breakroom_proto::identity::v1::{
    self as pb, auth_service_client::AuthServiceClient,
    identity_service_client::IdentityServiceClient, login_request,
};
use breakroom_testing::TestEnv;
use tonic::{Request, transport::Channel};

const OPERATOR: &str = "bench-operator";
const PASSWORD: &str = "correct horse battery staple";
const LOGIN_USERS: usize = 64;
const LOGIN_CLIENTS: usize = 16;
const LOGIN_SECONDS: u64 = 10;
const BATCHES: usize = 5;
const BATCH: usize = 1000;

fn operator<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {OPERATOR}").parse().unwrap(),
    );
    request
}

fn tokens() {
    let signer = Signer::generate("bench").unwrap();
    let keys = KeySet::new();
    keys.insert(signer.kid(), &signer.public_x()).unwrap();
    let principal = Principal {
        user: uuid::Uuid::now_v7().to_string(),
        tenant: "bench-chain".into(),
        session: uuid::Uuid::now_v7().to_string(),
        service_account: false,
    };
    let n = 20_000;
    let started = Instant::now();
    let tokens: Vec<String> = (0..n)
        .map(|i| {
            let issued = SystemTime::now() - Duration::from_secs(i % 600);
            signer
                .sign(&principal, issued, Duration::from_secs(900))
                .unwrap()
        })
        .collect();
    let signed = n as f64 / started.elapsed().as_secs_f64();
    // Cold: every token seen for the first time (a fresh key set, distinct tokens).
    let distinct: std::collections::HashSet<&String> = tokens.iter().collect();
    let started = Instant::now();
    for token in &distinct {
        keys.verify(token).unwrap();
    }
    let cold = distinct.len() as f64 / started.elapsed().as_secs_f64();
    // Warm: the usual case, a client repeating its token on every call.
    let started = Instant::now();
    for i in 0..(n * 10) as usize {
        keys.verify(&tokens[i % 500]).unwrap();
    }
    let warm = (n * 10) as f64 / started.elapsed().as_secs_f64();
    println!("token signing, one core:                 {signed:>10.0} tokens/s");
    println!(
        "token verification, new tokens, one core: {cold:>10.0} tokens/s ({} distinct)",
        distinct.len()
    );
    println!("token verification, repeated tokens:      {warm:>10.0} tokens/s");
}

async fn argon2(settings: Argon2Settings) {
    let passwords = Passwords::new(settings, 1).unwrap();
    let n = 20;
    let started = Instant::now();
    for _ in 0..n {
        passwords.hash(PASSWORD).await.unwrap();
    }
    let per_hash = started.elapsed() / n;
    println!(
        "argon2id m={} KiB t={} p={}: {:>6.1} ms per hash on one core",
        settings.memory_kib,
        settings.iterations,
        settings.parallelism,
        per_hash.as_secs_f64() * 1000.0
    );
}

async fn setup(identity: &mut IdentityServiceClient<Channel>) -> pb::Store {
    identity
        .create_tenant(operator(pb::CreateTenantRequest {
            tenant_id: "bench-chain".into(),
            tenant: Some(pb::Tenant {
                display_name: "Bench".into(),
                time_zone: "Europe/Berlin".into(),
                locale: "de-DE".into(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .unwrap();
    identity
        .create_store(operator(pb::CreateStoreRequest {
            parent: "tenants/bench-chain".into(),
            store: Some(pb::Store {
                display_name: "Bench store".into(),
                store_code: "B-1".into(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .unwrap()
        .into_inner()
}

fn batch(store: &str, from: usize, count: usize) -> pb::BatchInviteUsersRequest {
    pb::BatchInviteUsersRequest {
        parent: "tenants/bench-chain".into(),
        requests: (from..from + count)
            .map(|i| pb::InviteUserRequest {
                user: Some(pb::User {
                    display_name: format!("Employee {i}"),
                    email: format!("e{i}@bench.example"),
                    memberships: vec![pb::Membership {
                        store: store.into(),
                        role: pb::Role::Employee as i32,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect(),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

async fn bulk_invites(identity: &mut IdentityServiceClient<Channel>, store: &str) {
    let started = Instant::now();
    let mut last_sequence = 0u64;
    for b in 0..BATCHES {
        let reply = identity
            .batch_invite_users(operator(batch(store, LOGIN_USERS + b * BATCH, BATCH)))
            .await
            .unwrap();
        last_sequence = breakroom_testing::sequence(reply.metadata());
    }
    let replied = started.elapsed();
    let mut list = operator(pb::ListUsersRequest {
        parent: "tenants/bench-chain".into(),
        page_size: 1,
        ..Default::default()
    });
    list.metadata_mut().insert(
        "breakroom-min-sequence",
        last_sequence.to_string().parse().unwrap(),
    );
    identity.list_users(list).await.unwrap();
    let projected = started.elapsed();
    let total = (BATCHES * BATCH) as f64;
    println!(
        "bulk invite, {BATCHES} x {BATCH} users: {:>8.0} users/s to the reply, {:>8.0} users/s fully projected",
        total / replied.as_secs_f64(),
        total / projected.as_secs_f64()
    );
}

async fn logins(
    identity: &mut IdentityServiceClient<Channel>,
    auth: &AuthServiceClient<Channel>,
    store: &str,
) {
    let invited = identity
        .batch_invite_users(operator(batch(store, 0, LOGIN_USERS)))
        .await
        .unwrap()
        .into_inner()
        .invitations;
    for invitation in &invited {
        identity
            .activate_user(pb::ActivateUserRequest {
                tenant: "tenants/bench-chain".into(),
                invite_code: invitation.invite_code.clone(),
                password: PASSWORD.into(),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(LOGIN_SECONDS);
    let clients = (0..LOGIN_CLIENTS).map(|c| {
        let mut auth = auth.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = c;
            while Instant::now() < deadline {
                let started = Instant::now();
                auth.login(pb::LoginRequest {
                    tenant: "tenants/bench-chain".into(),
                    credential: Some(login_request::Credential::Password(
                        login_request::Password {
                            login: Some(login_request::password::Login::Email(format!(
                                "e{}@bench.example",
                                i % LOGIN_USERS
                            ))),
                            password: PASSWORD.into(),
                        },
                    )),
                    device_class: pb::DeviceClass::MobileApp as i32,
                    client_version: "bench/1".into(),
                    request_id: uuid::Uuid::new_v4().to_string(),
                })
                .await
                .unwrap();
                latencies.push(started.elapsed());
                i += LOGIN_CLIENTS;
            }
            latencies
        })
    });
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures::future::join_all(clients)
        .await
        .into_iter()
        .flat_map(|r| r.unwrap())
        .collect();
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "logins via gRPC, {LOGIN_CLIENTS} clients: {:>6.1} logins/s, p50 {:?}, p99 {:?}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        at(0.50),
        at(0.99)
    );
}

#[tokio::main]
async fn main() {
    tokens();
    let production = Argon2Settings::default();
    argon2(production).await;

    let env = TestEnv::new().await;
    let seed = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    };
    let mut config = IdentityConfig::new(env.config("identity"), SigningKeySource::Seed(seed));
    config.operator_token = Some(OPERATOR.into());
    config.argon2 = production;
    config.failures_per_source = u32::MAX;
    let (server, _app) = startup::build(config, tokio_util::sync::CancellationToken::new())
        .await
        .unwrap();
    let running = breakroom_testing::spawn(server, "breakroom.identity.v1.IdentityService").await;
    let channel = running.channel().await;
    let mut identity = IdentityServiceClient::new(channel.clone());
    let auth = AuthServiceClient::new(channel);
    let store = setup(&mut identity).await;
    logins(&mut identity, &auth, &store.name).await;
    bulk_invites(&mut identity, &store.name).await;
    running.shutdown.cancel();
}
