//! The server layer that records each response's gRPC status code on the request span
//! (`rpc.grpc.status_code`, a number), as OpenTelemetry's RPC conventions ask.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use tower_layer::Layer;
use tower_service::Service;

/// Records the gRPC status of every response on the current request span.
#[derive(Debug, Clone, Default)]
pub struct GrpcStatusLayer;

impl<S> Layer<S> for GrpcStatusLayer {
    type Service = GrpcStatus<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcStatus { inner }
    }
}

/// The service `GrpcStatusLayer` wraps around the routes.
#[derive(Debug, Clone)]
pub struct GrpcStatus<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B, R> Service<http::Request<B>> for GrpcStatus<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    R: 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            // Errors are "trailers-only" responses with the status in the headers; a unary
            // success sends it in the trailers, after this point, and is always 0 (OK).
            let code = response
                .headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0);
            // Polled inside the request span (tonic instruments the whole call with it).
            super::record_grpc_status(&tracing::Span::current(), code);
            Ok(response)
        })
    }
}
