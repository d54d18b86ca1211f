//! Open shifts: employees claim them; the first valid claim wins, or claims wait for a
//! manager, by store policy. Claims are decided on the roster week, so of concurrent
//! claims on one shift exactly one can win: the others meet a shift that is no longer open.

use breakroom_base::{Error, Result};
use breakroom_proto::scheduling::v1::{self as pb, roster_event::Event as Ev};

use super::{Roster, diffs, event};

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Waiting for a manager.
    Pending,
    /// The shift went to the claimant.
    Approved,
    /// Refused, or another claim won.
    Rejected,
}

/// A claim on an open shift.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimState {
    /// The shift.
    pub shift_id: String,
    /// Who claimed.
    pub claimant_id: String,
    /// Where it stands.
    pub status: ClaimStatus,
}

/// A claim as the handler prepared it.
#[derive(Debug, Clone)]
pub struct NewClaim {
    /// Id of the claim.
    pub claim_id: String,
    /// The open shift.
    pub shift_id: String,
    /// The claimant.
    pub claimant_id: String,
    /// Departments the claimant works in at this store (`""` = the whole store).
    pub departments: Vec<String>,
    /// First valid claim wins (no manager).
    pub auto_approve: bool,
    /// Notice id of the assignment.
    pub change_id: String,
}

fn not_open(shift_id: &str) -> Error {
    Error::precondition(
        "SHIFT_NOT_OPEN",
        format!("shifts/{shift_id}"),
        "the shift is not an open published shift (any more)",
    )
}

impl Roster {
    /// The events giving an open shift to a claimant.
    fn assign(&self, shift_id: &str, claimant: &str, change_id: &str) -> Result<pb::RosterEvent> {
        let before = self
            .shifts
            .get(shift_id)
            .ok_or_else(|| not_open(shift_id))?;
        if !self.published || !before.employee_id.is_empty() {
            return Err(not_open(shift_id));
        }
        let after = pb::ShiftData {
            employee_id: claimant.to_owned(),
            revision: before.revision + 1,
            ..before.clone()
        };
        self.check_overlap(&after)?;
        Ok(event(Ev::Amended(pb::ShiftsAmended {
            employees: diffs(Some(before), Some(&after), change_id),
            upserted: vec![after],
            removed_shift_ids: vec![],
            reason: "CLAIM_APPROVED".into(),
        })))
    }

    pub(super) fn claim(&self, claim: &NewClaim) -> Result<Vec<pb::RosterEvent>> {
        let shift = self
            .shifts
            .get(&claim.shift_id)
            .ok_or_else(|| not_open(&claim.shift_id))?;
        if !self.published || !shift.employee_id.is_empty() {
            return Err(not_open(&claim.shift_id));
        }
        let eligible = claim
            .departments
            .iter()
            .any(|d| d.is_empty() || shift.department_id.is_empty() || *d == shift.department_id);
        if !eligible {
            return Err(Error::precondition(
                "NOT_ELIGIBLE",
                format!("shifts/{}", claim.shift_id),
                "the shift is for a department the employee does not work in",
            ));
        }
        if self.claims.values().any(|c| {
            c.shift_id == claim.shift_id
                && c.claimant_id == claim.claimant_id
                && c.status == ClaimStatus::Pending
        }) {
            return Ok(vec![]);
        }
        let mut events = vec![event(Ev::ShiftClaimed(pb::ShiftClaimed {
            claim_id: claim.claim_id.clone(),
            shift_id: claim.shift_id.clone(),
            claimant_id: claim.claimant_id.clone(),
        }))];
        let assignment = self.assign(&claim.shift_id, &claim.claimant_id, &claim.change_id)?;
        if claim.auto_approve {
            events.push(event(Ev::ClaimDecided(pb::ClaimDecided {
                claim_id: claim.claim_id.clone(),
                approved: true,
                reason: "AUTO_APPROVED".into(),
            })));
            events.push(assignment);
        }
        Ok(events)
    }

    pub(super) fn decide_claim(
        &self,
        claim_id: &str,
        approve: bool,
        change_id: &str,
    ) -> Result<Vec<pb::RosterEvent>> {
        let claim = self
            .claims
            .get(claim_id)
            .ok_or_else(|| Error::NotFound(format!("claim {claim_id}")))?;
        if claim.status != ClaimStatus::Pending {
            return Err(Error::precondition(
                "CLAIM_DECIDED",
                format!("claims/{claim_id}"),
                "the claim was already decided",
            ));
        }
        let decided = |id: &str, approved: bool, reason: &str| {
            event(Ev::ClaimDecided(pb::ClaimDecided {
                claim_id: id.to_owned(),
                approved,
                reason: reason.to_owned(),
            }))
        };
        if !approve {
            return Ok(vec![decided(claim_id, false, "MANAGER")]);
        }
        let mut events = vec![
            decided(claim_id, true, "MANAGER"),
            self.assign(&claim.shift_id, &claim.claimant_id, change_id)?,
        ];
        for (other, c) in &self.claims {
            if other != claim_id && c.shift_id == claim.shift_id && c.status == ClaimStatus::Pending
            {
                events.push(decided(other, false, "ANOTHER_CLAIM_APPROVED"));
            }
        }
        Ok(events)
    }

    pub(super) fn apply_claim(&mut self, event: &Ev) {
        match event {
            Ev::ShiftClaimed(e) => {
                self.claims.insert(
                    e.claim_id.clone(),
                    ClaimState {
                        shift_id: e.shift_id.clone(),
                        claimant_id: e.claimant_id.clone(),
                        status: ClaimStatus::Pending,
                    },
                );
            }
            Ev::ClaimDecided(e) => {
                if let Some(claim) = self.claims.get_mut(&e.claim_id) {
                    claim.status = if e.approved {
                        ClaimStatus::Approved
                    } else {
                        ClaimStatus::Rejected
                    };
                }
            }
            _ => {}
        }
    }
}
