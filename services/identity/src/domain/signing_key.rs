//! A token signing key's public half, published so every service verifies tokens offline.

use std::time::SystemTime;

use breakroom_base::Result;
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::identity::v1::{self as pb, signing_key_event::Event as Ev};

use super::{instant, timestamp};

/// State of a signing key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SigningKey {
    /// The raw Ed25519 public key; empty until added.
    pub public_key: Vec<u8>,
    /// Valid from.
    pub not_before: Option<SystemTime>,
    /// Valid until.
    pub not_after: Option<SystemTime>,
    /// Whether it was retired early.
    pub retired: bool,
}

/// What can be asked of a signing key.
#[derive(Debug, Clone)]
pub enum SigningKeyCommand {
    /// Publish the key; publishing the same key again changes nothing.
    Publish {
        /// Raw Ed25519 public key.
        public_key: Vec<u8>,
        /// Valid from.
        not_before: SystemTime,
        /// Valid until.
        not_after: SystemTime,
    },
}

impl Aggregate for SigningKey {
    const TYPE: &'static str = "signing_key";
    type Command = SigningKeyCommand;
    type Event = pb::SigningKeyEvent;

    fn decide(&self, command: &SigningKeyCommand) -> Result<Vec<pb::SigningKeyEvent>> {
        let SigningKeyCommand::Publish {
            public_key,
            not_before,
            not_after,
        } = command;
        if !self.public_key.is_empty() {
            if &self.public_key != public_key {
                return Err(breakroom_base::Error::exists(
                    "SIGNING_KEY_ID_TAKEN",
                    "a different signing key with this key id",
                ));
            }
            return Ok(vec![]);
        }
        Ok(vec![pb::SigningKeyEvent {
            event: Some(Ev::Added(pb::SigningKeyAdded {
                public_key: public_key.clone(),
                not_before: Some(timestamp(*not_before)),
                not_after: Some(timestamp(*not_after)),
            })),
        }])
    }

    fn apply(mut self, event: &pb::SigningKeyEvent) -> Self {
        match &event.event {
            Some(Ev::Added(e)) => {
                self.public_key = e.public_key.clone();
                self.not_before = Some(instant(e.not_before.as_ref()));
                self.not_after = Some(instant(e.not_after.as_ref()));
            }
            Some(Ev::Retired(_)) => self.retired = true,
            None => {}
        }
        self
    }
}
