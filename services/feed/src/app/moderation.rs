//! The moderation queue's rules: whose reported posts a caller may list, by the rule
//! ModeratePost applies (`access::GroupAccess::moderator`), and what they see of a
//! report.

use breakroom_base::Result;
use breakroom_directory::Caller;

use super::{App, access::GroupAccess};
use crate::queries::{groups, moderation::QueueScope};

/// The groups whose reported posts a caller may list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModerationScope {
    /// Every group of the tenant (HQ admins).
    All,
    /// These groups (ids); none for a caller who moderates nothing.
    Groups(Vec<String>),
}

impl ModerationScope {
    /// The scope as the queue's query takes it.
    pub fn query(&self) -> QueueScope<'_> {
        match self {
            Self::All => QueueScope::All,
            Self::Groups(groups) => QueueScope::Groups(groups),
        }
    }

    /// Whether it covers no group at all.
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Groups(groups) if groups.is_empty())
    }
}

/// Whether a moderator is shown who reported a post: yes, so that they can follow up
/// and notice reports used to harass someone, except on their own post, where a manager
/// sees why it was reported but not by whom (so that reporting one's manager stays safe).
pub fn reporter_shown(caller: &Caller, post_author: &str) -> bool {
    caller.id() != post_author
}

impl App {
    /// The queue of one group of `tenant` (`Some`), or of every group the caller
    /// moderates (`None`, the `-` of AIP-159). One group: NOT_FOUND when unknown or of
    /// another tenant, PERMISSION_DENIED `NOT_A_MODERATOR` unless the caller moderates
    /// it. Every group: HQ admins all of them, others those they moderate, perhaps none
    /// (an empty list rather than a refusal: `-` asks "whatever I moderate").
    pub async fn moderation_scope(
        &self,
        caller: &Caller,
        tenant: &str,
        group: Option<&str>,
    ) -> Result<ModerationScope> {
        if let Some(group) = group {
            let (row, access) = self.group(caller, tenant, group).await?;
            access.require_moderator()?;
            return Ok(ModerationScope::Groups(vec![row.id]));
        }
        caller.see_tenant(tenant, &crate::names::group_name(tenant, "-"))?;
        if caller.is_hq_admin() {
            return Ok(ModerationScope::All);
        }
        // The groups the caller could moderate at all (their stores' and those listing
        // them), kept by the one rule of `access`.
        let candidates =
            groups::of_stores_and_lists(self.read().pool(), tenant, caller.id(), &caller.stores())
                .await?;
        Ok(ModerationScope::Groups(
            candidates
                .into_iter()
                .filter(|g| GroupAccess::of(caller, g).moderator)
                .map(|g| g.id)
                .collect(),
        ))
    }
}
