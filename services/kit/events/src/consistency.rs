//! Read-your-writes across the command/query split, and across services.
//!
//! Every command reply carries consistency tokens in the response metadata
//! `breakroom-sequence`: the stream it wrote to and the commit's sequence there, as
//! `identity:1234` (several are separated by commas). Any request — query or command, to
//! any service — may send tokens back in the request metadata `breakroom-min-sequence`;
//! the server then waits (at most `MAX_WAIT`) until every one of its read models that
//! replicates a named stream has applied it, and answers UNAVAILABLE when the wait runs
//! out. Tokens of streams a service does not replicate are ignored, so a client can send
//! everything it holds to everyone. The waiting is done once, in the server (the
//! chassis's `layers::consistency::ConsistencyLayer`), so no handler can forget it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use breakroom_base::{
    error::{Error, Result},
    namespace::Namespace,
};
use sqlx::PgPool;

use crate::{
    event_store::{EventStore, stream_name},
    projector,
};

/// Response metadata key carrying a command's consistency tokens.
pub const SEQUENCE_KEY: &str = "breakroom-sequence";
/// Request metadata key asking a request to wait for tokens.
pub const MIN_SEQUENCE_KEY: &str = "breakroom-min-sequence";
/// Longest a request waits for the read models.
pub const MAX_WAIT: Duration = Duration::from_secs(5);
/// Most tokens one request may name.
const MAX_TOKENS: usize = 16;

/// A position in a service's stream: `identity:1234`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The service owning the stream (`identity`).
    pub service: String,
    /// Stream sequence of a commit.
    pub sequence: u64,
}

impl Token {
    /// The position `sequence` in `service`'s stream.
    pub fn new(service: &str, sequence: u64) -> Self {
        Self {
            service: service.to_owned(),
            sequence,
        }
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.service, self.sequence)
    }
}

/// Parses `breakroom-min-sequence`: comma-separated `service:sequence` tokens. A bare
/// number names `own` service's stream (what replies carried before tokens named their
/// stream).
pub fn parse_tokens(value: &str, own: &str) -> Result<Vec<Token>> {
    let invalid = || {
        Error::invalid(
            MIN_SEQUENCE_KEY,
            "must be tokens like `identity:1234`, separated by commas",
        )
    };
    let mut tokens = Vec::new();
    for part in value.split(',').map(str::trim) {
        let (service, sequence) = match part.split_once(':') {
            Some((service, sequence)) => (service, sequence),
            None => (own, part),
        };
        let service_ok = !service.is_empty()
            && service.len() <= 32
            && service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let sequence: u64 = sequence.parse().map_err(|_| invalid())?;
        if !service_ok {
            return Err(invalid());
        }
        tokens.push(Token::new(service, sequence));
    }
    if tokens.len() > MAX_TOKENS {
        return Err(Error::invalid(
            MIN_SEQUENCE_KEY,
            format!("names at most {MAX_TOKENS} tokens"),
        ));
    }
    Ok(tokens)
}

/// The tokens of a request's `breakroom-min-sequence`, if any.
pub fn min_tokens(metadata: &tonic::metadata::MetadataMap, own: &str) -> Result<Vec<Token>> {
    let values: Vec<&[u8]> = metadata
        .get_all(MIN_SEQUENCE_KEY)
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    tokens_of(&values, own)
}

/// The tokens of an HTTP request's `breakroom-min-sequence` header, if any.
pub fn header_tokens(headers: &http::HeaderMap, own: &str) -> Result<Vec<Token>> {
    let values: Vec<&[u8]> = headers
        .get_all(MIN_SEQUENCE_KEY)
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    tokens_of(&values, own)
}

fn tokens_of(values: &[&[u8]], own: &str) -> Result<Vec<Token>> {
    match values {
        [] => Ok(vec![]),
        [value] => {
            let text = std::str::from_utf8(value).map_err(|_| {
                Error::invalid(
                    MIN_SEQUENCE_KEY,
                    "must be ASCII tokens like `identity:1234`",
                )
            })?;
            parse_tokens(text, own)
        }
        _ => Err(Error::invalid(
            MIN_SEQUENCE_KEY,
            "send one value (tokens separated by commas)",
        )),
    }
}

/// Wraps a command reply, adding its consistency token as `breakroom-sequence`.
pub fn reply<T>(message: T, token: Token) -> tonic::Response<T> {
    reply_all(message, &[token])
}

/// Wraps a reply covering commits in several streams.
pub fn reply_all<T>(message: T, tokens: &[Token]) -> tonic::Response<T> {
    let mut response = tonic::Response::new(message);
    let value = tokens
        .iter()
        .map(Token::to_string)
        .collect::<Vec<_>>()
        .join(",");
    if let Ok(value) = value.parse() {
        response.metadata_mut().insert(SEQUENCE_KEY, value);
    }
    response
}

/// Where a server's read models stand, and waiting for them: what
/// `breakroom-min-sequence` means for one service.
#[derive(Debug, Clone)]
pub struct ReadPositions {
    inner: Arc<Positions>,
}

#[derive(Debug)]
struct Positions {
    pool: PgPool,
    namespace: Namespace,
    /// The service's own name, for bare numbers.
    own: &'static str,
    /// Per replicated service: the read models (projection names) built from its stream.
    readers: HashMap<String, Vec<&'static str>>,
    /// Highest checkpoint seen per (projection, service): checkpoints only grow, so a
    /// request for an older position needs no database round trip.
    seen: Mutex<HashMap<(&'static str, String), u64>>,
}

impl ReadPositions {
    /// Positions of the read models `readers` (projection name, services it reads).
    pub fn new(
        pool: PgPool,
        namespace: Namespace,
        own: &'static str,
        readers: impl IntoIterator<Item = (&'static str, Vec<&'static str>)>,
    ) -> Self {
        let mut by_service: HashMap<String, Vec<&'static str>> = HashMap::new();
        for (projection, services) in readers {
            for service in services {
                by_service
                    .entry(service.to_owned())
                    .or_default()
                    .push(projection);
            }
        }
        Self {
            inner: Arc::new(Positions {
                pool,
                namespace,
                own,
                readers: by_service,
                seen: Mutex::default(),
            }),
        }
    }

    /// The service whose bare numbers these are.
    pub fn own(&self) -> &'static str {
        self.inner.own
    }

    /// Waits until every read model replicating a token's stream has applied it; tokens
    /// of streams this service does not replicate are ignored.
    pub async fn wait(&self, tokens: &[Token]) -> Result<()> {
        let deadline = tokio::time::Instant::now() + MAX_WAIT;
        for token in tokens {
            let Some(projections) = self.inner.readers.get(&token.service) else {
                continue;
            };
            let stream = stream_name(&self.inner.namespace, &token.service);
            for projection in projections {
                let key = (*projection, token.service.clone());
                let seen = self.seen(&key);
                if seen >= token.sequence {
                    continue;
                }
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                projector::wait_for(&self.inner.pool, projection, &stream, token.sequence, left)
                    .await
                    .map_err(|e| match e {
                        Error::Unavailable(_) => {
                            Error::Unavailable(format!("not caught up with {token} yet; retry"))
                        }
                        other => other,
                    })?;
                self.note(key, token.sequence);
            }
        }
        Ok(())
    }

    fn seen(&self, key: &(&'static str, String)) -> u64 {
        self.inner
            .seen
            .lock()
            .ok()
            .and_then(|seen| seen.get(key).copied())
            .unwrap_or(0)
    }

    fn note(&self, key: (&'static str, String), sequence: u64) {
        if let Ok(mut seen) = self.inner.seen.lock() {
            let entry = seen.entry(key).or_default();
            *entry = (*entry).max(sequence);
        }
    }
}

/// The read model a service answers its own queries from: its main projection over its
/// stream (for lookups that must not miss a write of moments ago).
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

    /// Waits until the read model has applied everything the stream held when called:
    /// for a lookup that must not miss a write of moments ago (an invite code used at once).
    pub async fn catch_up_to_latest(&self, store: &EventStore) -> Result<()> {
        let last = store.last_sequence().await?;
        self.catch_up_to(last).await
    }

    /// Waits until the read model has applied its stream up to `sequence`.
    pub async fn catch_up_to(&self, sequence: u64) -> Result<()> {
        projector::wait_for(
            &self.pool,
            self.projection,
            &self.stream,
            sequence,
            MAX_WAIT,
        )
        .await
    }

    /// Waits for the request's `breakroom-min-sequence` on this read model's own stream.
    /// The server already waits for every token before a handler runs; this remains for
    /// handlers called outside a server (tests, tools).
    pub async fn catch_up<T>(&self, request: &tonic::Request<T>) -> Result<()> {
        let own = self
            .stream
            .split_once('_')
            .map_or(self.stream.as_str(), |(_, service)| service)
            .to_lowercase();
        for token in min_tokens(request.metadata(), &own)? {
            if token.service == own {
                self.catch_up_to(token.sequence).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_stream_and_bare_numbers_mean_the_own_one() {
        assert_eq!(
            parse_tokens("identity:12, scheduling:3", "feed").ok(),
            Some(vec![
                Token::new("identity", 12),
                Token::new("scheduling", 3)
            ])
        );
        assert_eq!(
            parse_tokens("42", "feed").ok(),
            Some(vec![Token::new("feed", 42)])
        );
        assert_eq!(Token::new("identity", 7).to_string(), "identity:7");
    }

    #[test]
    fn garbage_tokens_are_refused_naming_the_metadata_key() {
        for bad in [
            "",
            "abc",
            "identity:",
            ":12",
            "identity:-1",
            "Identity:1",
            "a.b:1",
            "identity:1,,",
            &"x:1,".repeat(20),
        ] {
            match parse_tokens(bad, "feed") {
                Err(Error::Invalid(v)) => assert_eq!(v[0].field, MIN_SEQUENCE_KEY, "{bad:?}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }
}
