//! Writing a commit envelope straight into one buffer: the events are encoded in place
//! (no intermediate `Commit` with a copy of every payload), ids as 16 bytes, and only the
//! fields that differ from their default.
//!
//! The output is an ordinary `breakroom.kit.v1.Commit`; the tests decode it with the
//! generated type.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes};
use prost::{
    Message,
    encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len},
};
use uuid::Uuid;

use super::CommandMeta;

// Field numbers of `breakroom.kit.v1.Commit` and `Event` (envelope.proto).
const COMMIT_ID: u32 = 13;
const ACTOR_USER: u32 = 14;
const EVENTS: u32 = 15;
const CREATES: u32 = 16;
const CORRELATION_UUID: u32 = 17;
const CORRELATION_TEXT: u32 = 18;
const CAUSATION_UUID: u32 = 19;
const CAUSATION_TEXT: u32 = 20;
const ACTOR_IN_TENANT: u32 = 21;
const ACTOR_NAME: u32 = 22;
const EVENT_PAYLOAD: u32 = 3;

/// Encodes the commit of `events` for an aggregate of `tenant`; returns its id and bytes.
pub(crate) fn encode_commit<E: Message>(
    tenant: &str,
    creates: bool,
    meta: &CommandMeta,
    events: &[E],
) -> (Uuid, Bytes) {
    let commit_id = commit_id(meta.now());
    let actor = Actor::of(tenant, &meta.actor);
    let correlation = meta
        .correlation_id
        .as_deref()
        .filter(|c| Uuid::parse_str(c).ok() != Some(commit_id))
        .map(Id::of);
    let causation = meta.causation_id.as_deref().map(Id::of);

    // Lengths are computed twice (here and while writing) rather than collected: small
    // messages measure faster than a vector is allocated.
    let mut len = bytes_field_len(COMMIT_ID, 16) + actor.len();
    for event in events {
        len += bytes_field_len(EVENTS, bytes_field_len(EVENT_PAYLOAD, event.encoded_len()));
    }
    if creates {
        len += key_len(CREATES) + 1;
    }
    len += correlation
        .as_ref()
        .map_or(0, |id| id.len(CORRELATION_UUID, CORRELATION_TEXT));
    len += causation
        .as_ref()
        .map_or(0, |id| id.len(CAUSATION_UUID, CAUSATION_TEXT));

    let mut buf = Vec::with_capacity(len);
    put_bytes(&mut buf, COMMIT_ID, commit_id.as_bytes());
    actor.put(&mut buf);
    for event in events {
        let event_len = event.encoded_len();
        encode_key(EVENTS, WireType::LengthDelimited, &mut buf);
        encode_varint(bytes_field_len(EVENT_PAYLOAD, event_len) as u64, &mut buf);
        encode_key(EVENT_PAYLOAD, WireType::LengthDelimited, &mut buf);
        encode_varint(event_len as u64, &mut buf);
        // Cannot fail: the buffer grows as needed.
        let _ = event.encode(&mut buf);
    }
    if creates {
        encode_key(CREATES, WireType::Varint, &mut buf);
        buf.put_u8(1);
    }
    if let Some(id) = &correlation {
        id.put(&mut buf, CORRELATION_UUID, CORRELATION_TEXT);
    }
    if let Some(id) = &causation {
        id.put(&mut buf, CAUSATION_UUID, CAUSATION_TEXT);
    }
    debug_assert_eq!(buf.len(), len);
    (commit_id, buf.into())
}

/// A UUID v7 whose timestamp is the handler's "now", so the commit id also says when.
fn commit_id(now: SystemTime) -> Uuid {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        since.as_secs(),
        since.subsec_nanos(),
    ))
}

fn bytes_field_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

fn put_bytes(buf: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(bytes.len() as u64, buf);
    buf.put_slice(bytes);
}

/// The canonical (hyphenated, lower-case) text form of a UUID parses back to it; any
/// other text is kept as text so that it reads back exactly as it was given.
fn canonical_uuid(text: &str) -> Option<Uuid> {
    let id = Uuid::parse_str(text).ok()?;
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    (id.hyphenated().encode_lower(&mut buf) == text).then_some(id)
}

/// How the actor is stored: a user of the commit's tenant as 16 bytes, another name in
/// the tenant without the `tenants/<tenant>/` prefix, anything else as given.
enum Actor<'a> {
    User(Uuid),
    InTenant(&'a str),
    Name(&'a str),
}

impl<'a> Actor<'a> {
    fn of(tenant: &str, actor: &'a str) -> Self {
        let in_tenant = actor
            .strip_prefix("tenants/")
            .and_then(|rest| rest.strip_prefix(tenant))
            .and_then(|rest| rest.strip_prefix('/'));
        match in_tenant {
            Some(rest) => match rest.strip_prefix("users/").and_then(canonical_uuid) {
                Some(user) => Actor::User(user),
                None => Actor::InTenant(rest),
            },
            None if actor.is_empty() => Actor::Name(""),
            None => Actor::Name(actor),
        }
    }

    fn len(&self) -> usize {
        match self {
            Actor::User(_) => bytes_field_len(ACTOR_USER, 16),
            Actor::InTenant(name) => bytes_field_len(ACTOR_IN_TENANT, name.len()),
            Actor::Name("") => 0,
            Actor::Name(name) => bytes_field_len(ACTOR_NAME, name.len()),
        }
    }

    fn put(&self, buf: &mut Vec<u8>) {
        match self {
            Actor::User(user) => put_bytes(buf, ACTOR_USER, user.as_bytes()),
            Actor::InTenant(name) => put_bytes(buf, ACTOR_IN_TENANT, name.as_bytes()),
            Actor::Name("") => {}
            Actor::Name(name) => put_bytes(buf, ACTOR_NAME, name.as_bytes()),
        }
    }
}

/// A correlation or causation id: 16 bytes when it is a UUID, else text.
enum Id<'a> {
    Uuid(Uuid),
    Text(&'a str),
}

impl<'a> Id<'a> {
    fn of(text: &'a str) -> Self {
        canonical_uuid(text).map_or(Id::Text(text), Id::Uuid)
    }

    fn len(&self, uuid_tag: u32, text_tag: u32) -> usize {
        match self {
            Id::Uuid(_) => bytes_field_len(uuid_tag, 16),
            Id::Text(text) => bytes_field_len(text_tag, text.len()),
        }
    }

    fn put(&self, buf: &mut Vec<u8>, uuid_tag: u32, text_tag: u32) {
        match self {
            Id::Uuid(id) => put_bytes(buf, uuid_tag, id.as_bytes()),
            Id::Text(text) => put_bytes(buf, text_tag, text.as_bytes()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use breakroom_proto::kit::v1::{
        Commit,
        commit::{Actor as A, Causation, Correlation},
    };

    use super::*;

    fn meta(actor: &str) -> CommandMeta {
        CommandMeta::new(actor)
    }

    fn roundtrip(tenant: &str, creates: bool, meta: &CommandMeta, events: &[Commit]) -> Commit {
        let (id, bytes) = encode_commit(tenant, creates, meta, events);
        let commit = Commit::decode(bytes.as_ref()).unwrap();
        assert_eq!(commit.commit_id, id.as_bytes());
        commit
    }

    #[test]
    fn the_encoding_is_the_generated_types_own() {
        // Any message serves as an event here; a commit nested in a commit is handy.
        let inner = Commit {
            actor: Some(A::ActorName("x".repeat(300))),
            ..Default::default()
        };
        let events = [inner.clone(), Commit::default()];
        let commit = roundtrip("chain", true, &meta("system/import"), &events);
        assert!(commit.creates);
        assert_eq!(commit.actor, Some(A::ActorName("system/import".into())));
        assert_eq!(commit.events.len(), 2);
        assert_eq!(commit.events[0].payload, inner.encode_to_vec());
        assert!(commit.events[1].payload.is_empty());
        assert_eq!(commit.correlation, None);
        assert_eq!(commit.causation, None);
    }

    #[test]
    fn actors_in_the_tenant_are_stored_without_the_tenant() {
        let user = Uuid::now_v7();
        let stored = |actor: &str| roundtrip("chain", false, &meta(actor), &[]).actor;
        assert_eq!(
            stored(&format!("tenants/chain/users/{user}")),
            Some(A::ActorUser(user.as_bytes().to_vec()))
        );
        assert_eq!(
            stored(&format!(
                "tenants/chain/users/{}",
                user.to_string().to_uppercase()
            )),
            Some(A::ActorInTenant(format!(
                "users/{}",
                user.to_string().to_uppercase()
            )))
        );
        assert_eq!(
            stored("tenants/chain/serviceAccounts/wfm"),
            Some(A::ActorInTenant("serviceAccounts/wfm".into()))
        );
        assert_eq!(
            stored("tenants/chainstore/users/u"),
            Some(A::ActorName("tenants/chainstore/users/u".into()))
        );
        assert_eq!(stored(""), None);
    }

    #[test]
    fn correlation_is_omitted_when_it_is_the_commit_itself_and_ids_are_binary() {
        let cause = Uuid::now_v7().to_string();
        let mut m = meta("t");
        m.correlation_id = Some("import-7".into());
        m.causation_id = Some(cause.clone());
        let commit = roundtrip("chain", false, &m, &[]);
        assert_eq!(
            commit.correlation,
            Some(Correlation::CorrelationText("import-7".into()))
        );
        assert_eq!(
            commit.causation,
            Some(Causation::CausationUuid(
                Uuid::parse_str(&cause).unwrap().as_bytes().to_vec()
            ))
        );
    }

    #[test]
    fn the_commit_id_carries_the_handlers_time() {
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_780_000_000_123);
        let mut m = meta("t");
        m.now = Some(at);
        let (id, _) = encode_commit::<Commit>("chain", false, &m, &[]);
        let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
        assert_eq!(
            UNIX_EPOCH + std::time::Duration::new(secs, nanos),
            at,
            "millisecond precision"
        );
    }
}
