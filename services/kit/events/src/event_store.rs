//! The event store: one JetStream stream per service and namespace, one subject per
//! aggregate instance, one message per commit.
//!
//! - Stream `<NS>_<SERVICE>` holds subjects `<ns>.<service>.>`; it is created or updated
//!   idempotently at start-up (file storage, `allow_direct`, a duplicate window).
//! - Append sets `Nats-Expected-Last-Subject-Sequence` to the version the command decided
//!   on (0 for a new aggregate, which makes creation race-free) and the client request id
//!   as `Nats-Msg-Id`, so a retried request appends nothing new.
//! - Load reads one subject: a Direct Get of the last message answers "new" and
//!   "single commit" aggregates in one round trip; longer histories are replayed with an
//!   ordered consumer filtered to the subject.

use std::time::Duration;

use async_nats::{
    HeaderMap,
    jetstream::{self, consumer::pull, context::PublishErrorKind, message::StreamMessage, stream},
};
use breakroom_base::{
    error::{Error, Result},
    names::check_request_id,
    namespace::Namespace,
};
use futures::StreamExt;
use tokio::sync::OnceCell;
use tracing::Instrument;

use crate::{
    aggregate::Aggregate,
    envelope::{CommandMeta, RecordedCommit, encode_commit},
};

/// Header carrying the client request id; JetStream deduplicates on it.
pub const MSG_ID: &str = "Nats-Msg-Id";
const EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";
/// How many request ids per aggregate are remembered for idempotent replies.
const REMEMBERED_REQUESTS: usize = 32;

/// Name of a service's stream in a namespace: `DEV_IDENTITY`.
pub fn stream_name(namespace: &Namespace, service: &str) -> String {
    format!("{}_{}", namespace, service).to_uppercase()
}

/// Subject prefix of a service's events: `dev.identity`.
pub fn subject_prefix(namespace: &Namespace, service: &str) -> String {
    format!("{namespace}.{service}")
}

/// Outcome of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Stream sequence of the commit (the aggregate's new version).
    pub sequence: u64,
    /// The request id had been appended before: nothing new was written.
    pub duplicate: bool,
}

/// An aggregate rebuilt from its subject.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    /// State after every commit.
    pub state: A,
    /// Stream sequence of the last commit; 0 when the aggregate does not exist yet.
    pub version: u64,
    /// Recent request ids with the sequence each was committed at and the actor who sent
    /// it (newest last).
    pub requests: std::collections::VecDeque<(String, u64, String)>,
}

impl<A: Default> Default for Loaded<A> {
    fn default() -> Self {
        Self {
            state: A::default(),
            version: 0,
            requests: std::collections::VecDeque::new(),
        }
    }
}

impl<A: Aggregate> Loaded<A> {
    fn fold(&mut self, recorded: &RecordedCommit) -> Result<()> {
        let events: Vec<A::Event> = recorded.events()?;
        self.state = std::mem::take(&mut self.state).replay(&events);
        self.version = recorded.sequence;
        if let Some(request_id) = recorded.request_id() {
            self.remember(
                request_id.to_owned(),
                recorded.sequence,
                recorded.actor().into_owned(),
            );
        }
        Ok(())
    }

    /// Notes that `request_id` was committed at `sequence`.
    pub(crate) fn remember(&mut self, request_id: String, sequence: u64, actor: String) {
        if self.requests.len() == REMEMBERED_REQUESTS {
            self.requests.pop_front();
        }
        self.requests.push_back((request_id, sequence, actor));
    }

    /// The sequence a request id was committed at and its actor, if it is among the
    /// recent ones.
    pub fn committed_request(&self, request_id: &str) -> Option<(u64, &str)> {
        self.requests
            .iter()
            .rev()
            .find(|(id, _, _)| id == request_id)
            .map(|(_, seq, actor)| (*seq, actor.as_str()))
    }
}

/// Appends to and reads from one service's stream.
#[derive(Clone)]
pub struct EventStore {
    js: jetstream::Context,
    namespace: Namespace,
    service: &'static str,
    stream_name: String,
    /// `<ns>.<service>`, formatted once rather than on every append.
    prefix: String,
    duplicate_window: Duration,
    /// Copies JetStream keeps of the stream (`BREAKROOM_STREAM_REPLICAS`).
    replicas: usize,
    stream: std::sync::Arc<OnceCell<stream::Stream>>,
}

impl std::fmt::Debug for EventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStore")
            .field("stream", &self.stream_name)
            .finish()
    }
}

impl EventStore {
    /// An event store for `service`'s stream; no I/O until used or `ensure_stream`.
    pub fn new(
        js: jetstream::Context,
        namespace: Namespace,
        service: &'static str,
        duplicate_window: Duration,
    ) -> Self {
        Self {
            stream_name: stream_name(&namespace, service),
            prefix: subject_prefix(&namespace, service),
            js,
            namespace,
            service,
            duplicate_window,
            replicas: 1,
            stream: Default::default(),
        }
    }

    /// The same store, its stream kept in `replicas` copies on a NATS cluster; applied
    /// when the stream is created or updated at start-up.
    pub fn with_replicas(mut self, replicas: usize) -> Self {
        self.replicas = replicas.max(1);
        self
    }

    /// The JetStream context.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// The namespace.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The owning service's name.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The stream's name.
    pub fn stream_name(&self) -> &str {
        &self.stream_name
    }

    /// Creates or updates the stream (idempotent; run at start-up).
    pub async fn ensure_stream(&self) -> Result<()> {
        self.stream().await.map(|_| ())
    }

    async fn stream(&self) -> Result<&stream::Stream> {
        self.stream
            .get_or_try_init(|| async {
                let config = stream::Config {
                    name: self.stream_name.clone(),
                    subjects: vec![format!(
                        "{}.>",
                        subject_prefix(&self.namespace, self.service)
                    )],
                    storage: stream::StorageType::File,
                    duplicate_window: self.duplicate_window,
                    num_replicas: self.replicas,
                    allow_direct: true,
                    ..Default::default()
                };
                self.js
                    .create_or_update_stream(config)
                    .await
                    .map_err(|e| Error::Unavailable(format!("stream {}: {e}", self.stream_name)))?;
                self.js
                    .get_stream(&self.stream_name)
                    .await
                    .map_err(|e| Error::Unavailable(format!("stream {}: {e}", self.stream_name)))
            })
            .await
    }

    /// Sequence of the stream's last message (0 when empty).
    pub async fn last_sequence(&self) -> Result<u64> {
        let info = self
            .stream()
            .await?
            .get_info()
            .await
            .map_err(|e| Error::Unavailable(format!("stream info: {e}")))?;
        Ok(info.state.last_sequence)
    }

    /// Subject of one aggregate instance.
    pub fn subject(&self, aggregate_type: &str, tenant: &str, id: &str) -> String {
        format!("{}.{aggregate_type}.{tenant}.{id}", self.prefix)
    }

    /// Appends the events of one command as one commit, expecting the aggregate to be at
    /// `expected_version`. Returns `Error::Conflict` when it is not.
    pub async fn append<A: Aggregate>(
        &self,
        tenant: &str,
        id: &str,
        expected_version: u64,
        meta: &CommandMeta,
        events: &[A::Event],
    ) -> Result<Appended> {
        let subject = self.subject(A::TYPE, tenant, id);
        // JetStream deduplicates message ids across the whole stream; scoping the id to
        // the aggregate keeps one request id usable for many aggregates (batch calls) and
        // keeps one aggregate's retry from being mistaken for another's.
        let msg_id = match &meta.request_id {
            Some(request_id) => {
                check_request_id(request_id)?;
                Some(format!("{}.{tenant}.{id}:{request_id}", A::TYPE))
            }
            None => None,
        };
        let (_, payload) = encode_commit(tenant, expected_version == 0, meta, events);
        let mut headers = HeaderMap::new();
        headers.insert(
            EXPECTED_LAST_SUBJECT_SEQUENCE,
            async_nats::HeaderValue::from(expected_version),
        );
        if let Some(msg_id) = &msg_id {
            headers.insert(MSG_ID, msg_id.as_str());
        }
        // Only a sampled trace travels (in the headers, once, from the PRODUCER span);
        // the envelope has no copy.
        match breakroom_telemetry::producer_span(&subject, &self.prefix, A::TYPE, payload.len()) {
            Some(span) => {
                breakroom_telemetry::inject_span_trace(&span, &mut headers);
                self.publish(&subject, headers, payload, msg_id.as_deref())
                    .instrument(span)
                    .await
            }
            None => {
                self.publish(&subject, headers, payload, msg_id.as_deref())
                    .await
            }
        }
    }

    async fn publish(
        &self,
        subject: &str,
        headers: HeaderMap,
        payload: bytes::Bytes,
        msg_id: Option<&str>,
    ) -> Result<Appended> {
        let unavailable =
            |e: &dyn std::fmt::Display| Error::Unavailable(format!("append to {subject}: {e}"));
        let ack = self
            .js
            .publish_with_headers(subject.to_owned(), headers, payload)
            .await
            .map_err(|e| unavailable(&e))?
            .await;
        match ack {
            Ok(ack) => Ok(Appended {
                sequence: ack.sequence,
                duplicate: ack.duplicate,
            }),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {
                // A retried append may be answered "wrong last sequence" instead of
                // "duplicate" (server versions differ): if the subject's last message
                // carries our request id, the append happened already.
                if let Some(msg_id) = msg_id
                    && let Some((sequence, last_id)) = self.last_message_id(subject).await?
                    && last_id.as_deref() == Some(msg_id)
                {
                    return Ok(Appended {
                        sequence,
                        duplicate: true,
                    });
                }
                Err(Error::Conflict(subject.to_owned()))
            }
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// Sequence and `Nats-Msg-Id` of the last message of a subject.
    async fn last_message_id(&self, subject: &str) -> Result<Option<(u64, Option<String>)>> {
        Ok(self.last_message(subject).await?.map(|m| {
            let id = m.headers.get(MSG_ID).map(|v| v.as_str().to_owned());
            (m.sequence, id)
        }))
    }

    async fn last_message(&self, subject: &str) -> Result<Option<StreamMessage>> {
        use async_nats::jetstream::stream::DirectGetErrorKind;
        match self
            .stream()
            .await?
            .direct_get_last_for_subject(subject)
            .await
        {
            Ok(message) => Ok(Some(message)),
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Unavailable(format!("read {subject}: {e}"))),
        }
    }

    /// The version (last commit's sequence) of an aggregate, 0 when it does not exist.
    pub async fn version(&self, aggregate_type: &str, tenant: &str, id: &str) -> Result<u64> {
        let subject = self.subject(aggregate_type, tenant, id);
        Ok(self.last_message(&subject).await?.map_or(0, |m| m.sequence))
    }

    /// Whether the aggregate has a commit after `version` (the stream sequence a reader
    /// already holds). It asks for the subject's next message after `version`, not its
    /// last one: an unchanged aggregate then costs a "not found" answer instead of its last
    /// commit's payload (a published store week is 100 KB). The server finds the answer
    /// by walking the blocks written after `version`, as it walks them back to find a
    /// subject's last message.
    pub async fn changed_since(
        &self,
        aggregate_type: &str,
        tenant: &str,
        id: &str,
        version: u64,
    ) -> Result<bool> {
        use async_nats::jetstream::stream::DirectGetErrorKind;
        let subject = self.subject(aggregate_type, tenant, id);
        match self
            .stream()
            .await?
            .direct_get_next_for_subject(subject.as_str(), Some(version + 1))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::Unavailable(format!("read {subject}: {e}"))),
        }
    }

    /// Rebuilds an aggregate from its subject.
    pub async fn load<A: Aggregate>(&self, tenant: &str, id: &str) -> Result<Loaded<A>> {
        let subject = self.subject(A::TYPE, tenant, id);
        let mut loaded = Loaded::<A>::default();
        let Some(last) = self.last_message(&subject).await? else {
            return Ok(loaded);
        };
        let last =
            RecordedCommit::decode(last.sequence, &subject, Some(&last.headers), &last.payload)?;
        if last.creates() {
            // The last commit is also the first: the whole history in one round trip.
            loaded.fold(&last)?;
            return Ok(loaded);
        }
        let stream = self.stream().await?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: subject.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Unavailable(format!("replay {subject}: {e}")))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| Error::Unavailable(format!("replay {subject}: {e}")))?;
        while loaded.version < last.sequence {
            let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
                .await
                .map_err(|_| Error::Unavailable(format!("replay {subject}: timed out")))?
                .ok_or_else(|| Error::Unavailable(format!("replay {subject}: ended early")))?
                .map_err(|e| Error::Unavailable(format!("replay {subject}: {e}")))?;
            let sequence = message
                .info()
                .map_err(|e| Error::internal(anyhow::anyhow!("replay {subject}: {e}")))?
                .stream_sequence;
            loaded.fold(&RecordedCommit::decode(
                sequence,
                &subject,
                message.headers.as_ref(),
                &message.payload,
            )?)?;
        }
        Ok(loaded)
    }
}
