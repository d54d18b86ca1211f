//! What the directory says about a person: the roles they hold (`Role`, `Membership`) and
//! where they stand (`UserState`).

use breakroom_proto::identity::v1 as pb;

/// A role a person holds in a store, or chain-wide (`HqAdmin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Works in a store: sees its feed and their own roster.
    Employee,
    /// Leads a team of a store.
    TeamLead,
    /// Manages a store.
    StoreManager,
    /// Head office: chain-wide.
    HqAdmin,
    /// An integration (service accounts only).
    Integration,
}

impl Role {
    /// The role of identity's `Role` enum value; `None` for unspecified or unknown values.
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

    /// Identity's enum value.
    pub fn to_proto(self) -> pb::Role {
        match self {
            Self::Employee => pb::Role::Employee,
            Self::TeamLead => pb::Role::TeamLead,
            Self::StoreManager => pb::Role::StoreManager,
            Self::HqAdmin => pb::Role::HqAdmin,
            Self::Integration => pb::Role::Integration,
        }
    }

    /// The name stored in the read model (`store_manager`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Employee => "employee",
            Self::TeamLead => "team_lead",
            Self::StoreManager => "store_manager",
            Self::HqAdmin => "hq_admin",
            Self::Integration => "integration",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Employee,
            Self::TeamLead,
            Self::StoreManager,
            Self::HqAdmin,
            Self::Integration,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// One role of a person: in a store (optionally a department), or chain-wide.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Membership {
    /// Store id; empty for `HqAdmin`.
    pub store: String,
    /// Department id; empty for the whole store.
    pub department: String,
    /// The role.
    pub role: Role,
}

/// Lifecycle of a person in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserState {
    /// Invited, not activated yet (may be planned, cannot log in).
    Invited,
    /// Activated.
    Active,
    /// Offboarded.
    Deactivated,
}

impl UserState {
    /// The state of a stored name (`invited`, `active`, `deactivated`).
    pub fn parse(value: &str) -> Self {
        match value {
            "active" => Self::Active,
            "deactivated" => Self::Deactivated,
            _ => Self::Invited,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names_and_identitys_enum() {
        for role in [
            Role::Employee,
            Role::TeamLead,
            Role::StoreManager,
            Role::HqAdmin,
            Role::Integration,
        ] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(Role::from_proto(role.to_proto() as i32), Some(role));
        }
        assert_eq!(Role::from_proto(0), None);
        assert_eq!(Role::from_proto(99), None);
        assert_eq!(Role::parse("owner"), None);
    }
}
