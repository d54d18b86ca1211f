//! A uniqueness claim: the one holder of a value that must be unique in a tenant.
//!
//! Its id is derived from the value (`email-<digest>`), so every command about one value
//! meets on one subject, and taking a free value is an append that only one of several
//! concurrent writers wins.

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::identity::v1::{self as pb, claim_event::Event as Ev};
use sha2::{Digest, Sha256};

/// Kinds of unique values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimKind {
    /// A user's e-mail address.
    Email,
    /// A user's phone number.
    Phone,
    /// A store's code.
    StoreCode,
}

impl ClaimKind {
    /// What holds such a value, for messages: "a user with this e-mail address".
    pub fn holder(self) -> &'static str {
        match self {
            Self::Email => "a user with this e-mail address",
            Self::Phone => "a user with this phone number",
            Self::StoreCode => "a store with this store code",
        }
    }

    /// `ErrorInfo.reason` when the value is taken: `EMAIL_TAKEN`, `PHONE_TAKEN`,
    /// `STORE_CODE_TAKEN`.
    pub fn taken_reason(self) -> &'static str {
        match self {
            Self::Email => "EMAIL_TAKEN",
            Self::Phone => "PHONE_TAKEN",
            Self::StoreCode => "STORE_CODE_TAKEN",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::StoreCode => "store-code",
        }
    }
}

/// The claim id for a (canonical) value: kind and the first 160 bits of its SHA-256.
pub fn claim_id(kind: ClaimKind, canonical_value: &str) -> String {
    let digest = Sha256::digest(canonical_value.as_bytes());
    let hex: String = digest[..20].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", kind.prefix())
}

/// State of a claim.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claim {
    /// The current holder, if any.
    pub owner: Option<String>,
}

/// What can be asked of a claim.
#[derive(Debug, Clone)]
pub enum ClaimCommand {
    /// Take the value for `owner`; taking one's own claim again changes nothing.
    Take {
        /// The claiming aggregate's id.
        owner: String,
        /// What kind of value it is (for the error).
        kind: ClaimKind,
    },
    /// Give the value up; only its holder can, and releasing a free value changes nothing.
    Release {
        /// The releasing aggregate's id.
        owner: String,
    },
}

impl Aggregate for Claim {
    const TYPE: &'static str = "claim";
    type Command = ClaimCommand;
    type Event = pb::ClaimEvent;

    fn decide(&self, command: &ClaimCommand) -> Result<Vec<pb::ClaimEvent>> {
        match command {
            ClaimCommand::Take { owner, kind } => match &self.owner {
                Some(holder) if holder == owner => Ok(vec![]),
                Some(_) => Err(Error::exists(kind.taken_reason(), kind.holder())),
                None => Ok(vec![pb::ClaimEvent {
                    event: Some(Ev::Taken(pb::ClaimTaken {
                        owner_id: owner.clone(),
                    })),
                }]),
            },
            ClaimCommand::Release { owner } => match &self.owner {
                Some(holder) if holder == owner => Ok(vec![pb::ClaimEvent {
                    event: Some(Ev::Released(pb::ClaimReleased {
                        owner_id: owner.clone(),
                    })),
                }]),
                _ => Ok(vec![]),
            },
        }
    }

    fn apply(mut self, event: &pb::ClaimEvent) -> Self {
        match &event.event {
            Some(Ev::Taken(e)) => self.owner = Some(e.owner_id.clone()),
            Some(Ev::Released(_)) => self.owner = None,
            None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use breakroom_events::aggregate::given;

    use super::*;

    fn take(owner: &str) -> ClaimCommand {
        ClaimCommand::Take {
            owner: owner.into(),
            kind: ClaimKind::Email,
        }
    }

    #[test]
    fn a_taken_value_cannot_be_taken_by_another_owner_but_again_by_its_own() {
        let taken = pb::ClaimEvent {
            event: Some(Ev::Taken(pb::ClaimTaken {
                owner_id: "u1".into(),
            })),
        };
        assert!(matches!(
            given::<Claim>([taken.clone()])
                .when(take("u2"))
                .then_error(),
            Error::AlreadyExists {
                reason: "EMAIL_TAKEN",
                ..
            }
        ));
        given::<Claim>([taken.clone()]).when(take("u1")).then([]);
        let released = given::<Claim>([taken])
            .when(ClaimCommand::Release { owner: "u1".into() })
            .then_events();
        given::<Claim>(
            [pb::ClaimEvent {
                event: Some(Ev::Taken(pb::ClaimTaken {
                    owner_id: "u1".into(),
                })),
            }]
            .into_iter()
            .chain(released),
        )
        .when(take("u2"))
        .then_events();
    }

    #[test]
    fn claim_ids_do_not_reveal_the_value_and_differ_by_kind() {
        let id = claim_id(ClaimKind::Email, "anna@example.com");
        assert!(id.starts_with("email-") && !id.contains("anna"));
        assert_ne!(id, claim_id(ClaimKind::Phone, "anna@example.com"));
    }
}
