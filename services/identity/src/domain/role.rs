//! Roles and memberships: where a user works and what they may do there.

use breakroom_proto::identity::v1 as pb;

use super::values::DepartmentId;

/// What a principal may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Sees the store's feed and their roster.
    Employee,
    /// Leads a team of a store.
    TeamLead,
    /// Manages a store.
    StoreManager,
    /// Head office, chain-wide.
    HqAdmin,
    /// An integration; service accounts only.
    Integration,
}

impl Role {
    /// From the wire enum; `None` for ROLE_UNSPECIFIED and unknown values.
    pub fn from_proto(value: i32) -> Option<Self> {
        match pb::Role::try_from(value).ok()? {
            pb::Role::Employee => Some(Self::Employee),
            pb::Role::TeamLead => Some(Self::TeamLead),
            pb::Role::StoreManager => Some(Self::StoreManager),
            pb::Role::HqAdmin => Some(Self::HqAdmin),
            pb::Role::Integration => Some(Self::Integration),
            pb::Role::Unspecified => None,
        }
    }

    /// To the wire enum.
    pub fn to_proto(self) -> pb::Role {
        match self {
            Self::Employee => pb::Role::Employee,
            Self::TeamLead => pb::Role::TeamLead,
            Self::StoreManager => pb::Role::StoreManager,
            Self::HqAdmin => pb::Role::HqAdmin,
            Self::Integration => pb::Role::Integration,
        }
    }

    /// Stable lower-case name, used in the read model and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Employee => "employee",
            Self::TeamLead => "team_lead",
            Self::StoreManager => "store_manager",
            Self::HqAdmin => "hq_admin",
            Self::Integration => "integration",
        }
    }
}

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
