//! What every server answers a caller who gets it wrong, before any handler runs: text the
//! read models could not hold, bytes that are not the request message (health included),
//! reflection over both protocol versions, and a poison commit raised as an alarm.

use std::time::Duration;

use breakroom_chassis::server::POISON_FREE;
use breakroom_proto::kit::testing::v1 as pb;
use breakroom_testing::{
    TestEnv, channel,
    counter::{SERVICE, TestCounter},
    eventually, reason, violated_fields,
};
use futures::StreamExt;
use tonic::{Code, codegen::http::uri::PathAndQuery};
use tonic_health::pb::{
    HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus,
    health_client::HealthClient,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_with_a_control_character_is_refused_and_nothing_is_appended() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let mut client = app.client().await;

    for name in [
        "tenants/chain/counters/a\0b",
        "tenants/chain/counters/\u{1b}[2J",
    ] {
        let status = client
            .increment_counter(app.request(
                "chain",
                pb::IncrementCounterRequest {
                    name: name.into(),
                    amount: 1,
                    request_id: String::new(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(violated_fields(&status), ["name"]);
        assert!(status.message().contains("control character"), "{status:?}");
    }
    let appended = env
        .infra(SERVICE, None)
        .await
        .store
        .last_sequence()
        .await
        .unwrap();
    assert_eq!(appended, 0, "a refused request appended a commit");

    // Tabs and line breaks are text.
    client
        .increment_counter(app.request(
            "chain",
            pb::IncrementCounterRequest {
                name: "tenants/chain/counters/c".into(),
                amount: 1,
                request_id: String::new(),
            },
        ))
        .await
        .unwrap();
}

/// Sends `message` to `path` as if it were that RPC's request.
async fn call_raw<M: prost::Message + Default + 'static>(
    addr: std::net::SocketAddr,
    path: &'static str,
    message: M,
) -> Result<HealthCheckResponse, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel(addr).await);
    grpc.ready().await.unwrap();
    grpc.unary(
        tonic::Request::new(message),
        PathAndQuery::from_static(path),
        tonic_prost::ProstCodec::<M, HealthCheckResponse>::default(),
    )
    .await
    .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_health_check_is_the_callers_mistake() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    // A varint where `service` (a string) is expected: not a HealthCheckRequest.
    let status = call_raw(
        app.addr,
        "/grpc.health.v1.Health/Check",
        prost_types::Duration {
            seconds: 5,
            nanos: 0,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(reason(&status), "MALFORMED_MESSAGE");
    // The same path with a real request still answers.
    call_raw(
        app.addr,
        "/grpc.health.v1.Health/Check",
        HealthCheckRequest {
            service: String::new(),
        },
    )
    .await
    .unwrap();
}

/// Lists the services over one reflection version, then resolves each by
/// `file_containing_symbol`; the names that resolved to a file defining them, sorted.
macro_rules! resolve_every_service {
    ($version:ident, $addr:expr) => {{
        use tonic_reflection::pb::$version::{
            ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        };
        let mut client = ServerReflectionClient::new(channel($addr).await);
        let mut ask = async |request| {
            let request = ServerReflectionRequest {
                host: String::new(),
                message_request: Some(request),
            };
            let mut answers = client
                .server_reflection_info(futures::stream::iter([request]))
                .await
                .unwrap()
                .into_inner();
            answers.next().await.unwrap().unwrap().message_response
        };
        let Some(MessageResponse::ListServicesResponse(list)) =
            ask(MessageRequest::ListServices(String::new())).await
        else {
            panic!("no service list");
        };
        let mut resolved = Vec::new();
        for service in list.service {
            match ask(MessageRequest::FileContainingSymbol(service.name.clone())).await {
                Some(MessageResponse::FileDescriptorResponse(files))
                    if !files.file_descriptor_proto.is_empty() =>
                {
                    resolved.push(service.name)
                }
                other => panic!(
                    "{} did not resolve over {}: {other:?}",
                    service.name,
                    stringify!($version)
                ),
            }
        }
        resolved.sort();
        resolved
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_service_resolves_over_both_reflection_versions() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let v1alpha = resolve_every_service!(v1alpha, app.addr);
    let v1 = resolve_every_service!(v1, app.addr);
    assert_eq!(v1alpha.len(), 4, "{v1alpha:?}");
    assert_eq!(v1, v1alpha);
}

async fn poison_free(addr: std::net::SocketAddr) -> Option<i32> {
    let mut health = HealthClient::new(channel(addr).await);
    health
        .check(HealthCheckRequest {
            service: POISON_FREE.into(),
        })
        .await
        .ok()
        .map(|r| r.get_ref().status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_commit_turns_the_projections_health_entry_to_not_serving() {
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let serving = ServingStatus::Serving as i32;
    eventually(Duration::from_secs(10), || async {
        (poison_free(app.addr).await == Some(serving)).then_some(())
    })
    .await;

    let infra = env.infra(SERVICE, None).await;
    let subject = infra.store.subject("counter", "chain", "poison");
    infra
        .js
        .publish(subject, vec![0xff, 0x01, 0x02].into())
        .await
        .unwrap()
        .await
        .unwrap();

    let not_serving = ServingStatus::NotServing as i32;
    eventually(Duration::from_secs(15), || async {
        (poison_free(app.addr).await == Some(not_serving)).then_some(())
    })
    .await;
    // The service itself goes on serving reads and writes.
    let mut health = HealthClient::new(channel(app.addr).await);
    let overall = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(overall.get_ref().status, serving);
}
