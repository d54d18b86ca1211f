//! The commit envelope: building commits for append and reading recorded ones back.
//!
//! A commit (`breakroom.kit.v1.Commit`) carries the events one command produced for one
//! aggregate, plus who and why. Each fact is stored once: service, aggregate type,
//! tenant and id are in the subject, the request id and trace context in the message
//! headers, the time in the commit id (UUID v7). [`RecordedCommit`] puts them back
//! together; callers read commits through its accessors, never the raw fields.
//! Encoding is in `envelope/encode.rs`.

mod encode;

use std::{borrow::Cow, collections::HashMap, time::SystemTime};

use async_nats::HeaderMap;
use breakroom_base::error::{Error, Result};
use breakroom_proto::kit::v1::{
    Commit,
    commit::{Actor, Causation, Correlation},
};
use prost::Message;
use uuid::Uuid;

pub(crate) use encode::encode_commit;

/// Who and why behind a command: everything in the envelope that is not the events.
#[derive(Debug, Clone, Default)]
pub struct CommandMeta {
    /// Resource name of the caller (`tenants/t/users/u`) or `system/<component>`.
    pub actor: String,
    /// Client request id (AIP-155); becomes `Nats-Msg-Id`.
    pub request_id: Option<String>,
    /// Correlation id of the user action; a new one is made when empty.
    pub correlation_id: Option<String>,
    /// Id of the commit or request that caused this command.
    pub causation_id: Option<String>,
    /// The handler's "now"; the aggregate never reads a clock itself.
    pub now: Option<SystemTime>,
}

impl CommandMeta {
    /// Meta for `actor` with the current time.
    pub fn new(actor: impl Into<String>) -> Self {
        Self {
            actor: actor.into(),
            now: Some(SystemTime::now()),
            ..Self::default()
        }
    }

    /// Sets the client request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id.filter(|r| !r.is_empty());
        self
    }

    /// Meta for an API request: `actor`, and the client's `request_id` (empty for none),
    /// which must be a UUID (AIP-155).
    pub fn for_request(actor: impl Into<String>, request_id: &str) -> Result<Self> {
        if !request_id.is_empty() {
            uuid::Uuid::parse_str(request_id)
                .map_err(|_| Error::invalid("request_id", "must be a UUID"))?;
            breakroom_base::names::check_request_id(request_id)?;
        }
        Ok(Self::new(actor).with_request_id(Some(request_id.to_owned())))
    }

    /// The time the command is handled at.
    pub fn now(&self) -> SystemTime {
        self.now.unwrap_or_else(SystemTime::now)
    }
}

/// The id of an aggregate a request creates, derived from the request id (UUID v5), so
/// that a retried creation addresses the same aggregate and is recognised as a retry.
/// Without a request id, a fresh UUID v7.
pub fn new_aggregate_id(tenant: &str, aggregate_type: &str, request_id: Option<&str>) -> String {
    match request_id {
        Some(request_id) => uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("breakroom/{tenant}/{aggregate_type}/{request_id}").as_bytes(),
        )
        .to_string(),
        None => uuid::Uuid::now_v7().to_string(),
    }
}

/// A commit as stored in the stream, with where it sits.
#[derive(Debug, Clone)]
pub struct RecordedCommit {
    /// Stream sequence of the message: the aggregate's version after this commit.
    pub sequence: u64,
    /// The message subject (`<ns>.<service>.<type>.<tenant>.<id>`).
    pub subject: String,
    /// The envelope as stored; read it through the accessors.
    pub commit: Commit,
    /// The id from the 16 bytes of `commit.commit_id`, checked at decoding.
    commit_id: Uuid,
    /// The client request id, from the `Nats-Msg-Id` header.
    request_id: Option<String>,
    /// `traceparent` / `tracestate` from the headers (empty when the trace was not sampled).
    trace_context: HashMap<String, String>,
}

impl RecordedCommit {
    /// Decodes a message: its subject, headers and payload.
    pub fn decode(
        sequence: u64,
        subject: &str,
        headers: Option<&HeaderMap>,
        payload: &[u8],
    ) -> Result<Self> {
        let undecodable = |e: &dyn std::fmt::Display| {
            Error::internal(anyhow::anyhow!("undecodable commit at {sequence}: {e}"))
        };
        let commit = Commit::decode(payload).map_err(|e| undecodable(&e))?;
        let commit_id = Uuid::from_slice(&commit.commit_id).map_err(|e| undecodable(&e))?;
        let header = |name: &str| headers.and_then(|h| h.get(name)).map(|v| v.as_str());
        let request_id = header(crate::event_store::MSG_ID)
            .and_then(|id| id.rsplit_once(':'))
            .map(|(_, request_id)| request_id.to_owned());
        let trace_context = ["traceparent", "tracestate"]
            .into_iter()
            .filter_map(|name| Some((name.to_owned(), header(name)?.to_owned())))
            .collect();
        Ok(Self {
            sequence,
            subject: subject.to_owned(),
            commit,
            commit_id,
            request_id,
            trace_context,
        })
    }

    /// The service whose stream holds the commit (`identity`).
    pub fn service(&self) -> &str {
        self.subject_token(1)
    }

    /// The aggregate type (`user`), from the subject.
    pub fn aggregate_type(&self) -> &str {
        self.subject_token(2)
    }

    /// The tenant, from the subject.
    pub fn tenant(&self) -> &str {
        self.subject_token(3)
    }

    /// The aggregate id, from the subject.
    pub fn aggregate_id(&self) -> &str {
        self.subject_token(4)
    }

    /// Token `i` of `<ns>.<service>.<type>.<tenant>.<id>`; empty when missing.
    fn subject_token(&self, i: usize) -> &str {
        self.subject.split('.').nth(i).unwrap_or_default()
    }

    /// The commit's unique id (UUID v7). Its string form (`to_string()`, hyphenated lower
    /// case) is stable, so ids derived from it stay the same.
    pub fn commit_id(&self) -> Uuid {
        self.commit_id
    }

    /// When the command was handled (the handler's clock, to the millisecond).
    pub fn occurred_at(&self) -> SystemTime {
        self.commit_id
            .get_timestamp()
            .map(|t| {
                let (secs, nanos) = t.to_unix();
                SystemTime::UNIX_EPOCH + std::time::Duration::new(secs, nanos)
            })
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// Who caused it: `tenants/t/users/u`, `system/<component>`, ...
    pub fn actor(&self) -> Cow<'_, str> {
        match &self.commit.actor {
            Some(Actor::ActorUser(uuid)) => match Uuid::from_slice(uuid) {
                Ok(user) => Cow::Owned(format!("tenants/{}/users/{user}", self.tenant())),
                Err(_) => Cow::Borrowed(""),
            },
            Some(Actor::ActorInTenant(name)) => {
                Cow::Owned(format!("tenants/{}/{name}", self.tenant()))
            }
            Some(Actor::ActorName(name)) => Cow::Borrowed(name),
            None => Cow::Borrowed(""),
        }
    }

    /// The client request id (AIP-155) the command carried, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The id grouping every commit of one user action (this commit's own id for the
    /// first commit of an action).
    pub fn correlation_id(&self) -> String {
        match &self.commit.correlation {
            Some(Correlation::CorrelationUuid(id)) => uuid_text(id),
            Some(Correlation::CorrelationText(id)) => id.clone(),
            None => self.commit_id.to_string(),
        }
    }

    /// The commit or request that directly caused this one, if any.
    pub fn causation_id(&self) -> Option<String> {
        match &self.commit.causation {
            Some(Causation::CausationUuid(id)) => Some(uuid_text(id)),
            Some(Causation::CausationText(id)) => Some(id.clone()),
            None => None,
        }
    }

    /// Whether the commit created the aggregate (its first commit).
    pub fn creates(&self) -> bool {
        self.commit.creates
    }

    /// The W3C trace context (`traceparent`, `tracestate`) of the command, empty when its
    /// trace was not sampled.
    pub fn trace_context(&self) -> &HashMap<String, String> {
        &self.trace_context
    }

    /// Starts the CONSUMER span of `consumer` processing this commit, when it carries a
    /// sampled trace, and makes that span the commit's trace context from here on.
    pub(crate) fn continue_as_consumer(&mut self, consumer: &str) -> Option<tracing::Span> {
        if self.trace_context.is_empty() {
            return None;
        }
        let (span, own) = breakroom_telemetry::consumer_span(
            &self.trace_context,
            &self.subject,
            consumer,
            self.sequence,
            self.commit.events.iter().map(|e| e.payload.len()).sum(),
        );
        self.trace_context = own;
        Some(span)
    }

    /// Number of events in the commit.
    pub fn event_count(&self) -> usize {
        self.commit.events.len()
    }

    /// Decodes every event payload as `E` (the aggregate's event message).
    pub fn events<E: Message + Default>(&self) -> Result<Vec<E>> {
        decode_events(&self.commit)
    }
}

fn uuid_text(bytes: &[u8]) -> String {
    Uuid::from_slice(bytes)
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// Decodes every event of a commit as `E`.
pub fn decode_events<E: Message + Default>(commit: &Commit) -> Result<Vec<E>> {
    commit
        .events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            E::decode(event.payload.as_slice()).map_err(|e| {
                Error::internal(anyhow::anyhow!("undecodable event {i} of a commit: {e}"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retried_creation_gets_the_same_id_and_other_requests_do_not() {
        let first = new_aggregate_id("chain", "store", Some("r1"));
        assert_eq!(first, new_aggregate_id("chain", "store", Some("r1")));
        assert_ne!(first, new_aggregate_id("chain", "store", Some("r2")));
        assert_ne!(first, new_aggregate_id("other", "store", Some("r1")));
        assert_ne!(
            new_aggregate_id("chain", "store", None),
            new_aggregate_id("chain", "store", None)
        );
    }
}
