//! A rolling update as a platform team runs one: two scheduling replicas behind a
//! client-side balancer under steady load of writes and reads; each replica in turn gets
//! SIGTERM (drains, exits) and a new process takes its place. No request fails (a
//! client retries UNAVAILABLE with the same request id, as every gRPC client should) and
//! every acknowledged write is there afterwards. Prints the figures.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use breakroom_e2e::platform::Service;
use breakroom_proto::scheduling::v1::{
    self as pb, scheduling_service_client::SchedulingServiceClient,
};
use breakroom_testing::{TestEnv, bearer};
use tonic::{
    Code, Status,
    transport::{Channel, Endpoint},
};

use crate::{chain, service_env, shared_wiring, start};

const WORKERS: usize = 4;
/// One-hour slots a worker's employee can be planned in during the week (16 a day).
const SLOTS: usize = 7 * 16;

/// Calls `call` until it answers something not worth retrying (at most 10 tries);
/// returns the answer and how many retries it took.
async fn retrying<T, F, Fut>(mut call: F) -> (Result<T, Status>, usize)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Status>>,
{
    let mut retries = 0;
    loop {
        match call().await {
            Err(status) if retries < 10 && retryable(&status) => {
                retries += 1;
                tokio::time::sleep(Duration::from_millis(50 * retries as u64)).await;
            }
            answer => return (answer, retries),
        }
    }
}

/// UNAVAILABLE, the transport failures a connection cut by a stopping server shows, and
/// ABORTED (four writers on one roster week across two replicas may outlast the server's
/// own conflict retries; AIP-194 has clients retry it).
fn retryable(status: &Status) -> bool {
    status.code() == Code::Unavailable
        || status.code() == Code::Aborted
        || (status.code() == Code::Unknown && status.message().contains("transport"))
        || status.code() == Code::Cancelled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_update_of_two_scheduling_replicas_under_load_fails_no_request() {
    let env = TestEnv::new().await;
    let mut platform = start(shared_wiring(&env), &[Service::Identity]).await;
    for replica in 0..2 {
        platform
            .start_replica(
                (Service::Scheduling, replica),
                &service_env(Service::Scheduling),
            )
            .await
            .unwrap();
    }
    let chain = chain::onboard(
        platform.channel(Service::Identity).await.unwrap(),
        WORKERS + 1,
    )
    .await;
    let store = chain.stores[0].clone();
    let endpoints = (0..2).map(|r| {
        Endpoint::from_shared(format!(
            "http://{}",
            platform.replica_addr((Service::Scheduling, r))
        ))
        .unwrap()
        .timeout(Duration::from_secs(10))
    });
    let balanced = Channel::balance_list(endpoints);
    let week = "2031-W02";
    let monday = jiff::civil::date(2031, 1, 6);

    let stop = Arc::new(AtomicBool::new(false));
    let (requests, retries) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (channel, store, stop) = (balanced.clone(), store.clone(), stop.clone());
        let (requests, retries) = (requests.clone(), retries.clone());
        let roster = format!("{}/rosters/{week}", store.name);
        workers.push(tokio::spawn(async move {
            let mut written = Vec::new();
            let mut latencies = Vec::new();
            let mut slot = 0;
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                let (answer, tries) = if slot < SLOTS {
                    let date = monday
                        .checked_add(jiff::Span::new().days((slot / 16) as i64))
                        .unwrap();
                    let hour = 6 + slot % 16;
                    let request = pb::UpsertShiftRequest {
                        parent: store.name.clone(),
                        shift: Some(pb::Shift {
                            employee: store.employees[w].name.clone(),
                            start_local: format!("{date}T{hour:02}:00"),
                            end_local: format!("{date}T{hour:02}:45"),
                            ..Default::default()
                        }),
                        request_id: uuid::Uuid::new_v4().to_string(),
                    };
                    slot += 1;
                    let (answer, tries) = retrying(|| {
                        let mut client = SchedulingServiceClient::new(channel.clone());
                        let request = bearer(&store.manager.token, request.clone());
                        async move { client.upsert_shift(request).await }
                    })
                    .await;
                    let answer = answer.map(|r| {
                        let position = breakroom_testing::sequence(r.metadata());
                        written.push((r.into_inner().name, position));
                    });
                    (answer, tries)
                } else {
                    let (answer, tries) = retrying(|| {
                        let mut client = SchedulingServiceClient::new(channel.clone());
                        let request = bearer(
                            &store.manager.token,
                            pb::GetRosterRequest {
                                name: roster.clone(),
                            },
                        );
                        async move { client.get_roster(request).await }
                    })
                    .await;
                    (answer.map(|_| ()), tries)
                };
                latencies.push(started.elapsed());
                requests.fetch_add(1, Ordering::SeqCst);
                retries.fetch_add(tries, Ordering::SeqCst);
                answer?;
            }
            Ok::<_, Status>((written, latencies))
        }));
    }

    // Let the load settle, then roll both replicas one after the other.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rollout = Instant::now();
    let mut drains = Vec::new();
    for replica in 0..2 {
        drains.push(
            platform
                .stop_replica((Service::Scheduling, replica))
                .await
                .unwrap(),
        );
        platform
            .restart_replica((Service::Scheduling, replica))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let rollout = rollout.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);

    let mut written = Vec::new();
    let mut latencies = Vec::new();
    for worker in workers {
        let (w, l) = worker
            .await
            .unwrap()
            .expect("no request failed during the rollout");
        written.extend(w);
        latencies.extend(l);
    }
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "rolling update of 2 scheduling replicas in {rollout:?} (drains {drains:?}): {} requests \
         ({} writes), 0 failed, {} retried, p50 {:?}, p99 {:?}, max {:?}",
        requests.load(Ordering::SeqCst),
        written.len(),
        retries.load(Ordering::SeqCst),
        p(0.5),
        p(0.99),
        latencies.last().unwrap()
    );

    // Every acknowledged write is in the week, read as of the last acknowledged commit.
    let last = written.iter().map(|(_, position)| *position).max().unwrap();
    let mut request = bearer(
        &store.manager.token,
        pb::GetRosterRequest {
            name: format!("{}/rosters/{week}", store.name),
        },
    );
    request.metadata_mut().insert(
        "breakroom-min-sequence",
        format!("scheduling:{last}").parse().unwrap(),
    );
    let roster = SchedulingServiceClient::new(balanced)
        .get_roster(request)
        .await
        .unwrap()
        .into_inner();
    let names: std::collections::HashSet<_> = roster.shifts.iter().map(|s| &s.name).collect();
    let missing: Vec<_> = written.iter().filter(|(n, _)| !names.contains(n)).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert_eq!(roster.shifts.len(), written.len(), "nothing written twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_projecting_replica_of_three_hands_the_read_model_to_a_standby() {
    let env = TestEnv::new().await;
    let mut platform = start(shared_wiring(&env), &[Service::Identity]).await;
    for replica in 0..3 {
        let pod = format!("scheduling-{replica}");
        let mut vars = service_env(Service::Scheduling);
        vars.push(("POD_NAME", pod.as_str()));
        platform
            .start_replica((Service::Scheduling, replica), &vars)
            .await
            .unwrap();
    }
    let chain = chain::onboard(platform.channel(Service::Identity).await.unwrap(), 3).await;
    let store = &chain.stores[0];
    let js = async_nats::jetstream::new(env.nats().await);
    let leases = js
        .get_key_value(format!("{}_leases", env.namespace.as_str()))
        .await
        .unwrap();
    let key = "scheduling_scheduling_read_model";
    let holder = breakroom_testing::eventually(Duration::from_secs(20), || {
        let leases = leases.clone();
        async move { leases.get(key).await.ok().flatten() }
    })
    .await;
    let holder = String::from_utf8(holder.to_vec()).unwrap();
    let leader: usize = holder.trim_start_matches("scheduling-").parse().unwrap();

    // SIGKILL the replica holding the projection's lease; a standby must take over.
    let killed = Instant::now();
    platform
        .kill_replica((Service::Scheduling, leader))
        .await
        .unwrap();
    let survivor = (leader + 1) % 3;
    let channel = Channel::from_shared(format!(
        "http://{}",
        platform.replica_addr((Service::Scheduling, survivor))
    ))
    .unwrap()
    .connect()
    .await
    .unwrap();
    let planned = SchedulingServiceClient::new(channel.clone())
        .upsert_shift(bearer(
            &store.manager.token,
            pb::UpsertShiftRequest {
                parent: store.name.clone(),
                shift: Some(pb::Shift {
                    employee: store.employees[0].name.clone(),
                    start_local: "2031-01-06T09:00".into(),
                    end_local: "2031-01-06T13:00".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    let position = format!(
        "scheduling:{}",
        breakroom_testing::sequence(planned.metadata())
    );
    // The read model shows it once a standby holds the lease and has projected it.
    let roster = breakroom_testing::eventually(Duration::from_secs(30), || {
        let mut client = SchedulingServiceClient::new(channel.clone());
        let mut request = bearer(
            &store.manager.token,
            pb::GetRosterRequest {
                name: format!("{}/rosters/2031-W02", store.name),
            },
        );
        request
            .metadata_mut()
            .insert("breakroom-min-sequence", position.parse().unwrap());
        async move { client.get_roster(request).await.ok() }
    })
    .await;
    let recovered = killed.elapsed();
    assert_eq!(roster.get_ref().shifts.len(), 1);
    let new_holder = leases.get(key).await.unwrap().unwrap();
    assert_ne!(String::from_utf8(new_holder.to_vec()).unwrap(), holder);
    println!(
        "projection leader {holder} killed (SIGKILL) among 3 replicas: a write on another \
         replica readable after {recovered:?} (lease TTL 2 s)"
    );
}
