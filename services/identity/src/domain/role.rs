//! Roles and memberships: where a user works and what they may do there.

use breakroom_proto::identity::v1 as pb;

use super::values::DepartmentId;

/// What a principal may do: the one definition, the directory's, which every service's
/// replica of identity uses too.
pub use breakroom_directory::Role;

/// One role of a user: in a store (optionally a department of it), or chain-wide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Membership {
    /// Store id; `None` for the chain-wide HQ admin role.
    pub store_id: Option<String>,
    /// Department within the store; `None` for the whole store.
    pub department_id: Option<DepartmentId>,
    /// The role held.
    pub role: Role,
}

impl Membership {
    /// The membership an event describes; `None` if the event names no known role.
    pub fn from_event(store_id: &str, department_id: &str, role: i32) -> Option<Self> {
        Some(Self {
            store_id: Some(store_id.to_owned()).filter(|s| !s.is_empty()),
            department_id: DepartmentId::parse("department_id", department_id).ok(),
            role: Role::from_proto(role)?,
        })
    }

    /// The event fields `(store_id, department_id, role)`.
    pub fn event_fields(&self) -> (String, String, i32) {
        (
            self.store_id.clone().unwrap_or_default(),
            self.department_id
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
            self.role.to_proto() as i32,
        )
    }

    /// The granted event.
    pub fn granted(&self) -> pb::RoleGranted {
        let (store_id, department_id, role) = self.event_fields();
        pb::RoleGranted {
            store_id,
            department_id,
            role,
        }
    }

    /// The revoked event.
    pub fn revoked(&self) -> pb::RoleRevoked {
        let (store_id, department_id, role) = self.event_fields();
        pb::RoleRevoked {
            store_id,
            department_id,
            role,
        }
    }
}
