//! A chain-sized week imported from the WFM system, and employees reading their shifts.
//!
//! `cargo bench -p breakroom-scheduling --bench import` (needs NATS and PostgreSQL).
//! Sets up a chain in identity (1,000 stores, 60 employees each, by BatchInviteUsers),
//! waits until scheduling knows them, then imports 5 shifts per employee for one week
//! (300,000 shifts) through ImportRoster with `publish`, and reports shifts/s from the
//! first request to a fully projected read model. Then measures ListMyShifts p50/p99 with
//! that data loaded. `BENCH_STORES` scales the chain down for a quick run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime};

use breakroom_directory::auth::Principal;
use breakroom_identity::config::{IdentityConfig, SigningKeySource};
use breakroom_proto::{
    identity::v1::{self as id, identity_service_client::IdentityServiceClient},
    scheduling::v1::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use breakroom_scheduling::config::SchedulingConfig;
use breakroom_testing::TestEnv;
use futures::StreamExt;
use tonic::{Request, transport::Channel};

const OPERATOR: &str = "bench-operator";
const SEED: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk";
const EMPLOYEES_PER_STORE: usize = 60;
const SHIFTS_PER_EMPLOYEE: usize = 5;
const STORE_WEEKS_PER_CALL: usize = 20;
const CALLS_IN_FLIGHT: usize = 3;
const READS: usize = 2_000;

fn bearer<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn sequence<T>(response: &tonic::Response<T>) -> u64 {
    breakroom_testing::sequence(response.metadata())
}

/// Creates the stores and invites their employees; returns `(store name, employee names)`.
async fn chain(
    identity: &IdentityServiceClient<Channel>,
    stores: usize,
) -> Vec<(String, Vec<String>)> {
    let mut client = identity.clone();
    client
        .create_tenant(bearer(
            OPERATOR,
            id::CreateTenantRequest {
                tenant_id: "bench".into(),
                tenant: Some(id::Tenant {
                    display_name: "Bench".into(),
                    time_zone: "Europe/Amsterdam".into(),
                    locale: "nl-NL".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    futures::stream::iter(0..stores)
        .map(|s| {
            let mut client = identity.clone();
            async move {
                let store = client
                    .create_store(bearer(
                        OPERATOR,
                        id::CreateStoreRequest {
                            parent: "tenants/bench".into(),
                            store: Some(id::Store {
                                display_name: format!("Store {s}"),
                                store_code: format!("S{s:04}"),
                                ..Default::default()
                            }),
                            request_id: uuid::Uuid::new_v4().to_string(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                    .name;
                let invited = client
                    .batch_invite_users(bearer(
                        OPERATOR,
                        id::BatchInviteUsersRequest {
                            parent: "tenants/bench".into(),
                            requests: (0..EMPLOYEES_PER_STORE)
                                .map(|e| id::InviteUserRequest {
                                    user: Some(id::User {
                                        display_name: format!("Employee {s}-{e}"),
                                        email: format!("e{s}-{e}@bench.example"),
                                        memberships: vec![id::Membership {
                                            store: store.clone(),
                                            role: id::Role::Employee as i32,
                                            ..Default::default()
                                        }],
                                        ..Default::default()
                                    }),
                                    ..Default::default()
                                })
                                .collect(),
                            request_id: uuid::Uuid::new_v4().to_string(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                    .invitations;
                let employees = invited.into_iter().map(|i| i.user.unwrap().name).collect();
                (store, employees)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}

fn week_of(store: &str, employees: &[String]) -> pb::RosterImport {
    let mut shifts = Vec::with_capacity(employees.len() * SHIFTS_PER_EMPLOYEE);
    for (e, employee) in employees.iter().enumerate() {
        for day in 0..SHIFTS_PER_EMPLOYEE {
            let start = 6 + (e % 10);
            shifts.push(pb::Shift {
                employee: employee.clone(),
                start_local: format!("2026-12-{:02}T{start:02}:00", 7 + day),
                end_local: format!("2026-12-{:02}T{:02}:00", 7 + day, start + 6),
                position: "Store associate".into(),
                unpaid_break_minutes: 30,
                external_id: format!("{e}-{day}"),
                ..Default::default()
            });
        }
    }
    pb::RosterImport {
        roster: format!("{store}/rosters/2026-W50"),
        shifts,
        full_week: true,
    }
}

#[tokio::main]
async fn main() {
    let stores: usize = std::env::var("BENCH_STORES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let env = TestEnv::new().await;
    let mut identity_config =
        IdentityConfig::new(env.config("identity"), SigningKeySource::Seed(SEED.into()));
    identity_config.operator_token = Some(OPERATOR.into());
    let signer = breakroom_identity::app::keys::load_signer(&identity_config).unwrap();
    let (identity_server, _) = breakroom_identity::startup::build(
        identity_config,
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
    let identity_running =
        breakroom_testing::spawn(identity_server, "breakroom.identity.v1.IdentityService").await;
    let mut scheduling_kit = env.config("scheduling");
    scheduling_kit.max_lag = u64::MAX;
    let built = breakroom_scheduling::startup::build(
        SchedulingConfig::new(scheduling_kit),
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
    let scheduling_running =
        breakroom_testing::spawn(built.server, "breakroom.scheduling.v1.SchedulingService").await;
    let identity = IdentityServiceClient::new(identity_running.channel().await);
    let scheduling = SchedulingServiceClient::new(scheduling_running.channel().await);

    let started = Instant::now();
    let chain = chain(&identity, stores).await;
    println!(
        "setup: {stores} stores, {} employees invited in {:.1?}",
        stores * EMPLOYEES_PER_STORE,
        started.elapsed()
    );
    let planner = signer
        .sign(
            &Principal {
                user: "wfm".into(),
                tenant: "bench".into(),
                session: "bench".into(),
                service_account: true,
            },
            SystemTime::now(),
            Duration::from_secs(3600),
        )
        .unwrap();
    // Wait until scheduling has learnt the chain (its directory): the last store's people.
    let (last_store, last_people) = chain.last().unwrap().clone();
    breakroom_testing::eventually(Duration::from_secs(600), || {
        let mut client = scheduling.clone();
        let request = bearer(
            &planner,
            pb::ImportRosterRequest {
                parent: "tenants/bench".into(),
                rosters: vec![week_of(&last_store, &last_people)],
                publish: false,
                request_id: uuid::Uuid::new_v4().to_string(),
                ..Default::default()
            },
        );
        async move { client.import_roster(request).await.ok() }
    })
    .await;
    println!("scheduling knows the chain after {:.1?}", started.elapsed());

    let total_shifts = stores * EMPLOYEES_PER_STORE * SHIFTS_PER_EMPLOYEE;
    let started = Instant::now();
    let sequences: Vec<u64> = futures::stream::iter(chain.chunks(STORE_WEEKS_PER_CALL))
        .map(|chunk| {
            let mut client = scheduling.clone();
            let body = pb::ImportRosterRequest {
                parent: "tenants/bench".into(),
                rosters: chunk
                    .iter()
                    .map(|(store, people)| week_of(store, people))
                    .collect(),
                publish: true,
                request_id: uuid::Uuid::new_v4().to_string(),
                ..Default::default()
            };
            let planner = planner.clone();
            async move {
                // UNAVAILABLE (a dependency busy or catching up) is retried, as clients do.
                loop {
                    match client.import_roster(bearer(&planner, body.clone())).await {
                        Ok(reply) => return sequence(&reply),
                        Err(status) if status.code() == tonic::Code::Unavailable => {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        Err(status) => panic!("{status:?}"),
                    }
                }
            }
        })
        .buffer_unordered(CALLS_IN_FLIGHT)
        .collect()
        .await;
    let replied = started.elapsed();
    let last = sequences.into_iter().max().unwrap_or_default();
    let (_, people) = &chain[0];
    let reader = |user: &str| {
        let name = user.rsplit('/').next().unwrap().to_owned();
        signer
            .sign(
                &Principal {
                    user: name,
                    tenant: "bench".into(),
                    session: "s".into(),
                    service_account: false,
                },
                SystemTime::now(),
                Duration::from_secs(3600),
            )
            .unwrap()
    };
    let range = |token: &str| {
        bearer(
            token,
            pb::ListMyShiftsRequest {
                start_time: Some(prost_types::Timestamp {
                    seconds: 1_796_601_600,
                    nanos: 0,
                }),
                end_time: Some(prost_types::Timestamp {
                    seconds: 1_797_206_400,
                    nanos: 0,
                }),
                ..Default::default()
            },
        )
    };
    let mut wait = range(&reader(&people[0]));
    wait.metadata_mut()
        .insert("breakroom-min-sequence", last.to_string().parse().unwrap());
    breakroom_testing::eventually(Duration::from_secs(1800), || {
        let mut client = scheduling.clone();
        let mut request = range(&reader(&people[0]));
        request
            .metadata_mut()
            .insert("breakroom-min-sequence", last.to_string().parse().unwrap());
        async move { client.list_my_shifts(request).await.ok() }
    })
    .await;
    let projected = started.elapsed();
    println!(
        "import of {total_shifts} shifts ({stores} store-weeks, {STORE_WEEKS_PER_CALL} per call, {CALLS_IN_FLIGHT} calls in flight): \
         {:.0} shifts/s to the replies ({replied:.1?}), {:.0} shifts/s fully projected ({projected:.1?})",
        total_shifts as f64 / replied.as_secs_f64(),
        total_shifts as f64 / projected.as_secs_f64(),
    );

    let everyone: Vec<&String> = chain.iter().flat_map(|(_, people)| people).collect();
    let mut latencies = Vec::with_capacity(READS);
    let mut client = scheduling.clone();
    let mut found = 0;
    for i in 0..READS {
        let employee = everyone[(i * 7919) % everyone.len()];
        let request = range(&reader(employee));
        let started = Instant::now();
        let shifts = client
            .list_my_shifts(request)
            .await
            .unwrap()
            .into_inner()
            .shifts;
        latencies.push(started.elapsed());
        found += shifts.len();
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "ListMyShifts with {total_shifts} shifts loaded, {READS} sequential reads: p50 {:?}, p99 {:?} ({:.1} shifts per answer)",
        at(0.50),
        at(0.99),
        found as f64 / READS as f64
    );
}
