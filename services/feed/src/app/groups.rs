//! Groups: custom groups managers create, details and posting policy, explicit members
//! (custom groups, the help group's helpers), and the derived groups the reaction to
//! identity's events creates.

use breakroom_base::{Error, Result};
use breakroom_directory::Caller;
use breakroom_events::{
    envelope::{CommandMeta, new_aggregate_id},
    repository::Committed,
};
use breakroom_proto::feed::v1::{self as pb, GroupKind, PostingPolicy};

use super::{
    App,
    access::{GroupAccess, require_manager},
};
use crate::{
    domain::group::{Group, GroupCommand},
    names,
    queries::groups::{self, GroupRow},
};

/// A new custom group.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Posting policy.
    pub posting_policy: PostingPolicy,
    /// Members besides the creator (user ids).
    pub members: Vec<String>,
}

impl App {
    /// A group of the caller's tenant with the caller's access; NOT_FOUND when unknown
    /// or of another tenant.
    pub async fn group(
        &self,
        caller: &Caller,
        tenant: &str,
        group: &str,
    ) -> Result<(GroupRow, GroupAccess)> {
        let name = names::group_name(tenant, group);
        caller.see_tenant(tenant, &name)?;
        let row = groups::get(self.read().pool(), tenant, group, caller.id())
            .await?
            .ok_or(Error::NotFound(name))?;
        let access = GroupAccess::of(caller, &row);
        Ok((row, access))
    }

    /// Creates a custom group; the creator is its first admin.
    pub async fn create_group(
        &self,
        caller: &Caller,
        tenant: &str,
        group: NewGroup,
        meta: &CommandMeta,
    ) -> Result<(String, Committed<Group>)> {
        caller.see_tenant(tenant, &names::tenant_name(tenant))?;
        require_manager(caller)?;
        self.require_known(tenant, &group.members).await?;
        let id = new_aggregate_id(tenant, "group", meta.request_id.as_deref());
        // The contract: initial members, the creator included (as admin, in the same commit).
        let mut member_ids = group.members;
        if !member_ids.iter().any(|m| m == caller.id()) {
            member_ids.push(caller.id().to_owned());
        }
        let created = pb::GroupCreated {
            kind: GroupKind::Custom as i32,
            display_name: group.display_name,
            description: group.description,
            posting_policy: group.posting_policy as i32,
            member_ids,
            ..Default::default()
        };
        let command = GroupCommand::Create {
            created,
            admins: vec![caller.id().to_owned()],
        };
        let committed = self.groups().execute(tenant, &id, meta, &command).await?;
        Ok((id, committed))
    }

    /// Changes details (`None` keeps a field); group admins only.
    pub async fn update_group(
        &self,
        caller: &Caller,
        tenant: &str,
        group: &str,
        command: GroupCommand,
        meta: &CommandMeta,
    ) -> Result<Committed<Group>> {
        let (_, access) = self.group(caller, tenant, group).await?;
        access.require_admin()?;
        self.groups().execute(tenant, group, meta, &command).await
    }

    /// Adds or removes explicit members; group admins only.
    pub async fn change_members(
        &self,
        caller: &Caller,
        tenant: &str,
        group: &str,
        command: GroupCommand,
        meta: &CommandMeta,
    ) -> Result<Committed<Group>> {
        let (_, access) = self.group(caller, tenant, group).await?;
        access.require_admin()?;
        if let GroupCommand::AddMembers { user_ids, .. } = &command {
            self.require_known(tenant, user_ids).await?;
        }
        self.groups().execute(tenant, group, meta, &command).await
    }

    /// Creates a derived group (store, department, news, help) unless it exists: the
    /// reaction to identity's events, with a request id derived from identity's commit.
    pub async fn ensure_group(
        &self,
        tenant: &str,
        id: &str,
        created: pb::GroupCreated,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let command = GroupCommand::Create {
            created,
            admins: vec![],
        };
        Ok(self
            .groups()
            .execute(tenant, id, meta, &command)
            .await?
            .sequence)
    }

    /// FAILED_PRECONDITION `UNKNOWN_USER` unless every one of `users` is a person of the
    /// tenant who is not offboarded.
    async fn require_known(&self, tenant: &str, users: &[String]) -> Result<()> {
        if users.is_empty() {
            return Ok(());
        }
        let known = groups::known_users(self.read().pool(), tenant, users).await?;
        if let Some(missing) = users.iter().find(|u| !known.contains(u)) {
            return Err(Error::precondition(
                "UNKNOWN_USER",
                names::user_name(tenant, missing),
                "not a person of this chain (or offboarded)",
            ));
        }
        Ok(())
    }
}
