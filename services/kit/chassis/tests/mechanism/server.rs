//! The bootstrap as a client sees it: health, reflection, errors, auth, read-your-writes,
//! shutdown, and a dependency that goes away and comes back.

use std::{net::TcpListener, process::Stdio, time::Duration};

use breakroom_chassis::server::Infra;
use breakroom_events::consistency::{MIN_SEQUENCE_KEY, SEQUENCE_KEY};
use breakroom_proto::kit::testing::v1 as pb;
use breakroom_testing::{
    TestEnv, channel,
    counter::{self, SERVICE, TestCounter},
    eventually,
};
use futures::StreamExt;
use tonic::Code;
use tonic_types::StatusExt;

fn increment(name: &str, amount: i64, request_id: &str) -> pb::IncrementCounterRequest {
    pb::IncrementCounterRequest {
        name: name.into(),
        amount,
        request_id: request_id.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_reflection_answer_without_credentials() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;

    let mut reflection = ServerReflectionClient::new(channel(app.addr).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("unexpected reflection answer");
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();

    // Exactly what this port serves: not identity's or scheduling's services, whose
    // descriptors are in the same descriptor set.
    assert_eq!(
        names,
        [
            "breakroom.kit.testing.v1.CounterService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_answered_with_the_offending_field() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let mut client = app.client().await;

    let cases = [
        (increment("tenants/chain/counters/c", 0, ""), "amount"),
        (increment("counters/c", 1, ""), "name"),
        (increment("tenants/chain/counters/a.b", 1, ""), "name"),
        (
            increment("tenants/chain/counters/c", 1, "not-a-uuid"),
            "request_id",
        ),
    ];
    for (request, field) in cases {
        let tenant = request.name.split('/').nth(1).unwrap_or("chain").to_owned();
        let status = client
            .increment_counter(app.request(&tenant, request))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        let details = status.get_error_details();
        let violations = &details
            .bad_request()
            .expect("BadRequest details")
            .field_violations;
        assert_eq!(violations[0].field, field);
        assert_eq!(
            details.error_info().expect("ErrorInfo").domain,
            "breakroom.app"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_without_a_valid_token_for_the_tenant_are_unauthenticated() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let mut client = app.client().await;
    let name = "tenants/chain-a/counters/c";

    let anonymous = client
        .increment_counter(increment(name, 1, ""))
        .await
        .unwrap_err();
    let other_tenant = client
        .increment_counter(app.request("chain-b", increment(name, 1, "")))
        .await
        .unwrap_err();
    let mut garbage = tonic::Request::new(increment(name, 1, ""));
    garbage
        .metadata_mut()
        .insert("authorization", "Bearer abc.def.ghi".parse().unwrap());
    let garbage = client.increment_counter(garbage).await.unwrap_err();

    for status in [anonymous, other_tenant, garbage] {
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    let read = client
        .get_counter(app.request("chain-b", pb::GetCounterRequest { name: name.into() }))
        .await;
    assert_eq!(read.unwrap_err().code(), Code::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_carrying_the_commit_sequence_reads_its_own_write() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let mut client = app.client().await;
    let name = "tenants/chain/counters/ryw";

    for round in 1..=5 {
        let reply = client
            .increment_counter(app.request("chain", increment(name, 3, "")))
            .await
            .unwrap();
        let sequence = reply
            .metadata()
            .get(SEQUENCE_KEY)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(sequence, format!("counter:{}", reply.get_ref().sequence));
        let mut query = app.request("chain", pb::GetCounterRequest { name: name.into() });
        query
            .metadata_mut()
            .insert(MIN_SEQUENCE_KEY, sequence.parse().unwrap());
        let counter = client.get_counter(query).await.unwrap().into_inner();
        assert_eq!((counter.value, counter.increments), (3 * round, round));
    }
    let missing = client
        .get_counter(app.request(
            "chain",
            pb::GetCounterRequest {
                name: "tenants/chain/counters/none".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_consistency_tokens_are_refused_on_every_call_and_foreign_ones_ignored() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let mut client = app.client().await;
    let name = "tenants/chain/counters/tokens";
    for garbage in ["soon", "counter:", "counter:-3", "a.b:1"] {
        let mut query = app.request("chain", pb::GetCounterRequest { name: name.into() });
        query
            .metadata_mut()
            .insert(MIN_SEQUENCE_KEY, garbage.parse().unwrap());
        let status = client.get_counter(query).await.unwrap_err();
        assert_eq!(
            breakroom_testing::violated_fields(&status),
            [MIN_SEQUENCE_KEY],
            "{garbage}"
        );
        let mut command = app.request("chain", increment(name, 1, ""));
        command
            .metadata_mut()
            .insert(MIN_SEQUENCE_KEY, garbage.parse().unwrap());
        let status = client.increment_counter(command).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{garbage}");
    }
    // A stream this service does not replicate is no reason to wait.
    let mut command = app.request("chain", increment(name, 1, ""));
    command
        .metadata_mut()
        .insert(MIN_SEQUENCE_KEY, "identity:999999".parse().unwrap());
    client.increment_counter(command).await.unwrap();
    // One of its own far ahead waits, then answers UNAVAILABLE (safe to retry).
    let mut query = app.request("chain", pb::GetCounterRequest { name: name.into() });
    query
        .metadata_mut()
        .insert(MIN_SEQUENCE_KEY, "counter:999999".parse().unwrap());
    let status = client.get_counter(query).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_returns_the_first_answer() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let mut client = app.client().await;
    let id = uuid::Uuid::new_v4().to_string();
    let name = "tenants/chain/counters/idem";

    let first = client
        .increment_counter(app.request("chain", increment(name, 4, &id)))
        .await
        .unwrap()
        .into_inner();
    let retry = client
        .increment_counter(app.request("chain", increment(name, 4, &id)))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(first, retry);
    assert_eq!(first.value, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_and_releases_the_projection_lease() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let infra = Infra::connect(env.config(SERVICE)).await.unwrap();
    let leases = breakroom_events::projector::lease::bucket(
        &infra.js,
        &env.namespace,
        Duration::from_secs(2),
        1,
    )
    .await
    .unwrap();
    let key = format!("{SERVICE}_{}", counter::PROJECTION);
    eventually(Duration::from_secs(10), || async {
        leases.get(&key).await.ok().flatten().map(|_| ())
    })
    .await;

    app.shutdown.cancel();
    let finished = tokio::time::timeout(Duration::from_secs(10), app.task).await;

    assert!(matches!(finished, Ok(Ok(Ok(())))), "{finished:?}");
    assert!(
        leases.get(&key).await.unwrap().is_none(),
        "lease left behind"
    );
}

/// A NATS server of this test's own, so that it can be stopped and started.
struct PrivateNats {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<tokio::process::Child>,
}

impl PrivateNats {
    fn new() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("breakroom-nats-{port}-{}", std::process::id()));
        Self {
            port,
            dir,
            child: None,
        }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".into());
        let child = tokio::process::Command::new(binary)
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nats-server on PATH (or NATS_SERVER_BIN)");
        self.child = Some(child);
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn serving(addr: std::net::SocketAddr) -> bool {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let mut health = HealthClient::new(channel(addr).await);
    let status = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await;
    matches!(status, Ok(r) if r.get_ref().status == ServingStatus::Serving as i32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_nats_the_service_is_not_ready_and_recovers_when_nats_returns() {
    let env = TestEnv::new().await;
    let mut nats = PrivateNats::new();
    let mut config = env.config(SERVICE);
    config.nats_url = nats.url();
    let keys = breakroom_directory::auth::KeySet::new();
    let signer = breakroom_directory::auth::Signer::generate("k").unwrap();
    keys.insert(signer.kid(), &signer.public_x()).unwrap();
    let server = counter::build(Infra::connect(config).await.unwrap(), keys)
        .await
        .unwrap();
    let addr = server.local_addr();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(server.run(shutdown.clone()));
    let app = TestCounter {
        addr,
        signer,
        shutdown,
        task,
    };
    let mut client = app.client().await;
    let name = "tenants/chain/counters/n";

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!serving(addr).await, "serving without NATS");
    nats.start();
    eventually(Duration::from_secs(30), || async {
        serving(addr).await.then_some(())
    })
    .await;
    client
        .increment_counter(app.request("chain", increment(name, 2, "")))
        .await
        .unwrap();

    nats.stop().await;
    eventually(Duration::from_secs(30), || async {
        (!serving(addr).await).then_some(())
    })
    .await;
    let retried_id = uuid::Uuid::new_v4().to_string();
    let during = tokio::time::timeout(
        Duration::from_secs(20),
        client.increment_counter(app.request("chain", increment(name, 5, &retried_id))),
    )
    .await
    .expect("an answer, not a hang");
    assert_eq!(during.unwrap_err().code(), Code::Unavailable);

    nats.start();
    eventually(Duration::from_secs(30), || async {
        serving(addr).await.then_some(())
    })
    .await;
    // The outcome of an UNAVAILABLE write is unknown to the client; retrying it with the
    // same request id applies it exactly once, whether or not the first attempt landed.
    let retried = client
        .increment_counter(app.request("chain", increment(name, 5, &retried_id)))
        .await
        .unwrap();
    let after = client
        .increment_counter(app.request("chain", increment(name, 3, "")))
        .await
        .unwrap();
    assert_eq!(retried.into_inner().value, 7);
    assert_eq!(
        after.into_inner().value,
        10,
        "the acknowledged writes survived, none doubled"
    );
    app.shutdown.cancel();
}
