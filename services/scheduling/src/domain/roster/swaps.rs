//! Swaps: an employee offers a published shift to a named colleague or to anyone
//! eligible; a colleague accepts; a manager approves (or the store's policy does). The
//! rules run at acceptance and again at approval, on the roster as it is then.

use breakroom_base::{Error, Result};
use breakroom_proto::scheduling::v1::{self as pb, roster_event::Event as Ev};

use super::{Roster, diffs, event};

/// Where a swap stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapStatus {
    /// Waiting for a colleague.
    Offered,
    /// Waiting for a manager.
    Accepted,
    /// The shift went to the colleague.
    Approved,
    /// Refused.
    Rejected,
}

/// A swap of one shift.
#[derive(Debug, Clone, PartialEq)]
pub struct SwapState {
    /// The shift.
    pub shift_id: String,
    /// Who gives it away.
    pub offered_by: String,
    /// To whom; empty for anyone eligible.
    pub offered_to: String,
    /// Who accepted; empty until then.
    pub accepted_by: String,
    /// Where it stands.
    pub status: SwapStatus,
}

/// What can be asked about swaps (a roster command).
#[derive(Debug, Clone)]
pub enum SwapCommand {
    /// Offer one's own published shift.
    Offer {
        /// Id of the new swap.
        swap_id: String,
        /// The shift.
        shift_id: String,
        /// The caller, who must work the shift.
        offered_by: String,
        /// The colleague; empty for anyone eligible.
        offered_to: String,
    },
    /// Accept an offer.
    Accept {
        /// The swap.
        swap_id: String,
        /// The colleague accepting.
        accepted_by: String,
        /// Departments the colleague works in at the store (`""` = whole store).
        departments: Vec<String>,
        /// Approve at once (store policy).
        auto_approve: bool,
        /// Notice id of the reassignment.
        change_id: String,
    },
    /// Approve or reject an accepted swap.
    Decide {
        /// The swap.
        swap_id: String,
        /// Approve or reject.
        approve: bool,
        /// Notice id of the reassignment.
        change_id: String,
    },
}

fn invalid_swap(swap_id: &str, why: &str) -> Error {
    Error::precondition("SWAP_NOT_POSSIBLE", format!("swaps/{swap_id}"), why)
}

impl Roster {
    /// The amendment giving the swap's shift to its colleague, rules checked now.
    fn reassign(
        &self,
        swap_id: &str,
        swap: &SwapState,
        to: &str,
        change_id: &str,
    ) -> Result<pb::RosterEvent> {
        let before = self
            .shifts
            .get(&swap.shift_id)
            .filter(|s| s.employee_id == swap.offered_by)
            .ok_or_else(|| invalid_swap(swap_id, "the shift changed hands or is gone"))?;
        let after = pb::ShiftData {
            employee_id: to.to_owned(),
            revision: before.revision + 1,
            ..before.clone()
        };
        self.check_overlap(&after)?;
        Ok(event(Ev::Amended(pb::ShiftsAmended {
            employees: diffs(Some(before), Some(&after), change_id),
            upserted: vec![after],
            removed_shift_ids: vec![],
            reason: "SWAP_APPROVED".into(),
        })))
    }

    pub(super) fn swap(&self, command: &SwapCommand) -> Result<Vec<pb::RosterEvent>> {
        match command {
            SwapCommand::Offer {
                swap_id,
                shift_id,
                offered_by,
                offered_to,
            } => {
                let shift = self
                    .shifts
                    .get(shift_id)
                    .filter(|s| self.published && s.employee_id == *offered_by)
                    .ok_or_else(|| {
                        invalid_swap(swap_id, "only the employee of a published shift offers it")
                    })?;
                if offered_to == offered_by {
                    return Err(Error::invalid("offered_to", "must be someone else"));
                }
                if self.swaps.values().any(|s| {
                    s.shift_id == shift.shift_id
                        && matches!(s.status, SwapStatus::Offered | SwapStatus::Accepted)
                }) {
                    return Err(invalid_swap(swap_id, "the shift is already on offer"));
                }
                Ok(vec![event(Ev::ShiftOffered(pb::ShiftOffered {
                    swap_id: swap_id.clone(),
                    shift_id: shift_id.clone(),
                    offered_by: offered_by.clone(),
                    offered_to: offered_to.clone(),
                }))])
            }
            SwapCommand::Accept {
                swap_id,
                accepted_by,
                departments,
                auto_approve,
                change_id,
            } => {
                let swap = self
                    .swaps
                    .get(swap_id)
                    .ok_or_else(|| Error::NotFound(format!("swap {swap_id}")))?;
                if swap.status != SwapStatus::Offered {
                    return Err(invalid_swap(swap_id, "the offer is no longer open"));
                }
                if *accepted_by == swap.offered_by
                    || (!swap.offered_to.is_empty() && swap.offered_to != *accepted_by)
                {
                    return Err(Error::denied(
                        "OFFER_NOT_FOR_YOU",
                        "the offer is not for you",
                    ));
                }
                let department = self
                    .shifts
                    .get(&swap.shift_id)
                    .map(|s| s.department_id.as_str())
                    .unwrap_or("");
                if !departments
                    .iter()
                    .any(|d| d.is_empty() || department.is_empty() || d == department)
                {
                    return Err(Error::precondition(
                        "NOT_ELIGIBLE",
                        format!("shifts/{}", swap.shift_id),
                        "the shift is for a department you do not work in",
                    ));
                }
                let reassignment = self.reassign(swap_id, swap, accepted_by, change_id)?;
                let mut events = vec![event(Ev::SwapAccepted(pb::SwapAccepted {
                    swap_id: swap_id.clone(),
                    accepted_by: accepted_by.clone(),
                }))];
                if *auto_approve {
                    events.push(event(Ev::SwapDecided(pb::SwapDecided {
                        swap_id: swap_id.clone(),
                        approved: true,
                        reason: "AUTO_APPROVED".into(),
                    })));
                    events.push(reassignment);
                }
                Ok(events)
            }
            SwapCommand::Decide {
                swap_id,
                approve,
                change_id,
            } => {
                let swap = self
                    .swaps
                    .get(swap_id)
                    .ok_or_else(|| Error::NotFound(format!("swap {swap_id}")))?;
                if swap.status != SwapStatus::Accepted {
                    return Err(invalid_swap(swap_id, "only an accepted swap is decided"));
                }
                let decided = event(Ev::SwapDecided(pb::SwapDecided {
                    swap_id: swap_id.clone(),
                    approved: *approve,
                    reason: "MANAGER".into(),
                }));
                if !approve {
                    return Ok(vec![decided]);
                }
                let reassignment = self.reassign(swap_id, swap, &swap.accepted_by, change_id)?;
                Ok(vec![decided, reassignment])
            }
        }
    }

    pub(super) fn apply_swap(&mut self, event: &Ev) {
        match event {
            Ev::ShiftOffered(e) => {
                self.swaps.insert(
                    e.swap_id.clone(),
                    SwapState {
                        shift_id: e.shift_id.clone(),
                        offered_by: e.offered_by.clone(),
                        offered_to: e.offered_to.clone(),
                        accepted_by: String::new(),
                        status: SwapStatus::Offered,
                    },
                );
            }
            Ev::SwapAccepted(e) => {
                if let Some(swap) = self.swaps.get_mut(&e.swap_id) {
                    swap.accepted_by = e.accepted_by.clone();
                    swap.status = SwapStatus::Accepted;
                }
            }
            Ev::SwapDecided(e) => {
                if let Some(swap) = self.swaps.get_mut(&e.swap_id) {
                    swap.status = if e.approved {
                        SwapStatus::Approved
                    } else {
                        SwapStatus::Rejected
                    };
                }
            }
            _ => {}
        }
    }
}
