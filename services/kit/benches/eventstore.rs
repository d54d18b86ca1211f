//! Event store and projector throughput on this machine, printed as figures.
//!
//! `cargo bench -p breakroom-kit --bench eventstore` (needs NATS and PostgreSQL, as the
//! tests do). Compares the kit's full command path (load from cache, decide, encode the
//! envelope, append with expected version and request id) with raw JetStream publishes
//! carrying the same expected-sequence header, at equal concurrency, then measures how
//! fast a projector catches up on the whole stream into PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use async_nats::HeaderMap;
use breakroom_kit::{
    envelope::CommandMeta,
    projector::{self, Projector},
    repository::Repository,
    server::Infra,
    testing::{
        TestEnv,
        counter::{Counter, CounterProjection, Increment, MIGRATOR, PROJECTION, SERVICE},
    },
};
use tokio_util::sync::CancellationToken;

/// Raw publishes go to a stream of their own so the projector sees only commits.
const RAW: &str = "rawbench";
const WRITERS: usize = 64;
const AGGREGATES: usize = 1000;
const HOT_COMMANDS: usize = 3_000;
const SPREAD_COMMANDS: usize = 30_000;

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
                    breakroom_kit::event_store::subject_prefix(&infra.config.namespace, RAW)
                )
            })
            .collect();
        let per_writer = total / writers;
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
                    .publish_with_headers(subjects[k].clone(), headers, vec![0u8; 120].into())
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
        tokio::spawn(async move {
            for i in 0..total / writers {
                let id = format!("{prefix}{}", (i * writers + w) % aggregates);
                let meta = CommandMeta::new("bench")
                    .with_request_id(Some(uuid::Uuid::now_v7().to_string()));
                repository
                    .execute("chain", &id, &meta, &Increment { amount: 1 })
                    .await
                    .unwrap();
            }
        })
    });
    futures::future::join_all(tasks).await;
    rate(total / writers * writers, started.elapsed())
}

#[tokio::main]
async fn main() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, Some(&MIGRATOR)).await;
    let repository = Repository::<Counter>::new(infra.store.clone(), 10_000);
    breakroom_kit::event_store::EventStore::new(
        infra.js.clone(),
        env.namespace.clone(),
        RAW,
        Duration::from_secs(120),
    )
    .ensure_stream()
    .await
    .unwrap();
    println!(
        "Breakroom kit benchmark ({} writers where concurrent)\n",
        WRITERS
    );

    let raw_hot = raw(&infra, 1, 1, HOT_COMMANDS, "hot").await;
    let kit_hot = kit(&repository, 1, WRITERS, HOT_COMMANDS, "hot").await;
    println!("1 hot aggregate   raw publish+ack (sequential, the floor) {raw_hot:>9.0} msg/s");
    println!(
        "1 hot aggregate   kit execute ({WRITERS} writers, serialised)    {kit_hot:>9.0} cmd/s  ratio {:.2}",
        kit_hot / raw_hot
    );

    // Warm the cache the way a running service is warm, then measure.
    kit(&repository, AGGREGATES, WRITERS, AGGREGATES, "agg").await;
    let raw_spread = raw(&infra, AGGREGATES, WRITERS, SPREAD_COMMANDS, "spread").await;
    let kit_spread = kit(&repository, AGGREGATES, WRITERS, SPREAD_COMMANDS, "agg").await;
    println!(
        "{AGGREGATES} aggregates    raw publish+ack ({WRITERS} writers)              {raw_spread:>9.0} msg/s"
    );
    println!(
        "{AGGREGATES} aggregates    kit execute ({WRITERS} writers)                  {kit_spread:>9.0} cmd/s  ratio {:.2}",
        kit_spread / raw_spread
    );

    // Projector catch-up over every commit written above, into an empty read model.
    let last = infra.store.last_sequence().await.unwrap();
    let commits = HOT_COMMANDS + AGGREGATES + SPREAD_COMMANDS;
    let events = commits + 1 + AGGREGATES; // plus one `CounterCreated` per new aggregate
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
