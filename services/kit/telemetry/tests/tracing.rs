//! One trace runs from a client's gRPC call through the append and NATS into the
//! projector. A test binary of its own: it installs the global tracing subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use breakroom_events::consistency::MIN_SEQUENCE_KEY;
use breakroom_proto::kit::testing::v1 as pb;
use breakroom_testing::{TestEnv, counter::TestCounter};
use opentelemetry::{
    Value,
    trace::{SpanKind, TraceContextExt, TracerProvider as _},
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_runs_from_the_grpc_call_through_a_producer_and_a_consumer_span_into_the_projector()
 {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let env = TestEnv::new().await;
    let app = TestCounter::spawn(&env).await;
    let mut client = app.client().await;

    let client_span = tracing::info_span!("client.call");
    let trace_id = client_span.context().span().span_context().trace_id();
    let mut request = app.request(
        "chain",
        pb::IncrementCounterRequest {
            name: "tenants/chain/counters/traced".into(),
            amount: 1,
            request_id: String::new(),
        },
    );
    client_span.in_scope(|| breakroom_telemetry::inject_metadata(request.metadata_mut()));
    let reply = client.increment_counter(request).await.unwrap();
    let mut query = app.request(
        "chain",
        pb::GetCounterRequest {
            name: "tenants/chain/counters/traced".into(),
        },
    );
    query.metadata_mut().insert(
        MIN_SEQUENCE_KEY,
        reply.get_ref().sequence.to_string().parse().unwrap(),
    );
    client.get_counter(query).await.unwrap();
    let missing = app.request(
        "chain",
        pb::GetCounterRequest {
            name: "tenants/chain/counters/missing".into(),
        },
    );
    let refused = client_span.in_scope(|| {
        let mut missing = missing;
        breakroom_telemetry::inject_metadata(missing.metadata_mut());
        missing
    });
    assert_eq!(
        client.get_counter(refused).await.unwrap_err().code(),
        tonic::Code::NotFound
    );

    // The projector's spans end once its batch is committed: poll for them.
    let spans = {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            provider.force_flush().unwrap();
            let spans = exporter.get_finished_spans().unwrap();
            let done = spans
                .iter()
                .any(|s| s.span_context.trace_id() == trace_id && s.name == "projection.apply");
            if done || std::time::Instant::now() > deadline {
                break spans;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let in_trace: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_context.trace_id() == trace_id)
        .collect();
    let names: Vec<&str> = in_trace.iter().map(|s| s.name.as_ref()).collect();
    let named = |name: &str| {
        in_trace
            .iter()
            .copied()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in {names:?}"))
    };

    // gRPC server spans follow OpenTelemetry's RPC conventions.
    let server = named("breakroom.kit.testing.v1.CounterService/IncrementCounter");
    assert_eq!(server.span_kind, SpanKind::Server);
    assert_eq!(attribute(server, "rpc.system"), Some(Value::from("grpc")));
    assert_eq!(
        attribute(server, "rpc.service"),
        Some(Value::from("breakroom.kit.testing.v1.CounterService"))
    );
    assert_eq!(
        attribute(server, "rpc.method"),
        Some(Value::from("IncrementCounter"))
    );
    assert_eq!(
        attribute(server, "rpc.grpc.status_code"),
        Some(Value::I64(0))
    );
    let not_found = named("breakroom.kit.testing.v1.CounterService/GetCounter");
    let codes: Vec<_> = in_trace
        .iter()
        .filter(|s| s.name == not_found.name)
        .filter_map(|s| attribute(s, "rpc.grpc.status_code"))
        .collect();
    assert!(
        codes.contains(&Value::I64(5)),
        "NOT_FOUND recorded: {codes:?}"
    );

    // The append is a PRODUCER span under the server span; the projector's CONSUMER span
    // continues from it, and the projection's work from the consumer.
    let producer = in_trace
        .iter()
        .copied()
        .find(|s| s.span_kind == SpanKind::Producer)
        .unwrap_or_else(|| panic!("no producer span in {names:?}"));
    assert!(producer.name.starts_with("publish "), "{}", producer.name);
    assert!(
        producer.name.ends_with(".counter.counter"),
        "{}",
        producer.name
    );
    assert_eq!(producer.parent_span_id, server.span_context.span_id());
    assert_eq!(
        attribute(producer, "messaging.system"),
        Some(Value::from("nats"))
    );
    assert!(matches!(
        attribute(producer, "messaging.message.body.size"),
        Some(Value::I64(size)) if size > 0
    ));
    let consumer = in_trace
        .iter()
        .copied()
        .find(|s| s.span_kind == SpanKind::Consumer)
        .unwrap_or_else(|| panic!("no consumer span in {names:?}"));
    assert_eq!(consumer.parent_span_id, producer.span_context.span_id());
    assert_eq!(
        attribute(consumer, "messaging.system"),
        Some(Value::from("nats"))
    );
    assert_eq!(
        attribute(consumer, "messaging.destination.name"),
        attribute(producer, "messaging.destination.name")
    );
    let apply = named("projection.apply");
    assert_eq!(apply.parent_span_id, consumer.span_context.span_id());
}

fn attribute(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.clone())
}
