//! Feed's rules on the kit's `Caller` and a group: who belongs, who may post, who
//! administers and who moderates.
//!
//! - Store groups: everyone holding a role in the store; department groups: the store's
//!   people whose membership names the department or the whole store. Managers and team
//!   leads of the store administer both; store managers moderate them.
//! - News and help: everyone of the chain. HQ admins administer news; the help group's
//!   named helpers administer help.
//! - Custom groups: their explicit members; their admins administer and moderate.
//! - HQ admins administer and moderate every group of their chain.

use breakroom_base::{Error, Result};
use breakroom_directory::{Caller, Role};
use breakroom_proto::feed::v1::{self as pb, GroupKind, PostingPolicy};

use crate::queries::groups::GroupRow;

/// What a caller may do in one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupAccess {
    /// Belongs (reads it, sees it in the timeline).
    pub member: bool,
    /// Administers (posts under any policy, pins, edits the group).
    pub admin: bool,
    /// Moderates (hides, restores and deletes others' posts and comments).
    pub moderator: bool,
}

impl GroupAccess {
    /// The caller's access to `group`.
    pub fn of(caller: &Caller, group: &GroupRow) -> Self {
        let hq = caller.is_hq_admin();
        let (member, admin, moderator) = match group.kind {
            GroupKind::Store => (
                caller.works_in(&group.store_id),
                caller.holds(&group.store_id, &[Role::StoreManager, Role::TeamLead]),
                caller.holds(&group.store_id, &[Role::StoreManager]),
            ),
            GroupKind::Department => (
                caller.memberships.iter().any(|m| {
                    m.store == group.store_id
                        && (m.department.is_empty() || m.department == group.department_id)
                }),
                caller.holds(&group.store_id, &[Role::StoreManager, Role::TeamLead]),
                caller.holds(&group.store_id, &[Role::StoreManager]),
            ),
            GroupKind::News => (!caller.is_integration(), false, false),
            GroupKind::Help => (
                !caller.is_integration(),
                group.explicit == Some(true),
                group.explicit == Some(true),
            ),
            GroupKind::Custom | GroupKind::Unspecified => (
                group.explicit.is_some(),
                group.explicit == Some(true),
                group.explicit == Some(true),
            ),
        };
        Self {
            member: member || hq,
            admin: admin || hq,
            moderator: moderator || hq,
        }
    }

    /// Whether the caller may post under the group's policy.
    pub fn can_post(&self, group: &GroupRow) -> bool {
        self.admin || (self.member && group.posting_policy == PostingPolicy::Everyone)
    }

    /// PERMISSION_DENIED `NOT_A_MEMBER` unless the caller belongs.
    pub fn require_member(&self) -> Result<()> {
        if self.member {
            Ok(())
        } else {
            Err(Error::denied(
                "NOT_A_MEMBER",
                "the caller is not a member of this group",
            ))
        }
    }

    /// PERMISSION_DENIED `NOT_A_GROUP_ADMIN` unless the caller administers the group.
    pub fn require_admin(&self) -> Result<()> {
        if self.admin {
            Ok(())
        } else {
            Err(Error::denied(
                "NOT_A_GROUP_ADMIN",
                "administering a group needs its admin role: store managers and team leads \
                 for store groups, HQ admins, a custom group's admins",
            ))
        }
    }

    /// PERMISSION_DENIED `NOT_A_MODERATOR` unless the caller moderates the group.
    pub fn require_moderator(&self) -> Result<()> {
        if self.moderator {
            Ok(())
        } else {
            Err(Error::denied(
                "NOT_A_MODERATOR",
                "moderating needs ROLE_STORE_MANAGER of the group's store, ROLE_HQ_ADMIN, \
                 or a custom group's admin role",
            ))
        }
    }
}

/// Managers: HQ admins, and store managers and team leads of some store.
pub fn is_manager(caller: &Caller) -> bool {
    caller.is_hq_admin()
        || caller
            .memberships
            .iter()
            .any(|m| matches!(m.role, Role::StoreManager | Role::TeamLead))
}

/// PERMISSION_DENIED `NOT_A_MANAGER` unless the caller is a manager.
pub fn require_manager(caller: &Caller) -> Result<()> {
    if is_manager(caller) {
        Ok(())
    } else {
        Err(Error::denied(
            "NOT_A_MANAGER",
            "needs ROLE_STORE_MANAGER or ROLE_TEAM_LEAD of a store, or ROLE_HQ_ADMIN",
        ))
    }
}

/// PERMISSION_DENIED unless the caller may publish `announcement`: managers
/// (`NOT_A_MANAGER`), and a store manager or team lead only to an audience naming stores
/// they all manage (`AUDIENCE_OUT_OF_SCOPE`); HQ admins to anyone of the chain.
pub fn require_announcer(caller: &Caller, announcement: &pb::Announcement) -> Result<()> {
    require_manager(caller)?;
    if caller.is_hq_admin() {
        return Ok(());
    }
    let managed = managed_stores(caller);
    let stores = announcement
        .audience
        .as_ref()
        .map(|a| a.store_ids.as_slice())
        .unwrap_or_default();
    if stores.is_empty() || stores.iter().any(|s| !managed.contains(s)) {
        return Err(Error::denied(
            "AUDIENCE_OUT_OF_SCOPE",
            "a store manager's announcement names only stores they manage",
        ));
    }
    Ok(())
}

/// The stores a caller manages (store manager or team lead).
pub fn managed_stores(caller: &Caller) -> Vec<String> {
    let mut stores: Vec<String> = caller
        .memberships
        .iter()
        .filter(|m| matches!(m.role, Role::StoreManager | Role::TeamLead))
        .map(|m| m.store.clone())
        .collect();
    stores.sort();
    stores.dedup();
    stores
}
