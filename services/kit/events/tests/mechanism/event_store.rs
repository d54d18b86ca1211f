//! Appends, concurrency control, idempotency and loading.

use std::sync::Arc;

use breakroom_base::Error;
use breakroom_events::{
    aggregate::Aggregate,
    envelope::CommandMeta,
    event_store::{Appended, EventStore},
    repository::Repository,
};
use breakroom_proto::kit::testing::v1 as pb;
use breakroom_testing::{
    TestEnv,
    counter::{Counter, Increment, SERVICE},
};

fn increment(amount: i64) -> Vec<pb::CounterEvent> {
    vec![pb::CounterEvent {
        event: Some(pb::counter_event::Event::Incremented(
            pb::CounterIncremented {
                amount,
                note: String::new(),
            },
        )),
    }]
}

/// `racers` concurrent appends to one aggregate, all expecting version `expected`.
async fn race_appends(
    store: &EventStore,
    id: &str,
    expected: u64,
    racers: i64,
) -> Vec<breakroom_base::Result<Appended>> {
    let racers = (0..racers).map(|i| {
        let (store, id) = (store.clone(), id.to_owned());
        tokio::spawn(async move {
            store
                .append::<Counter>(
                    "chain",
                    &id,
                    expected,
                    &CommandMeta::new("t"),
                    &increment(i + 1),
                )
                .await
        })
    });
    futures::future::join_all(racers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_appends_at_the_same_version_have_exactly_one_winner() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let store = infra.store.clone();
    let first = store
        .append::<Counter>("chain", "c1", 0, &CommandMeta::new("t"), &increment(1))
        .await
        .unwrap();

    let results = race_appends(&store, "c1", first.sequence, 2).await;

    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().any(|r| matches!(r, Err(Error::Conflict(_)))),
        "{results:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_creations_of_one_aggregate_have_exactly_one_winner() {
    let env = TestEnv::new().await;
    let store = env.infra(SERVICE, None).await.store;

    let results = race_appends(&store, "new-one", 0, 10).await;

    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(Error::Conflict(_))))
            .count(),
        9
    );
    let loaded = store.load::<Counter>("chain", "new-one").await.unwrap();
    assert_eq!(
        loaded.version,
        results
            .iter()
            .find_map(|r| r.as_ref().ok())
            .unwrap()
            .sequence
    );
}

#[tokio::test]
async fn a_retried_append_with_a_stale_version_is_answered_as_the_original() {
    let env = TestEnv::new().await;
    let store = env.infra(SERVICE, None).await.store;
    let meta = CommandMeta::new("t").with_request_id(Some(uuid::Uuid::new_v4().to_string()));

    let original = store
        .append::<Counter>("chain", "c", 0, &meta, &increment(5))
        .await
        .unwrap();
    let retried = store
        .append::<Counter>("chain", "c", 0, &meta, &increment(5))
        .await
        .unwrap();

    assert!(!original.duplicate);
    assert!(retried.duplicate);
    assert_eq!(retried.sequence, original.sequence);
    assert_eq!(
        store
            .load::<Counter>("chain", "c")
            .await
            .unwrap()
            .state
            .value,
        5
    );
}

#[tokio::test]
async fn the_same_request_id_twice_appends_once_even_after_a_lost_reply() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let replica_a = Repository::<Counter>::new(infra.store.clone(), 100);
    let meta = CommandMeta::new("t").with_request_id(Some(uuid::Uuid::new_v4().to_string()));

    let first = replica_a
        .execute("chain", "c", &meta, &Increment::by(7))
        .await
        .unwrap();
    let again = replica_a
        .execute("chain", "c", &meta, &Increment::by(7))
        .await
        .unwrap();
    // The reply was lost and the client retried against another replica (cold cache).
    let replica_b = Repository::<Counter>::new(infra.store.clone(), 100);
    let elsewhere = replica_b
        .execute("chain", "c", &meta, &Increment::by(7))
        .await
        .unwrap();

    assert_eq!(
        (again.sequence, elsewhere.sequence),
        (first.sequence, first.sequence)
    );
    assert!(again.replayed && elsewhere.replayed && !first.replayed);
    assert_eq!(elsewhere.state.value, 7);
    let loaded = infra.store.load::<Counter>("chain", "c").await.unwrap();
    assert_eq!((loaded.state.value, loaded.version), (7, first.sequence));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_on_two_replicas_lose_no_increment() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let replicas = [
        Repository::<Counter>::new(infra.store.clone(), 100),
        Repository::<Counter>::new(infra.store.clone(), 100),
    ];

    let tasks = (0..40).map(|i| {
        let repository = Arc::clone(&replicas[i % 2]);
        tokio::spawn(async move {
            repository
                .execute("chain", "hot", &CommandMeta::new("t"), &Increment::by(1))
                .await
        })
    });
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let ok = results.iter().filter(|r| r.is_ok()).count();
    let aborted = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Conflict(_))))
        .count();
    assert_eq!(ok + aborted, 40, "only conflicts may fail: {results:?}");
    let loaded = infra.store.load::<Counter>("chain", "hot").await.unwrap();
    assert_eq!(
        loaded.state.value, ok as i64,
        "every acknowledged increment is there, nothing else"
    );
}

#[tokio::test]
async fn a_long_history_loads_through_replay_to_the_same_state() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let repository = Repository::<Counter>::new(infra.store.clone(), 100);
    for amount in 1..=50 {
        repository
            .execute(
                "chain",
                "long",
                &CommandMeta::new("t"),
                &Increment::by(amount),
            )
            .await
            .unwrap();
    }

    let loaded = infra.store.load::<Counter>("chain", "long").await.unwrap();

    assert_eq!(
        loaded.state,
        Counter {
            exists: true,
            value: (1..=50).sum()
        }
    );
    assert_eq!(loaded.version, infra.store.last_sequence().await.unwrap());
}

#[tokio::test]
async fn invalid_commands_and_ids_are_refused_before_anything_is_appended() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let repository = Repository::<Counter>::new(infra.store.clone(), 100);

    let zero = repository
        .execute("chain", "c", &CommandMeta::new("t"), &Increment::by(0))
        .await;
    let bad_id = repository
        .execute("chain", "a.b", &CommandMeta::new("t"), &Increment::by(1))
        .await;
    let wildcard = repository
        .execute("*", "c", &CommandMeta::new("t"), &Increment::by(1))
        .await;

    assert!(
        matches!(zero, Err(Error::Invalid(ref v)) if v[0].field == "amount"),
        "{zero:?}"
    );
    assert!(matches!(bad_id, Err(Error::Invalid(_))), "{bad_id:?}");
    assert!(matches!(wildcard, Err(Error::Invalid(_))), "{wildcard:?}");
    assert_eq!(infra.store.last_sequence().await.unwrap(), 0);
}

#[test]
fn the_counter_decides_by_given_when_then() {
    use breakroom_events::aggregate::given;
    let created = pb::CounterEvent {
        event: Some(pb::counter_event::Event::Created(pb::CounterCreated {})),
    };

    let state = given::<Counter>([])
        .when(Increment::by(2))
        .then([created.clone(), increment(2).remove(0)]);
    assert_eq!(
        state,
        Counter {
            exists: true,
            value: 2
        }
    );

    let error = given::<Counter>([created])
        .when(Increment::by(5000))
        .then_error();
    assert!(matches!(error, Error::Invalid(_)));
    assert_eq!(Counter::TYPE, "counter");
}

#[tokio::test]
async fn one_request_id_may_touch_several_aggregates_and_each_change_happens_once() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let repository = Repository::<Counter>::new(infra.store.clone(), 100);
    let meta = CommandMeta::new("t").with_request_id(Some(uuid::Uuid::new_v4().to_string()));

    let a = repository
        .execute("chain", "a", &meta, &Increment::by(1))
        .await
        .unwrap();
    let b = repository
        .execute("chain", "b", &meta, &Increment::by(2))
        .await
        .unwrap();
    let b_again = repository
        .execute("chain", "b", &meta, &Increment::by(2))
        .await
        .unwrap();

    assert!(!a.replayed && !b.replayed && b_again.replayed);
    assert_ne!(a.sequence, b.sequence);
    assert_eq!(b_again.sequence, b.sequence);
    assert_eq!(
        infra
            .store
            .load::<Counter>("chain", "b")
            .await
            .unwrap()
            .state
            .value,
        2
    );
}

#[tokio::test]
async fn a_request_id_that_cannot_be_a_header_is_refused_not_a_panic() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let repository = Repository::<Counter>::new(infra.store.clone(), 100);
    let meta = CommandMeta::new("t").with_request_id(Some("abc\r\nNats-Expected-Stream: x".into()));

    let result = repository
        .execute("chain", "c", &meta, &Increment::by(1))
        .await;

    assert!(
        matches!(result, Err(Error::Invalid(ref v)) if v[0].field == "request_id"),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_conflict_with_another_replica_is_retried_and_counted() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let replica_a = Repository::<Counter>::new(infra.store.clone(), 100);
    let replica_b = Repository::<Counter>::new(infra.store.clone(), 100);
    let meta = CommandMeta::new("t");

    let first = replica_a
        .execute("chain", "c", &meta, &Increment::by(1))
        .await
        .unwrap();
    // Replica B moves the aggregate past the version A has cached.
    replica_b
        .execute("chain", "c", &meta, &Increment::by(1))
        .await
        .unwrap();
    let retried = replica_a
        .execute("chain", "c", &meta, &Increment::by(1))
        .await
        .unwrap();

    assert_eq!(first.attempts, 1);
    assert_eq!(retried.attempts, 2, "one conflict, one reload");
    assert_eq!(retried.state.value, 3);
}

#[tokio::test]
async fn a_recorded_commit_tells_who_why_and_when_from_envelope_subject_and_headers() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let repository = Repository::<Counter>::new(infra.store.clone(), 100);
    let user = uuid::Uuid::now_v7();
    let request_id = uuid::Uuid::new_v4().to_string();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_780_000_000_123);
    let mut meta = CommandMeta::new(format!("tenants/chain/users/{user}"))
        .with_request_id(Some(request_id.clone()));
    meta.now = Some(at);
    meta.causation_id = Some("import-7".into());
    repository
        .execute("chain", "c", &meta, &Increment::by(1))
        .await
        .unwrap();
    repository
        .execute(
            "chain",
            "c",
            &CommandMeta::new("system/test"),
            &Increment::by(2),
        )
        .await
        .unwrap();

    let commits = breakroom_testing::recorded(&env, SERVICE, "counter.chain.c").await;
    let [created, second] = commits.as_slice() else {
        panic!("two commits: {commits:?}")
    };
    assert_eq!(
        (
            created.service(),
            created.aggregate_type(),
            created.tenant(),
            created.aggregate_id()
        ),
        (SERVICE, "counter", "chain", "c")
    );
    assert_eq!(created.actor(), format!("tenants/chain/users/{user}"));
    assert_eq!(created.request_id(), Some(request_id.as_str()));
    assert_eq!(created.occurred_at(), at);
    assert_eq!(created.causation_id().as_deref(), Some("import-7"));
    assert_eq!(created.correlation_id(), created.commit_id().to_string());
    assert!(created.creates() && !second.creates());
    assert_eq!(created.event_count(), 2, "created and incremented");
    assert_eq!(second.actor(), "system/test");
    assert_eq!(second.request_id(), None);
    assert!(
        second.trace_context().is_empty(),
        "no sampled trace, no trace context"
    );
    assert_ne!(created.commit_id(), second.commit_id());
}

#[tokio::test]
async fn an_aggregate_is_changed_since_a_version_only_when_it_has_a_later_commit() {
    let env = TestEnv::new().await;
    let infra = env.infra(SERVICE, None).await;
    let (store, meta) = (&infra.store, CommandMeta::new("t"));
    let [one, two] = [
        Repository::<Counter>::new(store.clone(), 100),
        Repository::<Counter>::new(store.clone(), 100),
    ];
    let changed = |id: &'static str, version: u64| async move {
        store
            .changed_since(Counter::TYPE, "chain", id, version)
            .await
            .unwrap()
    };
    let value = |repository: &Arc<Repository<Counter>>| {
        let repository = repository.clone();
        async move {
            let loaded = repository.load_current("chain", "watched").await.unwrap();
            loaded.state.value
        }
    };
    assert!(
        !changed("new", 0).await,
        "an aggregate without commits has none after 0"
    );
    let first = one
        .execute("chain", "watched", &meta, &Increment::by(1))
        .await
        .unwrap()
        .sequence;
    // Commits of other aggregates after it do not count.
    one.execute("chain", "other", &meta, &Increment::by(1))
        .await
        .unwrap();
    assert!(changed("watched", 0).await);
    assert!(!changed("watched", first).await);
    assert_eq!(value(&one).await, 1);

    // Another replica's write: the first replica's cached state is now behind.
    two.execute("chain", "watched", &meta, &Increment::by(2))
        .await
        .unwrap();
    assert!(changed("watched", first).await);
    assert_eq!(
        value(&one).await,
        3,
        "a cached state is not served once the aggregate has moved on"
    );
}
