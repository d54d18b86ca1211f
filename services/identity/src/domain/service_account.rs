//! A service account: an integration (e.g. the WFM system) holding ROLE_INTEGRATION in one
//! tenant and logging in with an API key, whose hash is kept in the account's `credential`
//! on the secrets stream.

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::identity::v1::{self as pb, service_account_event::Event as Ev};

use super::values::DisplayName;

/// State of a service account.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceAccount {
    /// Whether it was created.
    pub exists: bool,
    /// Whether it was deleted (its key no longer works).
    pub deleted: bool,
    /// Human-readable name.
    pub display_name: String,
}

/// What can be asked of a service account.
#[derive(Debug, Clone)]
pub enum ServiceAccountCommand {
    /// Create it (its key is in the credential already).
    Create {
        /// Human-readable name.
        display_name: DisplayName,
    },
    /// Delete it.
    Delete,
    /// Record a login attempt whose key the handler compared with the credential's.
    Login {
        /// Whether the presented key matched.
        key_matches: bool,
        /// The login as it would be recorded on success (session id, device, source).
        login: pb::UserLoggedIn,
    },
}

impl Aggregate for ServiceAccount {
    const TYPE: &'static str = "service_account";
    type Command = ServiceAccountCommand;
    type Event = pb::ServiceAccountEvent;

    fn decide(&self, command: &ServiceAccountCommand) -> Result<Vec<pb::ServiceAccountEvent>> {
        let event = match command {
            ServiceAccountCommand::Create { display_name } => {
                if self.exists {
                    return Err(Error::exists("SERVICE_ACCOUNT_EXISTS", "service account"));
                }
                Ev::Created(pb::ServiceAccountCreated {
                    display_name: display_name.to_string(),
                })
            }
            ServiceAccountCommand::Delete => {
                if !self.exists {
                    return Err(Error::NotFound("service account".into()));
                }
                if self.deleted {
                    return Ok(vec![]);
                }
                Ev::Deleted(pb::ServiceAccountDeleted {})
            }
            ServiceAccountCommand::Login { key_matches, login } => {
                if !self.exists {
                    return Ok(vec![]);
                }
                let failed = |reason: pb::login_failed::Reason| {
                    Ev::LoginFailed(pb::LoginFailed {
                        reason: reason as i32,
                        device_class: login.device_class,
                        client_version: login.client_version.clone(),
                        source_address: login.source_address.clone(),
                    })
                };
                if !key_matches {
                    failed(pb::login_failed::Reason::BadCredential)
                } else if self.deleted {
                    failed(pb::login_failed::Reason::AccountInactive)
                } else {
                    Ev::LoggedIn(login.clone())
                }
            }
        };
        Ok(vec![pb::ServiceAccountEvent { event: Some(event) }])
    }

    fn apply(mut self, event: &pb::ServiceAccountEvent) -> Self {
        match &event.event {
            Some(Ev::Created(e)) => {
                self.exists = true;
                self.display_name = e.display_name.clone();
            }
            Some(Ev::Deleted(_)) => self.deleted = true,
            Some(Ev::LoggedIn(_) | Ev::LoginFailed(_)) | None => {}
        }
        self
    }
}
