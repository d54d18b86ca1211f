//! Past one machine: the four services on a three-node NATS cluster with every stream
//! replicated three times (`BREAKROOM_STREAM_REPLICAS=3`), and the node leading
//! scheduling's stream killed in the middle of the WFM import. The import is retried with
//! its request id, the chain's announcement goes out while the node is down, the node
//! comes back and catches up: nothing lost, nothing doubled, and every service is
//! NOT_SERVING at most briefly.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use async_nats::jetstream;
use breakroom_e2e::{
    platform::{Platform, Service},
    private::NatsCluster,
};
use breakroom_proto::scheduling::v1::scheduling_service_client::SchedulingServiceClient;
use breakroom_testing::{TestEnv, eventually, token};
use tokio_util::sync::CancellationToken;

use crate::{after, announce, chain, roster, shared_wiring, start};

const SERVICES: [Service; 4] = [
    Service::Identity,
    Service::Scheduling,
    Service::Feed,
    Service::Notifications,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_three_node_nats_cluster_a_node_killed_mid_import_loses_and_doubles_nothing() {
    let env = TestEnv::new().await;
    let mut cluster = NatsCluster::start(3).await.unwrap();
    let js = jetstream_ready(&cluster.url()).await;
    let mut wiring = shared_wiring(&env);
    wiring.nats_url = cluster.url();
    wiring
        .env
        .push(("BREAKROOM_STREAM_REPLICAS".into(), "3".into()));
    let platform = start(wiring, &SERVICES).await;
    let ns = env.namespace.as_str().to_uppercase();
    for service in ["IDENTITY", "SCHEDULING", "FEED", "NOTIFICATIONS"] {
        let info = js
            .get_stream(format!("{ns}_{service}"))
            .await
            .unwrap()
            .info()
            .await
            .unwrap()
            .clone();
        assert_eq!(info.config.num_replicas, 3, "{service}");
    }

    let chain = chain::onboard(platform.channel(Service::Identity).await.unwrap(), 10).await;
    let import = roster::next_week_import(&chain);
    let expected: usize = import.rosters.iter().map(|r| r.shifts.len()).sum();
    let watch = HealthWatch::start(&platform);

    // The WFM system sends the import; the node leading scheduling's stream dies under it.
    let leader = stream_leader(&js, &format!("{ns}_SCHEDULING")).await;
    let scheduling = platform.channel(Service::Scheduling).await.unwrap();
    let first = {
        let request = after(&chain.wfm, &chain.position, import.clone());
        let scheduling = scheduling.clone();
        tokio::spawn(async move {
            SchedulingServiceClient::new(scheduling)
                .import_roster(request)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let killed_at = Instant::now();
    cluster.node(&leader).unwrap().stop().await.unwrap();
    let _ = first.await;
    // Whatever the first answer was, the client retries with the same request id.
    let imported = eventually(Duration::from_secs(60), || {
        let request = after(&chain.wfm, &chain.position, import.clone());
        let scheduling = scheduling.clone();
        async move {
            SchedulingServiceClient::new(scheduling)
                .import_roster(request)
                .await
                .ok()
        }
    })
    .await;
    println!(
        "import answered {:.1} s after the stream leader {leader} was killed",
        killed_at.elapsed().as_secs_f64()
    );
    let positions = format!("{},{}", chain.position, token(imported.metadata()));

    // With two nodes of three, the chain goes on: an announcement to be read and confirmed.
    for service in SERVICES {
        platform
            .wait_status(service, true, Duration::from_secs(60))
            .await
            .unwrap();
    }
    let feed = platform.channel(Service::Feed).await.unwrap();
    let announced = announce::must_read(&feed, &chain, &chain.position, 5).await;
    assert_eq!(announced.acknowledged.len(), 5);

    // The node returns and catches up with what was written while it was away.
    cluster.node(&leader).unwrap().resume().await.unwrap();
    let back = cluster.node(&leader).unwrap().url();
    let own = jetstream::new(async_nats::connect(back.as_str()).await.unwrap());
    for service in ["IDENTITY", "SCHEDULING", "FEED", "NOTIFICATIONS"] {
        let name = format!("{ns}_{service}");
        let last = js
            .get_stream(&name)
            .await
            .unwrap()
            .info()
            .await
            .unwrap()
            .state
            .last_sequence;
        eventually(Duration::from_secs(60), || {
            let own = own.clone();
            let name = name.clone();
            async move {
                let mut stream = own.get_stream(&name).await.ok()?;
                let info = stream.info().await.ok()?;
                let current = info.cluster.as_ref()?.replicas.iter().all(|r| r.current);
                (info.state.last_sequence >= last && current).then_some(())
            }
        })
        .await;
    }
    let outages = watch.stop().await;

    // Nothing lost, nothing doubled: every imported shift once, every person once.
    let mut total = 0;
    for store in &chain.stores {
        let shifts =
            roster::store_shifts(&scheduling, &store.manager.token, &positions, &store.name).await;
        let mut ids: Vec<_> = shifts.iter().map(|s| s.0.clone()).collect();
        ids.dedup();
        assert_eq!(ids.len(), shifts.len(), "a shift twice in {}", store.name);
        total += shifts.len();
    }
    assert_eq!(total, expected, "every imported shift exactly once");
    let people = chain::people(&platform, &chain).await;
    assert_eq!(people.len(), 1 + 3 * 10);

    for (service, longest) in &outages {
        println!("{service}: longest NOT_SERVING stretch {longest:.1?}");
        assert!(
            *longest < Duration::from_secs(20),
            "{service} was not serving for {longest:?}"
        );
    }
}

/// A JetStream context once the cluster has elected its meta leader: a replicated stream
/// can be created.
async fn jetstream_ready(url: &str) -> jetstream::Context {
    let servers: Vec<async_nats::ServerAddr> = url.split(',').map(|u| u.parse().unwrap()).collect();
    let js = jetstream::new(async_nats::connect(servers).await.unwrap());
    eventually(Duration::from_secs(60), || {
        let js = js.clone();
        async move {
            js.create_stream(jetstream::stream::Config {
                name: "PROBE".into(),
                subjects: vec!["probe".into()],
                num_replicas: 3,
                ..Default::default()
            })
            .await
            .ok()
        }
    })
    .await;
    js.delete_stream("PROBE").await.unwrap();
    js
}

/// The `server_name` of the node leading `stream`.
async fn stream_leader(js: &jetstream::Context, stream: &str) -> String {
    let mut stream = js.get_stream(stream).await.unwrap();
    let info = stream.info().await.unwrap();
    info.cluster
        .as_ref()
        .and_then(|c| c.leader.clone())
        .expect("a replicated stream has a leader")
}

/// Polls every service's health every 200 ms and keeps each one's longest stretch of
/// not answering SERVING.
struct HealthWatch {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<BTreeMap<&'static str, Duration>>,
}

impl HealthWatch {
    fn start(platform: &Platform) -> Self {
        let addrs: Vec<_> = SERVICES
            .iter()
            .map(|s| (s.name(), s.health_name(), platform.addr(*s)))
            .collect();
        let stop = CancellationToken::new();
        let cancelled = stop.clone();
        let task = tokio::spawn(async move {
            let mut longest: BTreeMap<&'static str, Duration> = BTreeMap::new();
            let mut down_since: BTreeMap<&'static str, Instant> = BTreeMap::new();
            while !cancelled.is_cancelled() {
                for (name, health, addr) in &addrs {
                    let serving = serving(*addr, health).await;
                    let now = Instant::now();
                    if serving {
                        if let Some(since) = down_since.remove(name) {
                            let entry = longest.entry(*name).or_insert(Duration::ZERO);
                            *entry = (*entry).max(now - since);
                        }
                    } else {
                        down_since.entry(name).or_insert(now);
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            for (name, since) in down_since {
                let entry = longest.entry(name).or_insert(Duration::ZERO);
                *entry = (*entry).max(since.elapsed());
            }
            for (name, _, _) in &addrs {
                longest.entry(*name).or_insert(Duration::ZERO);
            }
            longest
        });
        Self { stop, task }
    }

    async fn stop(self) -> BTreeMap<&'static str, Duration> {
        self.stop.cancel();
        self.task.await.unwrap()
    }
}

async fn serving(addr: std::net::SocketAddr, service: &str) -> bool {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let Ok(channel) = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(1))
        .connect()
        .await
    else {
        return false;
    };
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: service.into(),
    });
    request.set_timeout(Duration::from_secs(1));
    matches!(
        HealthClient::new(channel).check(request).await,
        Ok(r) if r.get_ref().status == ServingStatus::Serving as i32
    )
}
