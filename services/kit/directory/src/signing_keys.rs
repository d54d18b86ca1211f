//! Follows identity's signing keys into a `KeySet`, so that every service verifies access
//! tokens offline and learns of a rotation from the event log, not from a call to identity.
//!
//! It replays `<ns>.identity.signing_key.>` from the start (a handful of messages), marks
//! the set loaded once it has read every key published so far, and then keeps listening; when the stream is missing (identity not deployed yet) or NATS
//! goes away it retries, and a restart re-reads everything, which is idempotent.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_base::{
    error::{Error, Result},
    namespace::Namespace,
};
use breakroom_events::{
    envelope::RecordedCommit,
    event_store::{stream_name, subject_prefix},
};
use breakroom_proto::identity::v1::{SigningKeyEvent, signing_key_event::Event as Ev};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::auth::KeySet;

/// Identity's service name, whose stream carries the keys.
const IDENTITY: &str = "identity";
/// The tenant token signing keys are recorded under (they belong to the platform, and a
/// key recorded under any tenant's name is not one).
pub const KEYS_TENANT: &str = "platform";
/// Pause before following again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Keeps `keys` in step with identity's published signing keys until `cancel` fires.
pub fn follow(
    js: jetstream::Context,
    namespace: Namespace,
    keys: KeySet,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Following ends only by failing (a consumer that ended is followed again).
        let _: Option<()> = breakroom_base::retry::until_cancelled(
            breakroom_base::retry::every(RETRY),
            &cancel,
            || async {
                tokio::select! {
                    () = cancel.cancelled() => Err(None),
                    result = follow_once(&js, &namespace, &keys) => Err(result.err()),
                }
            },
            |e: &Option<Error>, _| {
                if let Some(e) = e {
                    tracing::debug!(error = %e, "signing keys not available yet; retrying");
                }
            },
        )
        .await;
    })
}

async fn follow_once(js: &jetstream::Context, namespace: &Namespace, keys: &KeySet) -> Result<()> {
    let unavailable = |e: &dyn std::fmt::Display| Error::Unavailable(format!("signing keys: {e}"));
    let stream = js
        .get_stream(stream_name(namespace, IDENTITY))
        .await
        .map_err(|e| unavailable(&e))?;
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: format!(
                "{}.signing_key.{KEYS_TENANT}.*",
                subject_prefix(namespace, IDENTITY)
            ),
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable(&e))?;
    // Nothing published yet (identity not started): the set stays "not loaded", since no
    // token can be verified, until the first key arrives.
    let mut messages = consumer.messages().await.map_err(|e| unavailable(&e))?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| unavailable(&e))?;
        let (sequence, pending) = message
            .info()
            .map(|i| (i.stream_sequence, i.pending))
            .unwrap_or_default();
        match RecordedCommit::decode(
            sequence,
            &message.subject,
            message.headers.as_ref(),
            &message.payload,
        )
        .and_then(|commit| Ok((commit.events::<SigningKeyEvent>()?, commit)))
        {
            Ok((events, commit)) => apply(keys, commit.aggregate_id(), &events),
            Err(e) => {
                tracing::warn!(sequence, error = %e, "skipping undecodable signing key commit")
            }
        }
        if pending == 0 {
            keys.set_loaded();
        }
    }
    Err(unavailable(&"subscription ended"))
}

/// Applies one key's events to the set.
pub fn apply(keys: &KeySet, kid: &str, events: &[SigningKeyEvent]) {
    for event in events {
        match &event.event {
            Some(Ev::Added(added)) => {
                let not_after = added
                    .not_after
                    .and_then(|t| std::time::SystemTime::try_from(t).ok());
                let x = URL_SAFE_NO_PAD.encode(&added.public_key);
                if let Err(e) = keys.insert_until(kid, &x, not_after) {
                    tracing::warn!(kid, error = %e, "ignoring malformed signing key");
                }
            }
            Some(Ev::Retired(_)) => keys.remove(kid),
            None => {}
        }
    }
}
