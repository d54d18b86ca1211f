//! A credential: the secrets that prove who an account is, one aggregate per user and per
//! service account (type `credential`, id = the account's id) on identity's own secrets
//! stream, which no other service may read.
//!
//! It holds the invite code's hash, the password's argon2id hash, the refresh-token family
//! of every session (current hash, expiry, the hashes already used) and a service
//! account's API-key hash. What the public stream says about the same account (invited,
//! active, sessions open, deactivated) stays on the `user` and `service_account`
//! aggregates; a flow that needs both writes the credential first, so that a public fact
//! never points at a secret that does not exist (see `app` for the order of each flow).

use std::{
    collections::{BTreeMap, VecDeque},
    time::SystemTime,
};

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::identity::v1::{self as pb, credential_event::Event as Ev};
use subtle::ConstantTimeEq;

use super::{instant, timestamp};

/// Refresh-token families kept per account. More than the user's open sessions
/// (`user::MAX_SESSIONS`): families the user aggregate ended without telling the
/// credential (pushed out by newer logins) expire first and go first.
pub const MAX_FAMILIES: usize = 64;
/// Used refresh-token hashes remembered per family for reuse detection.
const USED_TOKENS_REMEMBERED: usize = 64;

/// A pending invite code.
#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    /// SHA-256 of the canonical code.
    pub hash: Vec<u8>,
    /// When it stops working.
    pub expires: SystemTime,
}

/// One session's refresh tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// SHA-256 of the current refresh token.
    pub refresh_hash: Vec<u8>,
    /// When the current refresh token expires.
    pub expires: SystemTime,
    /// Hashes of refresh tokens already exchanged, newest last; presenting one is reuse.
    pub used: VecDeque<Vec<u8>>,
    /// A used token was presented: the family refreshes no more.
    pub reused: bool,
}

/// State of a credential.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credential {
    /// The invite code; kept after activation, so that an activation interrupted between
    /// its two writes can be completed by presenting the code again.
    pub invite: Option<Invite>,
    /// argon2id PHC string; empty until the user chose a password.
    pub password_hash: String,
    /// Refresh-token families by session id.
    pub families: BTreeMap<String, Family>,
    /// SHA-256 of a service account's API key; empty for users.
    pub api_key_hash: Vec<u8>,
    /// Every secret was dropped (offboarded or deleted account).
    pub revoked: bool,
}

/// What can be asked of a credential.
#[derive(Debug, Clone)]
pub enum CredentialCommand {
    /// Record the invite code made for a new user.
    IssueInvite {
        /// SHA-256 of the code.
        invite_code_hash: Vec<u8>,
        /// When it stops working.
        expires: SystemTime,
    },
    /// Set the first password with the invite code. When a password was set with this
    /// code already (an earlier attempt), nothing changes: the first one stays.
    SetPassword {
        /// SHA-256 of the presented code.
        invite_code_hash: Vec<u8>,
        /// argon2id hash of the chosen password.
        password_hash: String,
        /// The handler's now.
        now: SystemTime,
    },
    /// Open a session's refresh-token family (a login whose password the handler checked).
    OpenFamily {
        /// The session id.
        session_id: String,
        /// SHA-256 of its first refresh token.
        refresh_hash: Vec<u8>,
        /// When that token expires.
        expires: SystemTime,
        /// The handler's now (expired families are dropped).
        now: SystemTime,
    },
    /// Exchange a session's refresh token for the next one.
    Refresh {
        /// The session the token names.
        session_id: String,
        /// SHA-256 of the presented token.
        presented_hash: Vec<u8>,
        /// SHA-256 of the next token.
        next_hash: Vec<u8>,
        /// When the next token expires.
        next_expires: SystemTime,
        /// The handler's now.
        now: SystemTime,
    },
    /// Forget a session's family (logout, revocation); nothing when unknown.
    EndFamily {
        /// The session id.
        session_id: String,
    },
    /// Record a new service account's API key.
    IssueApiKey {
        /// SHA-256 of the key.
        api_key_hash: Vec<u8>,
    },
    /// Drop every secret.
    Revoke,
}

/// What a refresh found, read from the state after the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The family's current token is the one this refresh made.
    Rotated,
    /// The family saw a used token: it is over.
    Reused,
    /// Anything else (unknown family, a later rotation).
    Invalid,
}

fn event(event: Ev) -> pb::CredentialEvent {
    pb::CredentialEvent { event: Some(event) }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn unusable_code() -> Error {
    Error::invalid("invite_code", "unknown, used or expired")
}

fn invalid_refresh() -> Error {
    Error::Unauthenticated("refresh token is invalid or expired".into())
}

impl Credential {
    /// Whether `hash` is this credential's invite code (expired or not).
    pub fn invite_matches(&self, hash: &[u8]) -> bool {
        !self.revoked && self.invite.as_ref().is_some_and(|i| same(&i.hash, hash))
    }

    /// Whether a password was set.
    pub fn has_password(&self) -> bool {
        !self.password_hash.is_empty()
    }

    /// Whether `hash` is the service account's API key.
    pub fn api_key_matches(&self, hash: &[u8]) -> bool {
        !self.revoked && !self.api_key_hash.is_empty() && same(&self.api_key_hash, hash)
    }

    /// Whether session `session_id`'s current refresh token has hash `hash`.
    pub fn issued(&self, session_id: &str, hash: &[u8]) -> bool {
        self.families
            .get(session_id)
            .is_some_and(|f| !f.reused && same(&f.refresh_hash, hash))
    }

    /// What a refresh that would have made `next_hash` for `session_id` found.
    pub fn refresh_outcome(&self, session_id: &str, next_hash: &[u8]) -> RefreshOutcome {
        match self.families.get(session_id) {
            Some(family) if family.reused => RefreshOutcome::Reused,
            Some(family) if same(&family.refresh_hash, next_hash) => RefreshOutcome::Rotated,
            _ => RefreshOutcome::Invalid,
        }
    }

    fn set_password(
        &self,
        invite_code_hash: &[u8],
        password_hash: &str,
        now: SystemTime,
    ) -> Result<Vec<pb::CredentialEvent>> {
        if !self.invite_matches(invite_code_hash) {
            return Err(unusable_code());
        }
        if self.has_password() {
            // The code was used already; the handler completes that activation.
            return Ok(vec![]);
        }
        if self.invite.as_ref().is_some_and(|i| now >= i.expires) {
            return Err(unusable_code());
        }
        Ok(vec![event(Ev::PasswordSet(pb::PasswordSet {
            password_hash: password_hash.to_owned(),
        }))])
    }

    fn open_family(
        &self,
        session_id: &str,
        refresh_hash: &[u8],
        expires: SystemTime,
        now: SystemTime,
    ) -> Result<Vec<pb::CredentialEvent>> {
        if self.revoked || !self.has_password() {
            return Err(Error::Unauthenticated("invalid credentials".into()));
        }
        if self.families.contains_key(session_id) {
            // Only an old request id sent again can name an existing session.
            return Err(Error::invalid(
                "request_id",
                "was already used for a login; send a new one",
            ));
        }
        let revoked = |id: &String| {
            event(Ev::RefreshTokenRevoked(pb::RefreshTokenRevoked {
                session_id: id.clone(),
            }))
        };
        let (expired, mut live): (Vec<_>, Vec<_>) = self
            .families
            .iter()
            .partition(|(_, family)| family.expires <= now);
        let mut events: Vec<_> = expired.into_iter().map(|(id, _)| revoked(id)).collect();
        live.sort_by_key(|(_, family)| family.expires);
        let excess = (live.len() + 1).saturating_sub(MAX_FAMILIES);
        events.extend(live.into_iter().take(excess).map(|(id, _)| revoked(id)));
        events.push(event(Ev::RefreshTokenIssued(pb::RefreshTokenIssued {
            session_id: session_id.to_owned(),
            refresh_token_hash: refresh_hash.to_vec(),
            expire_time: Some(timestamp(expires)),
        })));
        Ok(events)
    }

    fn refresh(
        &self,
        session_id: &str,
        presented_hash: &[u8],
        next_hash: &[u8],
        next_expires: SystemTime,
        now: SystemTime,
    ) -> Result<Vec<pb::CredentialEvent>> {
        let family = self
            .families
            .get(session_id)
            .filter(|_| !self.revoked)
            .ok_or_else(invalid_refresh)?;
        if family.reused {
            // Reported again to whoever presents a token of this family, so that the
            // handler can finish ending the session however far an earlier attempt got.
            return Ok(vec![]);
        }
        if family.used.iter().any(|used| same(used, presented_hash)) {
            return Ok(vec![event(Ev::RefreshTokenReused(
                pb::RefreshTokenReused {
                    session_id: session_id.to_owned(),
                },
            ))]);
        }
        if !same(&family.refresh_hash, presented_hash) || family.expires <= now {
            return Err(invalid_refresh());
        }
        Ok(vec![event(Ev::RefreshTokenRotated(
            pb::RefreshTokenRotated {
                session_id: session_id.to_owned(),
                refresh_token_hash: next_hash.to_vec(),
                expire_time: Some(timestamp(next_expires)),
            },
        ))])
    }
}

impl Aggregate for Credential {
    const TYPE: &'static str = "credential";
    type Command = CredentialCommand;
    type Event = pb::CredentialEvent;

    fn decide(&self, command: &CredentialCommand) -> Result<Vec<pb::CredentialEvent>> {
        match command {
            CredentialCommand::IssueInvite {
                invite_code_hash,
                expires,
            } => {
                if self.invite_matches(invite_code_hash) {
                    return Ok(vec![]);
                }
                if self.revoked || self.invite.is_some() || self.has_password() {
                    return Err(Error::exists("USER_EXISTS", "user"));
                }
                Ok(vec![event(Ev::InviteCodeIssued(pb::InviteCodeIssued {
                    invite_code_hash: invite_code_hash.clone(),
                    expire_time: Some(timestamp(*expires)),
                }))])
            }
            CredentialCommand::SetPassword {
                invite_code_hash,
                password_hash,
                now,
            } => self.set_password(invite_code_hash, password_hash, *now),
            CredentialCommand::OpenFamily {
                session_id,
                refresh_hash,
                expires,
                now,
            } => self.open_family(session_id, refresh_hash, *expires, *now),
            CredentialCommand::Refresh {
                session_id,
                presented_hash,
                next_hash,
                next_expires,
                now,
            } => self.refresh(session_id, presented_hash, next_hash, *next_expires, *now),
            CredentialCommand::EndFamily { session_id } => {
                Ok(if self.families.contains_key(session_id) {
                    vec![event(Ev::RefreshTokenRevoked(pb::RefreshTokenRevoked {
                        session_id: session_id.clone(),
                    }))]
                } else {
                    vec![]
                })
            }
            CredentialCommand::IssueApiKey { api_key_hash } => {
                if self.api_key_matches(api_key_hash) {
                    return Ok(vec![]);
                }
                if self.revoked || !self.api_key_hash.is_empty() {
                    return Err(Error::exists("SERVICE_ACCOUNT_EXISTS", "service account"));
                }
                Ok(vec![event(Ev::ApiKeyIssued(pb::ApiKeyIssued {
                    api_key_hash: api_key_hash.clone(),
                }))])
            }
            CredentialCommand::Revoke => Ok(if self.revoked {
                vec![]
            } else {
                vec![event(Ev::Revoked(pb::CredentialRevoked {}))]
            }),
        }
    }

    fn apply(mut self, event: &pb::CredentialEvent) -> Self {
        match &event.event {
            Some(Ev::InviteCodeIssued(e)) => {
                self.invite = Some(Invite {
                    hash: e.invite_code_hash.clone(),
                    expires: instant(e.expire_time.as_ref()),
                });
            }
            Some(Ev::PasswordSet(e)) => self.password_hash = e.password_hash.clone(),
            Some(Ev::RefreshTokenIssued(e)) => {
                self.families.insert(
                    e.session_id.clone(),
                    Family {
                        refresh_hash: e.refresh_token_hash.clone(),
                        expires: instant(e.expire_time.as_ref()),
                        used: VecDeque::new(),
                        reused: false,
                    },
                );
            }
            Some(Ev::RefreshTokenRotated(e)) => {
                if let Some(family) = self.families.get_mut(&e.session_id) {
                    let used =
                        std::mem::replace(&mut family.refresh_hash, e.refresh_token_hash.clone());
                    family.used.push_back(used);
                    if family.used.len() > USED_TOKENS_REMEMBERED {
                        family.used.pop_front();
                    }
                    family.expires = instant(e.expire_time.as_ref());
                }
            }
            Some(Ev::RefreshTokenReused(e)) => {
                if let Some(family) = self.families.get_mut(&e.session_id) {
                    family.reused = true;
                }
            }
            Some(Ev::RefreshTokenRevoked(e)) => {
                self.families.remove(&e.session_id);
            }
            Some(Ev::ApiKeyIssued(e)) => self.api_key_hash = e.api_key_hash.clone(),
            Some(Ev::Revoked(_)) => {
                self = Self {
                    revoked: true,
                    ..Self::default()
                };
            }
            None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests;
