//! Read throughput of a published store week: ListMyShifts and GetRoster under 50
//! concurrent readers holding 200 different employees' tokens.
//!
//! `cargo bench -p breakroom-scheduling --bench reads` (needs NATS and PostgreSQL).
//! Identity and scheduling run in this process (identity's `testing` fixtures); a chain
//! with one store of 300 employees, every one with a real login token; the admin imports
//! and publishes a week of 300 shifts (one per employee); then, for `BENCH_SECONDS` (10)
//! per RPC, 50 readers call it back to back, each call with the next of 200 tokens, and
//! the bench prints calls/s and p50/p99 latency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use breakroom_identity::testing::{Identity, bearer, uuid};
use breakroom_proto::scheduling::v1::{
    self as pb, scheduling_service_client::SchedulingServiceClient,
};
use breakroom_scheduling::config::SchedulingConfig;
use breakroom_testing::TestEnv;
use futures::StreamExt;
use tonic::transport::Channel;

const EMPLOYEES: usize = 300;
const TOKENS: usize = 200;
const READERS: usize = 50;
/// Readers share a few HTTP/2 connections, as clients behind a load balancer would.
const CONNECTIONS: usize = 4;
const WEEK: &str = "2026-W50";

/// One shift per employee in the week, spread over its days and hours.
fn week(store: &str, employees: &[String]) -> pb::RosterImport {
    let shifts = employees
        .iter()
        .enumerate()
        .map(|(e, employee)| {
            let (day, start) = (7 + e % 7, 6 + e % 10);
            pb::Shift {
                employee: employee.clone(),
                start_local: format!("2026-12-{day:02}T{start:02}:00"),
                end_local: format!("2026-12-{day:02}T{:02}:00", start + 6),
                position: "Store associate".into(),
                unpaid_break_minutes: 30,
                external_id: format!("{e}"),
                ..Default::default()
            }
        })
        .collect();
    pb::RosterImport {
        roster: format!("{store}/rosters/{WEEK}"),
        shifts,
        full_week: true,
    }
}

fn list_my_shifts(token: &str) -> tonic::Request<pb::ListMyShiftsRequest> {
    bearer(
        token,
        pb::ListMyShiftsRequest {
            // 2026-12-06T00:00Z .. 2026-12-13T00:00Z: the week, in UTC.
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
}

/// Figures of one load run.
struct Load {
    calls: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    items: usize,
}

impl Load {
    fn print(&self, rpc: &str, unit: &str) {
        let at = |q: f64| {
            self.latencies
                [((self.latencies.len() as f64 * q) as usize).min(self.latencies.len() - 1)]
        };
        println!(
            "{rpc:<13} {READERS} readers, {TOKENS} tokens: {:>7.0} calls/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({:.0} {unit} per answer, {} calls in {:.1?})",
            self.calls as f64 / self.elapsed.as_secs_f64(),
            at(0.50).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            self.items as f64 / self.calls as f64,
            self.calls,
            self.elapsed,
        );
    }
}

/// `READERS` tasks calling `call` back to back for `duration`, round-robin over `tokens`.
async fn load<F, Fut>(channels: &[Channel], tokens: &[String], duration: Duration, call: F) -> Load
where
    F: Fn(SchedulingServiceClient<Channel>, String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = usize> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..READERS)
        .map(|r| {
            let client = SchedulingServiceClient::new(channels[r % channels.len()].clone())
                .max_decoding_message_size(64 * 1024 * 1024);
            let tokens = tokens.to_vec();
            let call = call.clone();
            tokio::spawn(async move {
                let (mut latencies, mut items, mut i) = (Vec::new(), 0, r);
                while started.elapsed() < duration {
                    let token = tokens[i % tokens.len()].clone();
                    i += READERS;
                    let sent = Instant::now();
                    items += call(client.clone(), token).await;
                    latencies.push(sent.elapsed());
                }
                (latencies, items)
            })
        })
        .collect();
    let mut result = Load {
        calls: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        items: 0,
    };
    for task in tasks {
        let (latencies, items) = task.await.unwrap();
        result.latencies.extend(latencies);
        result.items += items;
    }
    result.elapsed = started.elapsed();
    result.calls = result.latencies.len();
    result.latencies.sort();
    result
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let env = TestEnv::new().await;
    let people = Identity::spawn(&env).await;
    let built = breakroom_scheduling::startup::build(
        SchedulingConfig::new(env.config("scheduling")),
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
    let running =
        breakroom_testing::spawn(built.server, "breakroom.scheduling.v1.SchedulingService").await;
    let mut channels = Vec::new();
    for _ in 0..CONNECTIONS {
        channels.push(running.channel().await);
    }
    let scheduling = SchedulingServiceClient::new(channels[0].clone());

    let started = Instant::now();
    let chain = people.chain("bench").await;
    let employees: Vec<_> = futures::stream::iter(0..EMPLOYEES)
        .map(|e| {
            let (people, chain) = (&people, &chain);
            async move {
                people
                    .employee(chain, &chain.store, &format!("e{e}@bench.example"))
                    .await
            }
        })
        .buffered(8)
        .collect()
        .await;
    println!(
        "setup: 1 store, {EMPLOYEES} employees invited, activated and logged in in {:.1?}",
        started.elapsed()
    );

    // Import and publish the week once scheduling knows every employee.
    let names: Vec<String> = employees.iter().map(|p| p.name.clone()).collect();
    let started = Instant::now();
    let reply = breakroom_testing::eventually(Duration::from_secs(120), || {
        let mut client = scheduling.clone();
        let request = bearer(
            &chain.admin.token,
            pb::ImportRosterRequest {
                parent: format!("tenants/{}", chain.tenant),
                rosters: vec![week(&chain.store, &names)],
                publish: true,
                request_id: uuid(),
                ..Default::default()
            },
        );
        async move { client.import_roster(request).await.ok() }
    })
    .await;
    let consistency = breakroom_testing::token(reply.metadata());
    let roster_name = format!("{}/rosters/{WEEK}", chain.store);
    let tokens: Vec<String> = employees
        .iter()
        .take(TOKENS)
        .map(|p| p.token.clone())
        .collect();
    // Read-your-writes: wait until the read model has the published week.
    breakroom_testing::eventually(Duration::from_secs(60), || {
        let mut client = scheduling.clone();
        let mut request = list_my_shifts(&tokens[0]);
        request.metadata_mut().insert(
            breakroom_events::consistency::MIN_SEQUENCE_KEY,
            consistency.parse().unwrap(),
        );
        async move {
            let shifts = client
                .list_my_shifts(request)
                .await
                .ok()?
                .into_inner()
                .shifts;
            (!shifts.is_empty()).then_some(())
        }
    })
    .await;
    println!(
        "a week of {EMPLOYEES} shifts imported, published and projected in {:.1?}\n",
        started.elapsed()
    );

    let duration = Duration::from_secs(seconds);
    // Warm-up: connections, prepared statements, token caches.
    load(
        &channels,
        &tokens,
        Duration::from_secs(1),
        |mut c, t| async move {
            c.list_my_shifts(list_my_shifts(&t))
                .await
                .unwrap()
                .into_inner()
                .shifts
                .len()
        },
    )
    .await;
    load(&channels, &tokens, duration, |mut c, t| async move {
        c.list_my_shifts(list_my_shifts(&t))
            .await
            .unwrap()
            .into_inner()
            .shifts
            .len()
    })
    .await
    .print("ListMyShifts", "shifts");

    let get_roster = move |mut c: SchedulingServiceClient<Channel>, t: String| {
        let name = roster_name.clone();
        async move {
            c.get_roster(bearer(&t, pb::GetRosterRequest { name }))
                .await
                .unwrap()
                .into_inner()
                .shifts
                .len()
        }
    };
    load(
        &channels,
        &tokens,
        Duration::from_secs(1),
        get_roster.clone(),
    )
    .await;
    load(&channels, &tokens, duration, get_roster)
        .await
        .print("GetRoster", "shifts");
}
