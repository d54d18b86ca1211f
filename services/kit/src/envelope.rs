//! The commit envelope: building commits for append and reading recorded ones back.
//!
//! A commit (`breakroom.kit.v1.Commit`) carries the events one command produced for one
//! aggregate, plus who, when, why (correlation/causation/request id) and the trace context.

use std::time::SystemTime;

use breakroom_proto::kit::v1::{Commit, Event};
use prost::Message;

use crate::error::{Error, Result};

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
            crate::event_store::check_request_id(request_id)?;
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
    /// The envelope.
    pub commit: Commit,
}

impl RecordedCommit {
    /// Decodes a message payload.
    pub fn decode(sequence: u64, subject: &str, payload: &[u8]) -> Result<Self> {
        let commit = Commit::decode(payload).map_err(|e| {
            Error::internal(anyhow::anyhow!("undecodable commit at {sequence}: {e}"))
        })?;
        Ok(Self {
            sequence,
            subject: subject.to_owned(),
            commit,
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

    /// Decodes every event payload as `E` (the aggregate's event message).
    pub fn events<E: Message + Default>(&self) -> Result<Vec<E>> {
        decode_events(&self.commit)
    }

    /// When the command was handled.
    pub fn occurred_at(&self) -> SystemTime {
        self.commit
            .occurred_at
            .and_then(|t| SystemTime::try_from(t).ok())
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// Decodes every event of a commit as `E`.
pub fn decode_events<E: Message + Default>(commit: &Commit) -> Result<Vec<E>> {
    commit
        .events
        .iter()
        .map(|event| {
            E::decode(event.payload.as_slice()).map_err(|e| {
                Error::internal(anyhow::anyhow!(
                    "undecodable event {} ({}): {e}",
                    event.event_id,
                    event.event_type
                ))
            })
        })
        .collect()
}

/// Builds the envelope for `events` of one aggregate.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_commit<E: Message>(
    tenant: &str,
    aggregate_type: &str,
    aggregate_id: &str,
    expected_version: u64,
    meta: &CommandMeta,
    trace_context: std::collections::HashMap<String, String>,
    events: &[(&'static str, &E)],
) -> Commit {
    let commit_id = uuid::Uuid::now_v7().to_string();
    Commit {
        correlation_id: meta
            .correlation_id
            .clone()
            .unwrap_or_else(|| commit_id.clone()),
        commit_id,
        tenant: tenant.to_owned(),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        expected_version,
        occurred_at: Some(meta.now().into()),
        actor: meta.actor.clone(),
        causation_id: meta.causation_id.clone().unwrap_or_default(),
        request_id: meta.request_id.clone().unwrap_or_default(),
        trace_context,
        events: events
            .iter()
            .map(|(event_type, event)| Event {
                event_id: uuid::Uuid::now_v7().to_string(),
                event_type: (*event_type).to_owned(),
                payload: event.encode_to_vec(),
            })
            .collect(),
    }
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
