//! A user: profile, lifecycle (invited -> active -> deactivated), memberships, and the
//! login sessions, each one refresh-token family.
//!
//! Sessions live in the user aggregate so that deactivation ends them in the same commit
//! and a refresh is decided against the one consistent state of its family.

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    time::SystemTime,
};

use breakroom_kit::{Error, Result, aggregate::Aggregate};
use breakroom_proto::identity::v1::{self as pb, login_failed::Reason, user_event::Event as Ev};
use subtle::ConstantTimeEq;

use super::{
    instant,
    role::{Membership, Role},
    timestamp,
    values::{DisplayName, Email, Phone},
};

/// Open sessions a user may hold; a login beyond it ends the least recently used one.
pub const MAX_SESSIONS: usize = 20;
/// Used refresh-token hashes remembered per session for reuse detection.
const USED_TOKENS_REMEMBERED: usize = 64;

/// Lifecycle of a user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Status {
    /// Not created.
    #[default]
    None,
    /// Invited, waiting for activation.
    Invited,
    /// Can log in.
    Active,
    /// Offboarded.
    Deactivated,
}

/// One session: a refresh-token family.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// SHA-256 of the current refresh token.
    pub refresh_hash: Vec<u8>,
    /// When the current refresh token expires.
    pub expires: SystemTime,
    /// Hashes of refresh tokens already exchanged, newest last; presenting one is reuse.
    pub used: VecDeque<Vec<u8>>,
}

/// State of a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct User {
    /// Lifecycle.
    pub status: Status,
    /// Profile as last recorded.
    pub profile: pb::UserUpdated,
    /// SHA-256 of the pending invite code.
    pub invite_code_hash: Vec<u8>,
    /// When the invite code expires.
    pub invite_expires: Option<SystemTime>,
    /// argon2id PHC string; empty until activation.
    pub password_hash: String,
    /// Memberships held.
    pub memberships: BTreeSet<Membership>,
    /// Open sessions by id.
    pub sessions: BTreeMap<String, Session>,
}

/// Profile fields of a user.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Name shown to colleagues.
    pub display_name: DisplayName,
    /// E-mail, if any.
    pub email: Option<Email>,
    /// Phone, if any.
    pub phone: Option<Phone>,
}

/// What can be asked of a user.
#[derive(Debug, Clone)]
pub enum UserCommand {
    /// Invite a new user.
    Invite {
        /// Profile.
        profile: Profile,
        /// SHA-256 of the invite code the handler made.
        invite_code_hash: Vec<u8>,
        /// When the code expires.
        invite_expires: SystemTime,
        /// Initial memberships.
        memberships: Vec<Membership>,
    },
    /// Activate with the invite code and a (hashed) chosen password.
    Activate {
        /// SHA-256 of the presented code.
        invite_code_hash: Vec<u8>,
        /// argon2id hash of the chosen password.
        password_hash: String,
        /// The handler's now.
        now: SystemTime,
    },
    /// Change profile fields, provided they are still `expected` (compare-and-set: the
    /// handler claimed and will release contacts based on them).
    Update {
        /// The profile after the change.
        profile: Profile,
        /// The profile the change was computed from.
        expected: pb::UserUpdated,
    },
    /// Offboard; ends every session.
    Deactivate,
    /// Grant a membership.
    Grant(Membership),
    /// Revoke a membership.
    Revoke(Membership),
    /// Record a login whose password the handler verified (`password_ok`).
    Login {
        /// Whether the password matched the stored hash.
        password_ok: bool,
        /// The login as it is recorded on success.
        login: pb::UserLoggedIn,
        /// The handler's now (expired sessions are ended).
        now: SystemTime,
    },
    /// Exchange a refresh token of a session.
    Refresh {
        /// The session the token names.
        session_id: String,
        /// SHA-256 of the presented token.
        presented_hash: Vec<u8>,
        /// The rotation as it is recorded on success (new hash and expiry).
        next: pb::SessionRefreshed,
        /// Where the token came from (recorded on reuse).
        source_address: String,
        /// The handler's now.
        now: SystemTime,
    },
    /// End one session.
    RevokeSession {
        /// Its id.
        session_id: String,
    },
}

fn event(event: Ev) -> pb::UserEvent {
    pb::UserEvent { event: Some(event) }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

impl Profile {
    fn to_event(&self) -> pb::UserUpdated {
        pb::UserUpdated {
            display_name: self.display_name.to_string(),
            email: self
                .email
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_default(),
            phone: self
                .phone
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        }
    }
}

impl User {
    /// Whether the user holds `role` anywhere (or, with `store`, in that store).
    pub fn has_role(&self, role: Role, store: Option<&str>) -> bool {
        self.memberships
            .iter()
            .any(|m| m.role == role && (store.is_none() || m.store_id.as_deref() == store))
    }

    /// Whether the user can act: active and not offboarded.
    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }

    fn require_exists(&self) -> Result<()> {
        if self.status == Status::None {
            Err(Error::NotFound("user".into()))
        } else {
            Ok(())
        }
    }

    fn require_not_deactivated(&self) -> Result<()> {
        self.require_exists()?;
        if self.status == Status::Deactivated {
            return Err(Error::precondition(
                "USER_DEACTIVATED",
                "user",
                "the user is deactivated",
            ));
        }
        Ok(())
    }

    fn login(
        &self,
        password_ok: bool,
        login: &pb::UserLoggedIn,
        now: SystemTime,
    ) -> Vec<pb::UserEvent> {
        let failed = |reason: Reason| {
            vec![event(Ev::LoginFailed(pb::LoginFailed {
                reason: reason as i32,
                device_class: login.device_class,
                client_version: login.client_version.clone(),
                source_address: login.source_address.clone(),
            }))]
        };
        if !password_ok {
            return failed(Reason::BadCredential);
        }
        if !self.is_active() {
            return failed(Reason::AccountInactive);
        }
        let mut live: Vec<(&String, &Session)> = Vec::new();
        let mut events = Vec::new();
        for (id, session) in &self.sessions {
            if session.expires <= now {
                events.push(event(Ev::SessionRevoked(pb::SessionRevoked {
                    session_id: id.clone(),
                })));
            } else {
                live.push((id, session));
            }
        }
        // The session expiring soonest is the one used least recently.
        live.sort_by_key(|(_, session)| session.expires);
        let excess = (live.len() + 1).saturating_sub(MAX_SESSIONS);
        for (id, _) in live.into_iter().take(excess) {
            events.push(event(Ev::SessionRevoked(pb::SessionRevoked {
                session_id: id.clone(),
            })));
        }
        events.push(event(Ev::LoggedIn(login.clone())));
        events
    }

    fn refresh(
        &self,
        session_id: &str,
        presented_hash: &[u8],
        next: &pb::SessionRefreshed,
        source_address: &str,
        now: SystemTime,
    ) -> Result<Vec<pb::UserEvent>> {
        let invalid = || Error::Unauthenticated("refresh token is invalid or expired".into());
        let session = self.sessions.get(session_id).ok_or_else(invalid)?;
        if !self.is_active() {
            return Err(invalid());
        }
        if session.used.iter().any(|used| same(used, presented_hash)) {
            return Ok(vec![event(Ev::SessionFamilyRevoked(
                pb::SessionFamilyRevoked {
                    session_id: session_id.to_owned(),
                    source_address: source_address.to_owned(),
                },
            ))]);
        }
        if !same(&session.refresh_hash, presented_hash) || session.expires <= now {
            return Err(invalid());
        }
        Ok(vec![event(Ev::SessionRefreshed(next.clone()))])
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "user";
    type Command = UserCommand;
    type Event = pb::UserEvent;

    fn event_type(event: &pb::UserEvent) -> &'static str {
        match event.event {
            Some(Ev::Invited(_)) => "breakroom.identity.v1.UserInvited",
            Some(Ev::Activated(_)) => "breakroom.identity.v1.UserActivated",
            Some(Ev::Updated(_)) => "breakroom.identity.v1.UserUpdated",
            Some(Ev::Deactivated(_)) => "breakroom.identity.v1.UserDeactivated",
            Some(Ev::RoleGranted(_)) => "breakroom.identity.v1.RoleGranted",
            Some(Ev::RoleRevoked(_)) => "breakroom.identity.v1.RoleRevoked",
            Some(Ev::LoggedIn(_)) => "breakroom.identity.v1.UserLoggedIn",
            Some(Ev::LoginFailed(_)) => "breakroom.identity.v1.LoginFailed",
            Some(Ev::SessionRefreshed(_)) => "breakroom.identity.v1.SessionRefreshed",
            Some(Ev::SessionRevoked(_)) => "breakroom.identity.v1.SessionRevoked",
            Some(Ev::SessionFamilyRevoked(_)) => "breakroom.identity.v1.SessionFamilyRevoked",
            None => "breakroom.identity.v1.UserEvent",
        }
    }

    fn decide(&self, command: &UserCommand) -> Result<Vec<pb::UserEvent>> {
        match command {
            UserCommand::Invite {
                profile,
                invite_code_hash,
                invite_expires,
                memberships,
            } => {
                if self.status != Status::None {
                    return Err(Error::exists("USER_EXISTS", "user"));
                }
                let p = profile.to_event();
                let mut events = vec![event(Ev::Invited(pb::UserInvited {
                    display_name: p.display_name,
                    email: p.email,
                    phone: p.phone,
                    invite_code_hash: invite_code_hash.clone(),
                    invite_expire_time: Some(timestamp(*invite_expires)),
                }))];
                let unique: BTreeSet<&Membership> = memberships.iter().collect();
                events.extend(
                    unique
                        .into_iter()
                        .map(|m| event(Ev::RoleGranted(m.granted()))),
                );
                Ok(events)
            }
            UserCommand::Activate {
                invite_code_hash,
                password_hash,
                now,
            } => {
                let usable = self.status == Status::Invited
                    && same(&self.invite_code_hash, invite_code_hash)
                    && self.invite_expires.is_some_and(|expires| *now < expires);
                if !usable {
                    return Err(Error::invalid("invite_code", "unknown, used or expired"));
                }
                Ok(vec![event(Ev::Activated(pb::UserActivated {
                    password_hash: password_hash.clone(),
                }))])
            }
            UserCommand::Update { profile, expected } => {
                self.require_not_deactivated()?;
                if &self.profile != expected {
                    return Err(Error::Conflict("user profile changed concurrently".into()));
                }
                let updated = profile.to_event();
                if updated == self.profile {
                    return Ok(vec![]);
                }
                Ok(vec![event(Ev::Updated(updated))])
            }
            UserCommand::Deactivate => {
                self.require_exists()?;
                if self.status == Status::Deactivated {
                    return Ok(vec![]);
                }
                Ok(vec![event(Ev::Deactivated(pb::UserDeactivated {}))])
            }
            UserCommand::Grant(membership) => {
                self.require_not_deactivated()?;
                if self.memberships.contains(membership) {
                    return Ok(vec![]);
                }
                Ok(vec![event(Ev::RoleGranted(membership.granted()))])
            }
            UserCommand::Revoke(membership) => {
                self.require_exists()?;
                if !self.memberships.contains(membership) {
                    return Err(Error::precondition(
                        "MEMBERSHIP_NOT_HELD",
                        "membership",
                        "the user does not hold this membership (store, department and role must match)",
                    ));
                }
                Ok(vec![event(Ev::RoleRevoked(membership.revoked()))])
            }
            UserCommand::Login {
                password_ok,
                login,
                now,
            } => {
                if self.status == Status::None {
                    return Ok(vec![]);
                }
                if self.sessions.contains_key(&login.session_id) {
                    // Only an old request id sent again can name an open session: opening
                    // it anew would undo its refresh history.
                    return Err(Error::invalid(
                        "request_id",
                        "was already used for a login; send a new one",
                    ));
                }
                Ok(self.login(*password_ok, login, *now))
            }
            UserCommand::Refresh {
                session_id,
                presented_hash,
                next,
                source_address,
                now,
            } => self.refresh(session_id, presented_hash, next, source_address, *now),
            UserCommand::RevokeSession { session_id } => {
                if !self.sessions.contains_key(session_id) {
                    return Err(Error::NotFound("session".into()));
                }
                Ok(vec![event(Ev::SessionRevoked(pb::SessionRevoked {
                    session_id: session_id.clone(),
                }))])
            }
        }
    }

    fn apply(mut self, event: &pb::UserEvent) -> Self {
        match &event.event {
            Some(Ev::Invited(e)) => {
                self.status = Status::Invited;
                self.profile = pb::UserUpdated {
                    display_name: e.display_name.clone(),
                    email: e.email.clone(),
                    phone: e.phone.clone(),
                };
                self.invite_code_hash = e.invite_code_hash.clone();
                self.invite_expires = Some(instant(e.invite_expire_time.as_ref()));
            }
            Some(Ev::Activated(e)) => {
                self.status = Status::Active;
                self.password_hash = e.password_hash.clone();
                self.invite_code_hash.clear();
            }
            Some(Ev::Updated(e)) => self.profile = e.clone(),
            Some(Ev::Deactivated(_)) => {
                self.status = Status::Deactivated;
                self.sessions.clear();
                self.invite_code_hash.clear();
            }
            Some(Ev::RoleGranted(e)) => {
                if let Some(m) = Membership::from_event(&e.store_id, &e.department_id, e.role) {
                    self.memberships.insert(m);
                }
            }
            Some(Ev::RoleRevoked(e)) => {
                if let Some(m) = Membership::from_event(&e.store_id, &e.department_id, e.role) {
                    self.memberships.remove(&m);
                }
            }
            Some(Ev::LoggedIn(e)) => {
                self.sessions.insert(
                    e.session_id.clone(),
                    Session {
                        refresh_hash: e.refresh_token_hash.clone(),
                        expires: instant(e.refresh_token_expire_time.as_ref()),
                        used: VecDeque::new(),
                    },
                );
            }
            Some(Ev::SessionRefreshed(e)) => {
                if let Some(session) = self.sessions.get_mut(&e.session_id) {
                    let used =
                        std::mem::replace(&mut session.refresh_hash, e.refresh_token_hash.clone());
                    session.used.push_back(used);
                    if session.used.len() > USED_TOKENS_REMEMBERED {
                        session.used.pop_front();
                    }
                    session.expires = instant(e.refresh_token_expire_time.as_ref());
                }
            }
            Some(Ev::SessionRevoked(pb::SessionRevoked { session_id }))
            | Some(Ev::SessionFamilyRevoked(pb::SessionFamilyRevoked { session_id, .. })) => {
                self.sessions.remove(session_id);
            }
            Some(Ev::LoginFailed(_)) | None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests;
