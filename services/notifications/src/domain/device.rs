//! A device: one Web Push subscription (endpoint + P-256 key + auth secret) pushing to one
//! person. Its id is derived from the endpoint, so registering the same endpoint twice is
//! one device; a browser handed to a colleague moves to whoever registers it last.

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::notifications::v1::{
    DeviceEvent, DeviceRegistered, DeviceUnregistered, UnregisterReason, device_event::Event as Ev,
};
use sha2::{Digest, Sha256};

/// A device's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Device {
    /// Registered and not removed since.
    pub active: bool,
    /// The subscription as last registered.
    pub registration: Option<DeviceRegistered>,
}

impl Device {
    /// The person it pushes to, while active.
    pub fn owner(&self) -> Option<&str> {
        self.registration
            .as_ref()
            .filter(|_| self.active)
            .map(|r| r.user_id.as_str())
    }
}

/// What can be asked of a device.
#[derive(Debug, Clone)]
pub enum DeviceCommand {
    /// Register (or re-register) the subscription for a person.
    Register(DeviceRegistered),
    /// Remove it; `by` is the person asking (`None` for the push service's 404/410).
    Unregister {
        /// The person asking; they must own it.
        by: Option<String>,
        /// Why.
        reason: UnregisterReason,
        /// The push service's status for `Gone`.
        status_code: i32,
    },
}

/// The device id of an endpoint: `d` and 32 hex digits of its SHA-256.
pub fn device_id(endpoint: &str) -> String {
    let digest = Sha256::digest(endpoint.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("d{hex}")
}

impl Aggregate for Device {
    const TYPE: &'static str = "device";
    type Command = DeviceCommand;
    type Event = DeviceEvent;

    fn decide(&self, command: &DeviceCommand) -> Result<Vec<DeviceEvent>> {
        match command {
            DeviceCommand::Register(registration) => {
                if self.active && self.registration.as_ref() == Some(registration) {
                    return Ok(vec![]);
                }
                Ok(vec![DeviceEvent {
                    event: Some(Ev::Registered(registration.clone())),
                }])
            }
            DeviceCommand::Unregister {
                by,
                reason,
                status_code,
            } => {
                let Some(owner) = self.owner() else {
                    return match by {
                        // The push service's answer for a device already removed: done.
                        None => Ok(vec![]),
                        Some(_) => Err(Error::NotFound("device".into())),
                    };
                };
                if by.as_deref().is_some_and(|by| by != owner) {
                    return Err(Error::NotFound("device".into()));
                }
                Ok(vec![DeviceEvent {
                    event: Some(Ev::Unregistered(DeviceUnregistered {
                        user_id: owner.to_owned(),
                        reason: *reason as i32,
                        status_code: *status_code,
                    })),
                }])
            }
        }
    }

    fn apply(mut self, event: &DeviceEvent) -> Self {
        match &event.event {
            Some(Ev::Registered(r)) => {
                self.active = true;
                self.registration = Some(r.clone());
            }
            Some(Ev::Unregistered(_)) => self.active = false,
            None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use breakroom_events::aggregate::given;

    use super::*;

    fn registration(user: &str) -> DeviceRegistered {
        DeviceRegistered {
            user_id: user.into(),
            endpoint: "https://push.example/abc".into(),
            p256dh: vec![4; 65],
            auth: vec![1; 16],
            display_name: "phone".into(),
        }
    }

    fn registered(user: &str) -> DeviceEvent {
        DeviceEvent {
            event: Some(Ev::Registered(registration(user))),
        }
    }

    #[test]
    fn registering_the_same_subscription_again_changes_nothing() {
        given::<Device>([registered("u1")])
            .when(DeviceCommand::Register(registration("u1")))
            .then([]);
    }

    #[test]
    fn the_same_endpoint_registered_by_a_colleague_moves_to_them() {
        let state = given::<Device>([registered("u1")])
            .when(DeviceCommand::Register(registration("u2")))
            .then([registered("u2")]);
        assert_eq!(state.owner(), Some("u2"));
    }

    #[test]
    fn only_the_owner_removes_a_device() {
        let error = given::<Device>([registered("u1")])
            .when(DeviceCommand::Unregister {
                by: Some("u2".into()),
                reason: UnregisterReason::User,
                status_code: 0,
            })
            .then_error();
        assert!(matches!(error, Error::NotFound(_)));
    }

    #[test]
    fn a_gone_answer_for_a_removed_device_is_a_no_op() {
        let unregistered = DeviceEvent {
            event: Some(Ev::Unregistered(DeviceUnregistered {
                user_id: "u1".into(),
                reason: UnregisterReason::User as i32,
                status_code: 0,
            })),
        };
        given::<Device>([registered("u1"), unregistered])
            .when(DeviceCommand::Unregister {
                by: None,
                reason: UnregisterReason::Gone,
                status_code: 410,
            })
            .then([]);
    }

    #[test]
    fn device_ids_follow_the_endpoint() {
        assert_eq!(device_id("https://a/1"), device_id("https://a/1"));
        assert_ne!(device_id("https://a/1"), device_id("https://a/2"));
        assert_eq!(device_id("https://a/1").len(), 33);
    }
}
