//! A user: profile, lifecycle (invited -> active -> deactivated), memberships, and the
//! login sessions that are open.
//!
//! Sessions live in the user aggregate so that deactivation ends them in the same commit
//! and every authenticated call sees at once whether its session is still open. The
//! secrets (invite code, password, refresh tokens) are in the user's `credential` on the
//! secrets stream; the handler checks them there and tells this aggregate the outcome.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::SystemTime,
};

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::identity::v1::{self as pb, login_failed::Reason, user_event::Event as Ev};

use super::{
    instant,
    role::{Membership, Role},
    timestamp,
    values::{DisplayName, Email, Phone},
};

/// Open sessions a user may hold; a login beyond it ends the least recently used one.
pub const MAX_SESSIONS: usize = 20;

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

/// One open session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// When it ends unless refreshed before.
    pub expires: SystemTime,
}

/// State of a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct User {
    /// Lifecycle.
    pub status: Status,
    /// Profile as last recorded.
    pub profile: pb::UserUpdated,
    /// When the invite code expires.
    pub invite_expires: Option<SystemTime>,
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
    /// Invite a new user (whose invite code the handler recorded in the credential).
    Invite {
        /// Profile.
        profile: Profile,
        /// When the code expires.
        invite_expires: SystemTime,
        /// Initial memberships.
        memberships: Vec<Membership>,
        /// The code sealed for notifications to e-mail; empty without a delivery key.
        sealed_invite_code: Vec<u8>,
    },
    /// Activate: the handler has set the password with a valid invite code in the
    /// user's credential. An active user stays as they are (completing an activation
    /// that stopped between its two writes).
    Activate,
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
    /// Record a login whose password the handler verified (`password_ok`) and, when it
    /// matched, whose refresh token it recorded in the credential.
    Login {
        /// Whether the password matched the stored hash.
        password_ok: bool,
        /// The login as it is recorded on success.
        login: pb::UserLoggedIn,
        /// The handler's now (expired sessions are ended).
        now: SystemTime,
    },
    /// Record a refresh the credential accepted; refused unless the user is active and
    /// the session open.
    Refresh(pb::SessionRefreshed),
    /// End a session whose credential saw a used refresh token (reuse); nothing when it
    /// has ended already.
    RevokeFamily {
        /// The session.
        session_id: String,
        /// Where the reused token came from.
        source_address: String,
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

    fn refresh(&self, next: &pb::SessionRefreshed) -> Result<Vec<pb::UserEvent>> {
        if !self.is_active() || !self.sessions.contains_key(&next.session_id) {
            return Err(Error::Unauthenticated(
                "refresh token is invalid or expired".into(),
            ));
        }
        Ok(vec![event(Ev::SessionRefreshed(next.clone()))])
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "user";
    type Command = UserCommand;
    type Event = pb::UserEvent;

    fn decide(&self, command: &UserCommand) -> Result<Vec<pb::UserEvent>> {
        match command {
            UserCommand::Invite {
                profile,
                invite_expires,
                memberships,
                sealed_invite_code,
            } => {
                if self.status != Status::None {
                    return Err(Error::exists("USER_EXISTS", "user"));
                }
                let p = profile.to_event();
                let mut events = vec![event(Ev::Invited(pb::UserInvited {
                    display_name: p.display_name,
                    email: p.email,
                    phone: p.phone,
                    invite_expire_time: Some(timestamp(*invite_expires)),
                    sealed_invite_code: sealed_invite_code.clone(),
                }))];
                let unique: BTreeSet<&Membership> = memberships.iter().collect();
                events.extend(
                    unique
                        .into_iter()
                        .map(|m| event(Ev::RoleGranted(m.granted()))),
                );
                Ok(events)
            }
            UserCommand::Activate => match self.status {
                Status::Invited => Ok(vec![event(Ev::Activated(pb::UserActivated {}))]),
                Status::Active => Ok(vec![]),
                Status::None | Status::Deactivated => {
                    Err(Error::invalid("invite_code", "unknown, used or expired"))
                }
            },
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
            UserCommand::Refresh(next) => self.refresh(next),
            UserCommand::RevokeFamily {
                session_id,
                source_address,
            } => Ok(if self.sessions.contains_key(session_id) {
                vec![event(Ev::SessionFamilyRevoked(pb::SessionFamilyRevoked {
                    session_id: session_id.clone(),
                    source_address: source_address.clone(),
                }))]
            } else {
                vec![]
            }),
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
                self.invite_expires = Some(instant(e.invite_expire_time.as_ref()));
            }
            Some(Ev::Activated(_)) => self.status = Status::Active,
            Some(Ev::Updated(e)) => self.profile = e.clone(),
            Some(Ev::Deactivated(_)) => {
                self.status = Status::Deactivated;
                self.sessions.clear();
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
                        expires: instant(e.refresh_token_expire_time.as_ref()),
                    },
                );
            }
            Some(Ev::SessionRefreshed(e)) => {
                if let Some(session) = self.sessions.get_mut(&e.session_id) {
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
