//! Shift swaps: offering one's shift, accepting an offer, a manager's decision, and
//! listing them.

use breakroom_base::{Error, Result, paging::Page};
use breakroom_directory::Caller;
use breakroom_events::envelope::{CommandMeta, new_aggregate_id};

use super::{App, Recorded, access::Access, claims::ClaimRef};
use crate::{
    domain::roster::{RosterCommand, SwapCommand, SwapState, SwapStatus, roster_id},
    names,
    queries::{
        self,
        claims_swaps::{ListScope, SwapRow},
    },
};

/// Whether an accepted swap needs a manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapPolicy {
    /// A manager approves or rejects accepted swaps.
    Approval,
    /// Acceptance completes the swap.
    Auto,
}

impl App {
    async fn run_swap(
        &self,
        place: &ClaimRef,
        command: SwapCommand,
        swap_id: &str,
        meta: &CommandMeta,
    ) -> Result<Recorded<SwapState>> {
        let week = self
            .week_of(&place.tenant, &place.store, &place.shift)
            .await?;
        let roster = roster_id(&place.store, week);
        let committed = self
            .plan(
                &place.tenant,
                &roster,
                meta,
                RosterCommand::Swap(Box::new(command)),
            )
            .await?;
        let swap = committed
            .state
            .swaps
            .get(swap_id)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("swap {swap_id}")))?;
        Ok(Recorded {
            id: swap_id.to_owned(),
            state: swap,
            sequence: committed.sequence,
        })
    }

    /// The caller offers their shift (`place.claim` unused) to `offered_to` or anyone.
    pub async fn offer_shift(
        &self,
        caller: &Caller,
        place: &ClaimRef,
        offered_to: Option<String>,
        meta: &CommandMeta,
    ) -> Result<Recorded<SwapState>> {
        caller.see_tenant(
            &place.tenant,
            &names::shift_name(&place.tenant, &place.store, &place.shift),
        )?;
        if caller.is_integration() {
            return Err(Error::denied(
                "NOT_YOUR_SHIFT",
                "shifts are offered by their employees",
            ));
        }
        if let Some(colleague) = &offered_to
            && !self
                .store_members(&place.tenant, &place.store)
                .await?
                .contains(colleague)
        {
            return Err(Error::invalid(
                "offered_to",
                "is not a member of this store",
            ));
        }
        let swap_id = new_aggregate_id(&place.tenant, "swap", meta.request_id.as_deref());
        let command = SwapCommand::Offer {
            swap_id: swap_id.clone(),
            shift_id: place.shift.clone(),
            offered_by: caller.id().to_owned(),
            offered_to: offered_to.unwrap_or_default(),
        };
        self.run_swap(place, command, &swap_id, meta).await
    }

    /// The caller accepts the offer `place.claim` (a swap id).
    pub async fn accept_offer(
        &self,
        caller: &Caller,
        place: &ClaimRef,
        meta: &CommandMeta,
    ) -> Result<Recorded<SwapState>> {
        caller.see_tenant(
            &place.tenant,
            &names::shift_name(&place.tenant, &place.store, &place.shift),
        )?;
        let departments = caller.departments_in(&place.store);
        if caller.is_integration() || departments.is_empty() {
            return Err(Error::denied(
                "NOT_IN_STORE",
                "only people of the store take its shifts",
            ));
        }
        if self.config().swap_policy == SwapPolicy::Approval {
            let week = self
                .week_of(&place.tenant, &place.store, &place.shift)
                .await?;
            let current = self
                .inner
                .rosters
                .load(&place.tenant, &roster_id(&place.store, week))
                .await?;
            if let Some(shift) = current.state.shifts.get(&place.shift) {
                self.check_free(&place.tenant, caller.id(), shift, meta)
                    .await?;
            }
        }
        let command = SwapCommand::Accept {
            swap_id: place.claim.clone(),
            accepted_by: caller.id().to_owned(),
            departments: departments.into_iter().map(str::to_owned).collect(),
            auto_approve: self.config().swap_policy == SwapPolicy::Auto,
            change_id: uuid::Uuid::now_v7().to_string(),
        };
        self.run_swap(place, command, &place.claim, meta).await
    }

    /// A planner approves or rejects an accepted swap.
    pub async fn decide_swap(
        &self,
        caller: &Caller,
        place: &ClaimRef,
        approve: bool,
        meta: &CommandMeta,
    ) -> Result<Recorded<SwapState>> {
        caller.see_tenant(
            &place.tenant,
            &names::shift_name(&place.tenant, &place.store, &place.shift),
        )?;
        caller.require_planner(&place.store)?;
        let command = SwapCommand::Decide {
            swap_id: place.claim.clone(),
            approve,
            change_id: uuid::Uuid::now_v7().to_string(),
        };
        self.run_swap(place, command, &place.claim, meta).await
    }

    /// A page of the swaps of `scope` in `states` (all when empty), newest first, that the
    /// caller may see: planners every swap; employees those they offered, were offered or
    /// accepted, and open offers to anyone they could accept.
    pub async fn list_swaps(
        &self,
        caller: &Caller,
        scope: &ListScope<'_>,
        states: &[SwapStatus],
        page: &Page,
    ) -> Result<(Vec<SwapRow>, String)> {
        let viewer = self.list_viewer(caller, scope).await?;
        queries::claims_swaps::swaps(self.read().pool(), scope, states, &viewer, page).await
    }
}
