//! Projector protocol: crash safety, leases, poison messages, rebuild.

use std::{sync::Arc, time::Duration};

use breakroom_chassis::server::Infra;
use breakroom_events::{
    envelope::CommandMeta,
    projector::{self, HaltPoint, Projector},
    repository::Repository,
};
use breakroom_proto::kit::v1 as envelope;
use breakroom_testing::{
    TestEnv,
    counter::{Counter, CounterProjection, Increment, MIGRATOR, PROJECTION, SERVICE},
    eventually,
};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(30);

/// Appends `commits` increments spread over ten counters; returns the last sequence.
async fn write_history(infra: &Infra, commits: usize) -> u64 {
    let repository = Repository::<Counter>::new(infra.store.clone(), 100);
    let mut last = 0;
    for i in 0..commits {
        let id = format!("c{}", i % 10);
        let amount = (i % 7) as i64 + 1;
        last = repository
            .execute("chain", &id, &CommandMeta::new("t"), &Increment::by(amount))
            .await
            .unwrap()
            .sequence;
    }
    last
}

async fn rows(infra: &Infra) -> Vec<(String, i64, i64)> {
    sqlx::query_as("SELECT id, value, increments FROM counters ORDER BY id")
        .fetch_all(&infra.pool)
        .await
        .unwrap()
}

async fn caught_up(infra: &Infra, sequence: u64) {
    let stream = infra.store.stream_name().to_owned();
    eventually(WAIT, || async {
        (projector::checkpoint(&infra.pool, PROJECTION, &stream)
            .await
            .unwrap()
            >= sequence)
            .then_some(())
    })
    .await;
}

fn projector_for(infra: &Infra, owner: &'static str) -> Projector {
    Projector::new(
        Arc::new(CounterProjection),
        owner,
        infra.js.clone(),
        infra.pool.clone(),
        infra.config.namespace.clone(),
        infra.config.lease_ttl,
    )
    .batch_size(50)
}

/// The read model a fresh projector builds from scratch in a database of its own.
async fn clean_rebuild(env: &TestEnv, last: u64) -> Vec<(String, i64, i64)> {
    let mut config = env.config(SERVICE);
    config.database_url = env.database_url("clean");
    let clean = env.infra_with(config, Some(&MIGRATOR)).await;
    let cancel = CancellationToken::new();
    let handle = projector_for(&clean, "clean").spawn(cancel.clone());
    caught_up(&clean, last).await;
    cancel.cancel();
    handle.task.await.unwrap();
    rows(&clean).await
}

async fn crash_and_recover(point: HaltPoint) {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, Some(&MIGRATOR)).await;
    let last = write_history(&infra, 300).await;

    let doomed = projector_for(&infra, SERVICE)
        .halt_at(point, 3)
        .spawn(CancellationToken::new());
    eventually(WAIT, || async { doomed.is_halted().then_some(()) }).await;
    doomed.task.abort();
    let restarted = projector_for(&infra, SERVICE).spawn(CancellationToken::new());
    caught_up(&infra, last).await;

    let projected = rows(&infra).await;
    assert_eq!(
        projected.iter().map(|r| r.2).sum::<i64>(),
        300,
        "no increment missing or doubled"
    );
    assert_eq!(projected, clean_rebuild(&env, last).await);
    restarted.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_between_commit_and_ack_recovers_without_doubles() {
    crash_and_recover(HaltPoint::AfterCommit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_mid_batch_recovers_without_losses() {
    crash_and_recover(HaltPoint::MidBatch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_instances_one_projects_and_the_other_takes_over_when_it_dies() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, Some(&MIGRATOR)).await;
    let first = write_history(&infra, 20).await;
    let a = projector_for(&infra, SERVICE).spawn(CancellationToken::new());
    let b = projector_for(&infra, SERVICE).spawn(CancellationToken::new());
    caught_up(&infra, first).await;

    for _ in 0..10 {
        assert_eq!(
            u8::from(a.is_active()) + u8::from(b.is_active()),
            1,
            "exactly one active"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (active, standby) = if a.is_active() { (a, b) } else { (b, a) };
    active.task.abort(); // dies without releasing its lease
    let started = tokio::time::Instant::now();
    eventually(WAIT, || async { standby.is_active().then_some(()) }).await;
    let took = started.elapsed();
    let second = write_history(&infra, 20).await;
    caught_up(&infra, second).await;

    assert!(
        took >= Duration::from_millis(500),
        "took over before the lease could expire: {took:?}"
    );
    assert_eq!(rows(&infra).await.iter().map(|r| r.2).sum::<i64>(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_commits_are_recorded_and_skipped_and_the_projection_goes_on() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, Some(&MIGRATOR)).await;
    write_history(&infra, 5).await;
    let subject = infra.store.subject("counter", "chain", "poison");
    let garbage = infra
        .js
        .publish(subject.clone(), vec![0xff, 0x01, 0x02].into())
        .await
        .unwrap()
        .await
        .unwrap();
    let bad_event = envelope::Commit {
        commit_id: uuid::Uuid::now_v7().as_bytes().to_vec(),
        events: vec![envelope::Event {
            payload: vec![0xff; 4],
        }],
        ..Default::default()
    };
    let undecodable_event = infra
        .js
        .publish(subject, prost::Message::encode_to_vec(&bad_event).into())
        .await
        .unwrap()
        .await
        .unwrap();
    let last = write_history(&infra, 5).await;

    let handle = projector_for(&infra, SERVICE).spawn(CancellationToken::new());
    caught_up(&infra, last).await;

    let failed = projector::failed_events(&infra.pool, PROJECTION)
        .await
        .unwrap();
    let sequences: Vec<i64> = failed.iter().map(|f| f.sequence).collect();
    assert_eq!(
        sequences,
        vec![garbage.sequence as i64, undecodable_event.sequence as i64]
    );
    assert!(
        failed.iter().all(|f| f.error.contains("undecodable")),
        "{failed:?}"
    );
    assert_eq!(rows(&infra).await.iter().map(|r| r.2).sum::<i64>(), 10);
    handle.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_while_running_replays_to_the_same_read_model() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, Some(&MIGRATOR)).await;
    let last = write_history(&infra, 120).await;
    let cancel = CancellationToken::new();
    let handle = projector_for(&infra, SERVICE).spawn(cancel.clone());
    caught_up(&infra, last).await;
    let before = rows(&infra).await;

    projector::rebuild(&infra.pool, &infra.config.namespace, &CounterProjection)
        .await
        .unwrap();
    assert!(
        rows(&infra).await.is_empty(),
        "reset empties the read model"
    );
    caught_up(&infra, last).await;

    assert_eq!(rows(&infra).await, before);
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), handle.task)
        .await
        .unwrap()
        .unwrap();
}
