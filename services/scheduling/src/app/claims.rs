//! Claiming open shifts, deciding claims, and listing them (with the check of a list's
//! parent that swaps share).

use breakroom_base::{Error, Result, paging::Page};
use breakroom_directory::Caller;
use breakroom_events::envelope::{CommandMeta, new_aggregate_id};

use super::{App, Recorded, access::Access};
use crate::{
    domain::roster::{ClaimState, ClaimStatus, NewClaim, Roster, RosterCommand, roster_id},
    names,
    queries::{
        self,
        claims_swaps::{ClaimRow, ListScope, Viewer},
    },
};

/// A claim's place: `tenants/{tenant}/stores/{store}/shifts/{shift}/claims/{claim}`.
#[derive(Debug, Clone)]
pub struct ClaimRef {
    /// Tenant id.
    pub tenant: String,
    /// Store id.
    pub store: String,
    /// Shift id.
    pub shift: String,
    /// Claim id.
    pub claim: String,
}

/// Whether the first valid claim of an open shift wins without a manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimPolicy {
    /// First valid claim wins.
    FirstCome,
    /// Claims wait for a manager.
    Approval,
}

/// The claim `claim_id` as the roster holds it, with its commit's sequence.
fn recorded(roster: &Roster, claim_id: &str, sequence: u64) -> Option<Recorded<ClaimState>> {
    let claim = roster.claims.get(claim_id)?;
    Some(Recorded {
        id: claim_id.to_owned(),
        state: claim.clone(),
        sequence,
    })
}

impl App {
    /// The caller claims an open shift of `store`.
    pub async fn claim_open_shift(
        &self,
        caller: &Caller,
        tenant: &str,
        store: &str,
        shift_id: &str,
        meta: &CommandMeta,
    ) -> Result<Recorded<ClaimState>> {
        let name = names::shift_name(tenant, store, shift_id);
        caller.see_tenant(tenant, &name)?;
        let departments = caller.departments_in(store);
        if caller.is_integration() || departments.is_empty() {
            return Err(Error::denied(
                "NOT_IN_STORE",
                "only people of the store claim its open shifts",
            ));
        }
        let week = self.week_of(tenant, store, shift_id).await?;
        let roster = roster_id(store, week);
        let current = self.inner.rosters.load(tenant, &roster).await?;
        let Some(shift) = current.state.shifts.get(shift_id) else {
            return Err(Error::NotFound(name));
        };
        if self.config().claim_policy == ClaimPolicy::Approval && shift.employee_id.is_empty() {
            self.check_free(tenant, caller.id(), shift, meta).await?;
        }
        let claim_id = new_aggregate_id(tenant, "claim", meta.request_id.as_deref());
        let command = RosterCommand::Claim(Box::new(NewClaim {
            claim_id: claim_id.clone(),
            shift_id: shift_id.to_owned(),
            claimant_id: caller.id().to_owned(),
            departments: departments.into_iter().map(str::to_owned).collect(),
            auto_approve: self.config().claim_policy == ClaimPolicy::FirstCome,
            change_id: uuid::Uuid::now_v7().to_string(),
        }));
        let committed = self.plan(tenant, &roster, meta, command).await?;
        recorded(&committed.state, &claim_id, committed.sequence)
            .or_else(|| {
                // An earlier pending claim of the same person on the same shift stands.
                committed
                    .state
                    .claims
                    .iter()
                    .find(|(_, c)| {
                        c.shift_id == shift_id
                            && c.claimant_id == caller.id()
                            && c.status == ClaimStatus::Pending
                    })
                    .and_then(|(id, _)| recorded(&committed.state, id, committed.sequence))
            })
            .ok_or_else(|| Error::internal(anyhow::anyhow!("claim not recorded")))
    }

    /// A planner approves or rejects a pending claim.
    pub async fn decide_claim(
        &self,
        caller: &Caller,
        claim: &ClaimRef,
        approve: bool,
        meta: &CommandMeta,
    ) -> Result<Recorded<ClaimState>> {
        let ClaimRef {
            tenant,
            store,
            shift: shift_id,
            claim: claim_id,
        } = claim;
        let (tenant, store, shift_id, claim_id) = (
            tenant.as_str(),
            store.as_str(),
            shift_id.as_str(),
            claim_id.as_str(),
        );
        let name = format!(
            "{}/claims/{claim_id}",
            names::shift_name(tenant, store, shift_id)
        );
        caller.see_tenant(tenant, &name)?;
        caller.require_planner(store)?;
        let week = self.week_of(tenant, store, shift_id).await?;
        let roster = roster_id(store, week);
        let current = self.inner.rosters.load(tenant, &roster).await?;
        let known = current
            .state
            .claims
            .get(claim_id)
            .is_some_and(|c| c.shift_id == shift_id)
            && current.state.shifts.contains_key(shift_id);
        if !known {
            return Err(Error::NotFound(name));
        }
        let command = RosterCommand::DecideClaim {
            claim_id: claim_id.to_owned(),
            approve,
            change_id: uuid::Uuid::now_v7().to_string(),
        };
        let committed = self.plan(tenant, &roster, meta, command).await?;
        recorded(&committed.state, claim_id, committed.sequence).ok_or(Error::NotFound(name))
    }
}

impl App {
    /// What the caller may see of the claims and swaps of `scope`: NOT_FOUND for another
    /// tenant's or an unknown store, and for a shift the read model does not have (or, to
    /// anyone but planners, a draft); PERMISSION_DENIED `NOT_IN_STORE` for people who
    /// neither plan nor work in the store.
    pub(super) async fn list_viewer(
        &self,
        caller: &Caller,
        scope: &ListScope<'_>,
    ) -> Result<Viewer> {
        let store_name = names::store_name(scope.tenant, scope.store);
        caller.see_tenant(scope.tenant, &store_name)?;
        self.store(scope.tenant, scope.store).await?;
        caller.require_sees(
            scope.store,
            "only people of the store see its claims and swaps",
        )?;
        let viewer = caller.viewer(scope.store);
        if let Some(shift) = scope.shift {
            let found =
                queries::shifts::shift(self.read().pool(), scope.tenant, scope.store, shift)
                    .await?;
            if !found.is_some_and(|s| s.published || viewer.everything) {
                return Err(Error::NotFound(names::shift_name(
                    scope.tenant,
                    scope.store,
                    shift,
                )));
            }
        }
        Ok(viewer)
    }

    /// A page of the claims of `scope` in `states` (all when empty), newest first, that
    /// the caller may see: planners every claim, employees their own.
    pub async fn list_claims(
        &self,
        caller: &Caller,
        scope: &ListScope<'_>,
        states: &[ClaimStatus],
        page: &Page,
    ) -> Result<(Vec<ClaimRow>, String)> {
        let viewer = self.list_viewer(caller, scope).await?;
        queries::claims_swaps::claims(self.read().pool(), scope, states, &viewer, page).await
    }
}
