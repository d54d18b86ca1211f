//! Event store and projector throughput on this machine, printed as figures.
//!
//! `cargo bench -p breakroom-events --bench eventstore` (needs NATS and PostgreSQL, as the
//! tests do). Compares the kit's full command path (load from cache, decide, encode the
//! envelope, append with expected version and request id) with raw JetStream publishes
//! of the bare event carrying the same expected-sequence and message-id headers, at equal
//! concurrency (on 1,000 aggregates in alternating rounds, the median ratio printed last);
//! prints what a ~100-byte event costs as a commit; then measures how fast a
//! projector catches up on the whole stream into PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use async_nats::HeaderMap;
use breakroom_chassis::server::Infra;
use breakroom_events::{
    envelope::CommandMeta,
    projector::{self, Projector},
    repository::Repository,
};
use breakroom_testing::{
    TestEnv,
    counter::{Counter, CounterProjection, Increment, MIGRATOR, PROJECTION, SERVICE},
};
use tokio_util::sync::CancellationToken;

/// Raw publishes go to a stream of their own so the projector sees only commits.
const RAW: &str = "rawbench";
const WRITERS: usize = 64;
const AGGREGATES: usize = 1000;
const HOT_COMMANDS: usize = 3_000;
const SPREAD_COMMANDS: usize = 30_000;
/// Alternating raw and kit runs on 1,000 aggregates.
const ROUNDS: usize = 5;
/// Note length that makes a `CounterIncremented` event 100 bytes encoded.
const NOTE: usize = 94;

/// The command every kit writer sends: its event is ~100 bytes.
fn command() -> Increment {
    Increment {
        amount: 1,
        note: "n".repeat(NOTE),
    }
}

/// The event `command()` produces on an existing counter, encoded: what raw publishes.
fn event_bytes() -> Vec<u8> {
    use breakroom_proto::kit::testing::v1 as pb;
    let command = command();
    prost::Message::encode_to_vec(&pb::CounterEvent {
        event: Some(pb::counter_event::Event::Incremented(
            pb::CounterIncremented {
                amount: command.amount,
                note: command.note,
            },
        )),
    })
}

/// The actor of every command: a user of the tenant, as services have.
fn actor() -> String {
    format!("tenants/chain/users/{}", uuid::Uuid::now_v7())
}

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// Raw publishes with `Nats-Expected-Last-Subject-Sequence`, one writer per subject set.
async fn raw(infra: &Infra, subjects: usize, writers: usize, total: usize, prefix: &str) -> f64 {
    let started = Instant::now();
    let tasks = (0..writers).map(|w| {
        let js = infra.js.clone();
        let subjects: Vec<String> = (0..subjects)
            .filter(|s| s % writers == w)
            .map(|s| {
                format!(
                    "{}.raw.{prefix}.s{s}",
                    breakroom_events::event_store::subject_prefix(&infra.config.namespace, RAW)
                )
            })
            .collect();
        let per_writer = total / writers;
        let payload = bytes::Bytes::from(event_bytes());
        tokio::spawn(async move {
            let mut versions = vec![0u64; subjects.len()];
            for i in 0..per_writer {
                let k = i % subjects.len();
                let mut headers = HeaderMap::new();
                headers.insert(
                    "Nats-Expected-Last-Subject-Sequence",
                    versions[k].to_string().as_str(),
                );
                headers.insert("Nats-Msg-Id", uuid::Uuid::now_v7().to_string().as_str());
                let ack = js
                    .publish_with_headers(subjects[k].clone(), headers, payload.clone())
                    .await
                    .unwrap()
                    .await
                    .unwrap();
                versions[k] = ack.sequence;
            }
        })
    });
    let writers_used = if subjects == 1 { 1 } else { writers };
    futures::future::join_all(tasks.take(writers_used)).await;
    rate(total / writers * writers_used, started.elapsed())
}

/// The kit's command path: `Repository::execute` with a request id per command.
async fn kit(
    repository: &Arc<Repository<Counter>>,
    aggregates: usize,
    writers: usize,
    total: usize,
    prefix: &str,
) -> f64 {
    let started = Instant::now();
    let tasks = (0..writers).map(|w| {
        let repository = repository.clone();
        let prefix = prefix.to_owned();
        let (actor, command) = (actor(), command());
        tokio::spawn(async move {
            let mut attempts = 0;
            for i in 0..total / writers {
                let id = format!("{prefix}{}", (i * writers + w) % aggregates);
                let meta = CommandMeta::new(actor.clone())
                    .with_request_id(Some(uuid::Uuid::now_v7().to_string()));
                attempts += repository
                    .execute("chain", &id, &meta, &command)
                    .await
                    .unwrap()
                    .attempts;
            }
            attempts
        })
    });
    let attempts: u32 = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|t| t.unwrap())
        .sum();
    let commands = total / writers * writers;
    assert_eq!(
        attempts as usize, commands,
        "one process: no conflicts, no retries"
    );
    rate(commands, started.elapsed())
}

/// What one ~100-byte event costs: the commit (envelope) and the message as stored.
async fn commit_bytes(infra: &Infra, repository: &Arc<Repository<Counter>>) {
    let meta = || CommandMeta::new(actor()).with_request_id(Some(uuid::Uuid::now_v7().to_string()));
    repository
        .execute("chain", "sized", &meta(), &command())
        .await
        .unwrap();
    let stream = infra
        .js
        .get_stream(infra.store.stream_name())
        .await
        .unwrap();
    let stored_before = stream.clone().info().await.unwrap().state.bytes;
    repository
        .execute("chain", "sized", &meta(), &command())
        .await
        .unwrap();
    let stored = stream.clone().info().await.unwrap().state.bytes - stored_before;
    let last = stream
        .direct_get_last_for_subject(infra.store.subject("counter", "chain", "sized"))
        .await
        .unwrap();
    let event = event_bytes().len();
    // The headers as appended: Direct Get adds its own (`Nats-Stream`, `Nats-Sequence`, ...).
    let headers: usize = last
        .headers
        .iter()
        .filter(|(name, _)| {
            let name: &str = name.as_ref();
            name == "Nats-Msg-Id" || name == "Nats-Expected-Last-Subject-Sequence"
        })
        .map(|(name, values)| {
            values
                .iter()
                .map(|v| AsRef::<str>::as_ref(name).len() + v.as_str().len() + 4)
                .sum::<usize>()
        })
        .sum();
    println!(
        "commit size       a {event}-byte event: commit {} bytes ({:.2}x the event), headers {headers} bytes, subject {} bytes, {stored} bytes stored",
        last.payload.len(),
        last.payload.len() as f64 / event as f64,
        last.subject.len(),
    );
}

#[tokio::main]
async fn main() {
    let env = TestEnv::new().await;
    // `NATS_URL` may name a cluster (`cargo dev nats-cluster`); replicas as the services take them.
    let replicas: usize = std::env::var("BREAKROOM_STREAM_REPLICAS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    println!("streams with {replicas} replica(s) on {}", env.nats_url);
    let mut config = env.config(SERVICE);
    config.stream_replicas = replicas;
    let infra = env.infra_with(config, Some(&MIGRATOR)).await;
    let repository = Repository::<Counter>::new(infra.store.clone(), 10_000);
    breakroom_events::event_store::EventStore::new(
        infra.js.clone(),
        env.namespace.clone(),
        RAW,
        Duration::from_secs(120),
    )
    .with_replicas(replicas)
    .ensure_stream()
    .await
    .unwrap();
    println!(
        "Breakroom kit benchmark ({} writers where concurrent)\n",
        WRITERS
    );
    commit_bytes(&infra, &repository).await;

    let raw_hot = raw(&infra, 1, 1, HOT_COMMANDS, "hot").await;
    let kit_hot = kit(&repository, 1, WRITERS, HOT_COMMANDS, "hot").await;
    println!("1 hot aggregate   raw publish+ack (sequential, the floor) {raw_hot:>9.0} msg/s");
    println!(
        "1 hot aggregate   kit execute ({WRITERS} writers, serialised)    {kit_hot:>9.0} cmd/s  ratio {:.2}",
        kit_hot / raw_hot
    );

    // Warm the cache the way a running service is warm, then measure.
    kit(&repository, AGGREGATES, WRITERS, AGGREGATES, "agg").await;
    // One run of each lasts about half a second, short enough for a flush of the stream's
    // file or a neighbour's burst to move one of them by a third: alternate them for
    // `ROUNDS` rounds and take the median ratio.
    let mut ratios = Vec::new();
    for round in 0..ROUNDS {
        let prefix = format!("spread{round}");
        let raw_spread = raw(&infra, AGGREGATES, WRITERS, SPREAD_COMMANDS, &prefix).await;
        let kit_spread = kit(&repository, AGGREGATES, WRITERS, SPREAD_COMMANDS, "agg").await;
        println!(
            "{AGGREGATES} aggregates    raw publish+ack ({WRITERS} writers)              {raw_spread:>9.0} msg/s  round {}",
            round + 1
        );
        println!(
            "{AGGREGATES} aggregates    kit execute ({WRITERS} writers)                  {kit_spread:>9.0} cmd/s  ratio {:.2}",
            kit_spread / raw_spread
        );
        ratios.push(kit_spread / raw_spread);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "{AGGREGATES} aggregates    kit/raw median of {ROUNDS} rounds                     ratio {:.2}",
        ratios[ROUNDS / 2]
    );

    // Projector catch-up over every commit written above, into an empty read model.
    let last = infra.store.last_sequence().await.unwrap();
    let commits = 2 + HOT_COMMANDS + AGGREGATES + ROUNDS * SPREAD_COMMANDS;
    let events = commits + 2 + AGGREGATES; // plus one `CounterCreated` per new aggregate
    let cancel = CancellationToken::new();
    let started = Instant::now();
    let handle = Projector::new(
        Arc::new(CounterProjection),
        SERVICE,
        infra.js.clone(),
        infra.pool.clone(),
        infra.config.namespace.clone(),
        infra.config.lease_ttl,
    )
    .spawn(cancel.clone());
    projector::wait_for(
        &infra.pool,
        PROJECTION,
        infra.store.stream_name(),
        last,
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    cancel.cancel();
    let _ = handle.task.await;
    let failed = projector::failed_events(&infra.pool, PROJECTION)
        .await
        .unwrap()
        .len();
    println!(
        "projector catch-up  {commits} commits ({events} events) in {:.2}s: {:>9.0} events/s, {:.0} commits/s ({failed} failed)",
        elapsed.as_secs_f64(),
        rate(events, elapsed),
        rate(commits, elapsed)
    );
}
