//! Logging and tracing: `tracing` everywhere, exported by OpenTelemetry OTLP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and the W3C trace context carried across gRPC
//! metadata and NATS headers so that one trace runs from a request
//! through the event log into every projector.
//!
//! - this crate: `init` (the global subscriber and the exporters), the spans of a gRPC
//!   request, a NATS publish and a projection's processing, an HTTP client call, and the
//!   carriers that move a trace context between them.
//! - `status`: `GrpcStatusLayer`, which records each response's gRPC status on its span.
#![forbid(unsafe_code)]

mod status;

use std::collections::HashMap;

use async_nats::HeaderMap;
use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::TracerProvider as _,
};
use opentelemetry_sdk::{
    metrics::SdkMeterProvider, propagation::TraceContextPropagator, trace::SdkTracerProvider,
};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, layer::SubscriberExt, util::SubscriberInitExt};

pub use status::GrpcStatusLayer;

/// Keeps the exporters alive; flushes them when dropped.
#[derive(Default)]
pub struct TelemetryGuard {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl std::fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("exporting", &self.tracer.is_some())
            .finish()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(tracer) = self.tracer.take() {
            let _ = tracer.shutdown();
        }
        if let Some(meter) = self.meter.take() {
            let _ = meter.shutdown();
        }
    }
}

/// Installs the global subscriber: plain log lines filtered by `RUST_LOG` (default
/// `info`), and OTLP traces and metrics when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, whose
/// spans are filtered on their own by `BREAKROOM_TRACE_FILTER` (default `info`): quieting
/// the logs (`RUST_LOG=warn`) must not silently drop every trace.
pub fn init(service: &'static str) -> anyhow::Result<TelemetryGuard> {
    use tracing_subscriber::Layer;
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(true)
        .with_filter(filter);
    let mut guard = TelemetryGuard::default();
    let otel = if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(format!("breakroom-{service}"))
            .build();
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()?;
        let tracer = SdkTracerProvider::builder()
            .with_batch_exporter(spans)
            .with_resource(resource.clone())
            .build();
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .build()?;
        let meter = SdkMeterProvider::builder()
            .with_periodic_exporter(metrics)
            .with_resource(resource)
            .build();
        opentelemetry::global::set_meter_provider(meter.clone());
        let traces = EnvFilter::try_from_env("BREAKROOM_TRACE_FILTER")
            .unwrap_or_else(|_| EnvFilter::new("info"));
        let layer = tracing_opentelemetry::layer()
            .with_tracer(tracer.tracer(service))
            .with_filter(traces);
        guard.tracer = Some(tracer);
        guard.meter = Some(meter);
        Some(layer)
    } else {
        None
    };
    tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init()?;
    Ok(guard)
}

struct NatsHeaders<'a>(&'a mut HeaderMap);

impl Injector for NatsHeaders<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value);
    }
}

/// The OpenTelemetry context described by a carrier (envelope map or headers).
pub fn extract(carrier: &HashMap<String, String>) -> Context {
    TraceContextPropagator::new().extract(carrier)
}

/// Makes `span` a child of the trace described by `carrier` (no-op when empty).
pub fn set_parent(span: &tracing::Span, carrier: &HashMap<String, String>) {
    if carrier.is_empty() {
        return;
    }
    let _ = span.set_parent(extract(carrier));
}

struct HttpHeaders<'a>(&'a http::HeaderMap);

impl Extractor for HttpHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The SERVER span of one incoming gRPC request, named as OpenTelemetry's RPC conventions
/// say (`breakroom.scheduling.v1.SchedulingService/PublishRoster`) with `rpc.system`,
/// `rpc.service` and `rpc.method`; `rpc.grpc.status_code` is recorded when the response
/// leaves (`GrpcStatusLayer`). A child of the caller's trace when the request carries
/// `traceparent` metadata.
pub fn grpc_request_span(request: &http::Request<()>) -> tracing::Span {
    let path = request.uri().path();
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""));
    let span = tracing::info_span!(
        "grpc.request",
        otel.name = path.trim_start_matches('/'),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = tracing::field::Empty,
    );
    let cx = TraceContextPropagator::new().extract(&HttpHeaders(request.headers()));
    let _ = span.set_parent(cx);
    span
}

/// Records a response's gRPC status code on the request span (as a number) and marks the
/// span as an error for the codes OpenTelemetry counts as server errors.
pub fn record_grpc_status(span: &tracing::Span, code: i64) {
    span.record("rpc.grpc.status_code", code);
    // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
    if matches!(code, 2 | 4 | 12 | 13 | 14 | 15) {
        span.record("otel.status_code", "ERROR");
    }
}

/// Whether the current span belongs to a sampled trace (only those travel and get
/// messaging spans, so unsampled traffic pays nothing).
fn current_is_sampled() -> bool {
    use opentelemetry::trace::TraceContextExt;
    let span = tracing::Span::current();
    !span.is_disabled() && span.context().span().span_context().is_sampled()
}

/// The PRODUCER span of appending one commit to `subject`, or `None` when the current
/// trace is not sampled. The span is named after the subject without its tenant and id
/// tokens (`publish dev.scheduling.roster`), for low cardinality.
pub fn producer_span(
    subject: &str,
    prefix: &str,
    aggregate_type: &str,
    body_size: usize,
) -> Option<tracing::Span> {
    if !current_is_sampled() {
        return None;
    }
    Some(tracing::info_span!(
        "nats.publish",
        otel.name = format!("publish {prefix}.{aggregate_type}"),
        otel.kind = "producer",
        messaging.system = "nats",
        messaging.operation.type = "send",
        messaging.operation.name = "publish",
        messaging.destination.name = subject,
        messaging.message.body.size = body_size as i64,
    ))
}

/// The CLIENT span of an HTTP request made for a traced commit (a push), continuing the
/// trace `traceparent` names; `None` when there is none (the trace was not sampled).
/// Only the scheme and host of `url` are recorded: a push endpoint's path is the
/// subscription's secret.
pub fn http_client_span(
    traceparent: Option<&str>,
    method: &str,
    url: &str,
) -> Option<tracing::Span> {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent?.to_owned())]);
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<i64>().ok()),
        None => (authority, None),
    };
    let span = tracing::info_span!(
        "http.request",
        otel.name = method,
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        url.scheme = scheme,
        server.address = host,
        server.port = port.unwrap_or(if scheme == "https" { 443 } else { 80 }),
        http.response.status_code = tracing::field::Empty,
    );
    let _ = span.set_parent(extract(&carrier));
    Some(span)
}

/// Records an HTTP response status on a CLIENT span (0: no response); 4xx and 5xx and
/// no answer mark it as an error, as the HTTP conventions say for clients.
pub fn record_http_status(span: &tracing::Span, status: u16) {
    if status > 0 {
        span.record("http.response.status_code", i64::from(status));
    }
    if status == 0 || status >= 400 {
        span.record("otel.status_code", "ERROR");
    }
}

/// Adds `span`'s W3C trace context to NATS headers.
pub fn inject_span_trace(span: &tracing::Span, headers: &mut HeaderMap) {
    TraceContextPropagator::new().inject_context(&span.context(), &mut NatsHeaders(headers));
}

/// The CONSUMER span of one commit processed by a projection (`consumer` is the durable
/// consumer's name), child of the trace the commit carries. Returns it with its own
/// context as a carrier, so that what the projection does for the commit (a push sent
/// later, say) continues from it.
pub fn consumer_span(
    carrier: &HashMap<String, String>,
    subject: &str,
    consumer: &str,
    sequence: u64,
    body_size: usize,
) -> (tracing::Span, HashMap<String, String>) {
    let span = tracing::info_span!(
        "nats.process",
        otel.name = format!("process {consumer}"),
        otel.kind = "consumer",
        messaging.system = "nats",
        messaging.operation.type = "process",
        messaging.operation.name = "process",
        messaging.destination.name = subject,
        messaging.consumer.group.name = consumer,
        messaging.message.body.size = body_size as i64,
        breakroom.stream.sequence = sequence as i64,
    );
    let _ = span.set_parent(extract(carrier));
    let mut own = HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut own);
    (span, own)
}

/// Metadata injector for outgoing gRPC calls (clients, tests).
pub struct MetadataInjector<'a>(pub &'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// Adds the current span's trace context to an outgoing request's metadata.
pub fn inject_metadata(metadata: &mut tonic::metadata::MetadataMap) {
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, &mut MetadataInjector(metadata));
}

/// Links `span` to the trace described by `carrier` (for spans covering many commits).
pub fn add_link(span: &tracing::Span, carrier: &HashMap<String, String>) {
    use opentelemetry::trace::TraceContextExt;
    if carrier.is_empty() {
        return;
    }
    let cx = extract(carrier);
    let span_context = cx.span().span_context().clone();
    if span_context.is_valid() {
        span.add_link(span_context);
    }
}
