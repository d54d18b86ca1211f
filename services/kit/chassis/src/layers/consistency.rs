//! The server layer that honours `breakroom-min-sequence` on every request: it parses
//! the tokens (INVALID_ARGUMENT for garbage, before any handler runs) and waits until the
//! service's read models have reached them, so a client that wrote to identity can call
//! scheduling at once and be answered as if scheduling had seen the write.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use breakroom_events::consistency::{ReadPositions, header_tokens};
use tonic::body::Body;
use tower_layer::Layer;
use tower_service::Service;

/// Adds read-your-writes waiting in front of every RPC.
#[derive(Debug, Clone)]
pub struct ConsistencyLayer {
    positions: ReadPositions,
}

impl ConsistencyLayer {
    /// A layer waiting on `positions`.
    pub fn new(positions: ReadPositions) -> Self {
        Self { positions }
    }
}

impl<S> Layer<S> for ConsistencyLayer {
    type Service = Consistent<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Consistent {
            inner,
            positions: self.positions.clone(),
        }
    }
}

/// The service `ConsistencyLayer` wraps around the routes.
#[derive(Debug, Clone)]
pub struct Consistent<S> {
    inner: S,
    positions: ReadPositions,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> Service<http::Request<B>> for Consistent<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The ready service is the one polled above; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let tokens = header_tokens(request.headers(), self.positions.own());
        let positions = self.positions.clone();
        Box::pin(async move {
            let waited = match tokens {
                Ok(tokens) if tokens.is_empty() => Ok(()),
                Ok(tokens) => positions.wait(&tokens).await,
                Err(e) => Err(e),
            };
            match waited {
                Ok(()) => inner.call(request).await,
                Err(e) => Ok(tonic::Status::from(e).into_http()),
            }
        })
    }
}
