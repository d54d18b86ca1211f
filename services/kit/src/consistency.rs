//! Read-your-writes across the command/query split.
//!
//! Every command reply carries the commit's stream sequence in the response metadata
//! `breakroom-sequence` (and, where the API has one, a `sequence` field). A query sent
//! with metadata `breakroom-min-sequence: N` is answered once the service's read model has
//! applied its own stream up to N, or fails with UNAVAILABLE after a bounded wait.

use std::time::Duration;

use sqlx::PgPool;

use crate::{
    error::{Error, Result},
    projector,
};

/// Response metadata key carrying a command's commit sequence.
pub const SEQUENCE_KEY: &str = "breakroom-sequence";
/// Request metadata key asking a query to wait for that sequence.
pub const MIN_SEQUENCE_KEY: &str = "breakroom-min-sequence";
/// Longest a query waits for the projection.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// The read model a service answers queries from: its main projection over its stream.
#[derive(Debug, Clone)]
pub struct ReadModel {
    pool: PgPool,
    projection: &'static str,
    stream: String,
}

impl ReadModel {
    /// The read model maintained by `projection` over `stream`.
    pub fn new(pool: PgPool, projection: &'static str, stream: String) -> Self {
        Self {
            pool,
            projection,
            stream,
        }
    }

    /// The pool to query.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Waits until the request's `breakroom-min-sequence` (if any) is applied.
    pub async fn catch_up<T>(&self, request: &tonic::Request<T>) -> Result<()> {
        match min_sequence(request.metadata())? {
            Some(sequence) => {
                projector::wait_for(
                    &self.pool,
                    self.projection,
                    &self.stream,
                    sequence,
                    MAX_WAIT,
                )
                .await
            }
            None => Ok(()),
        }
    }

    /// Waits until the read model has applied everything the stream held when called:
    /// for a lookup that must not miss a write of moments ago (an invite code used at once).
    pub async fn catch_up_to_latest(&self, store: &crate::event_store::EventStore) -> Result<()> {
        let last = store.last_sequence().await?;
        projector::wait_for(&self.pool, self.projection, &self.stream, last, MAX_WAIT).await
    }
}

/// Parses `breakroom-min-sequence`.
pub fn min_sequence(metadata: &tonic::metadata::MetadataMap) -> Result<Option<u64>> {
    match metadata.get(MIN_SEQUENCE_KEY) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| Error::invalid(MIN_SEQUENCE_KEY, "must be an unsigned integer")),
    }
}

/// Wraps a command reply, adding `breakroom-sequence` metadata.
pub fn reply<T>(message: T, sequence: u64) -> tonic::Response<T> {
    let mut response = tonic::Response::new(message);
    if let Ok(value) = sequence.to_string().parse() {
        response.metadata_mut().insert(SEQUENCE_KEY, value);
    }
    response
}
