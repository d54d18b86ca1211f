//! One trace runs from a client's gRPC call through the append and NATS into the
//! projector. A test binary of its own: it installs the global tracing subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use breakroom_kit::{
    consistency::MIN_SEQUENCE_KEY,
    telemetry,
    testing::{TestEnv, counter::TestCounter},
};
use breakroom_proto::kit::testing::v1 as pb;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_context_survives_grpc_append_nats_and_projector() {
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
    client_span.in_scope(|| telemetry::inject_metadata(request.metadata_mut()));
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
    tokio::time::sleep(Duration::from_millis(200)).await;
    provider.force_flush().unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    let in_trace: Vec<&str> = spans
        .iter()
        .filter(|s| s.span_context.trace_id() == trace_id)
        .map(|s| s.name.as_ref())
        .collect();
    assert!(
        in_trace.contains(&"grpc.request"),
        "server span joined the client's trace: {in_trace:?}"
    );
    assert!(
        in_trace.contains(&"projection.apply"),
        "projector span joined it too: {in_trace:?}"
    );
}
