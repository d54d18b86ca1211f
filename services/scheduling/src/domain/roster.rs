//! A store's roster for one ISO week.
//!
//! Until it is published the week is a draft only planners see. Publishing makes every
//! shift visible and tells each scheduled employee about theirs. From then on every change
//! goes live at once as an amendment that carries, per affected employee, the shift before
//! and after, so a notice can say "Tue 14:00-18:00 -> 15:00-19:00".

use std::collections::{BTreeMap, BTreeSet};

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::scheduling::v1::{self as pb, roster_event::Event as Ev, shift_diff::Kind};
use jiff::Timestamp;

use super::time::instant;

mod claims;
mod guard;
mod import;
mod overlap;
mod swaps;

pub use claims::{ClaimState, ClaimStatus, NewClaim};
pub use guard::{Assignment, AssignmentChanges, UNBOOKED};
pub use import::ImportPlan;
pub(crate) use overlap::overlap;
pub use swaps::{SwapCommand, SwapState, SwapStatus};

/// State of a roster week.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roster {
    /// Whether the week was published (changes are then amendments).
    pub published: bool,
    /// The zone it was published in.
    pub time_zone: String,
    /// Current shifts by id: drafts before publication, live shifts after.
    pub shifts: BTreeMap<String, pb::ShiftData>,
    /// Claims on open shifts by claim id.
    pub claims: BTreeMap<String, ClaimState>,
    /// Swaps by swap id.
    pub swaps: BTreeMap<String, SwapState>,
    /// Change notices sent, `(employee id, notice id)`.
    pub notices: BTreeSet<(String, String)>,
    /// Change notices acknowledged, `(employee id, notice id)`.
    pub acknowledged: BTreeSet<(String, String)>,
    /// The notices of the publication itself ("your week is out"): employees may
    /// acknowledge them, but planners are not shown them as outstanding — only changes
    /// after publication are what a planner must be sure reached people.
    pub publication_notices: BTreeSet<(String, String)>,
    /// When the week was last published (unset while a draft).
    pub publish_time: Option<prost_types::Timestamp>,
}

/// What can be asked of a roster week.
#[derive(Debug, Clone)]
pub enum RosterCommand {
    /// Create or replace a shift; `shift` is validated and its instants resolved.
    Upsert {
        /// The shift after the change (boxed: it dwarfs the other commands).
        shift: Box<pb::ShiftData>,
        /// Notice id for the amendment's change notices.
        change_id: String,
    },
    /// Remove a shift.
    Remove {
        /// Its id.
        shift_id: String,
        /// Notice id for the amendment's change notices.
        change_id: String,
    },
    /// Apply a workforce-management import of the week: shifts keyed by external id.
    Import {
        /// The imported shifts, validated and resolved, ids derived from external ids.
        shifts: Vec<pb::ShiftData>,
        /// Whether shifts of the week the import does not name are removed.
        full_week: bool,
        /// Publish the week in the same commit when it is still a draft.
        publish: bool,
        /// The store's zone (recorded on publication).
        time_zone: String,
        /// Notice id.
        change_id: String,
        /// The handler's "now" (the publication time, when it publishes).
        now: Timestamp,
    },
    /// Turn the employee's shifts starting at or after `from` into open shifts (the
    /// employee was offboarded).
    Unassign {
        /// The employee.
        employee_id: String,
        /// Shifts starting from this instant on.
        from: Timestamp,
        /// Notice id.
        change_id: String,
    },
    /// Claim an open shift.
    Claim(Box<NewClaim>),
    /// Approve or reject a pending claim.
    DecideClaim {
        /// The claim.
        claim_id: String,
        /// Approve (assign the shift) or reject.
        approve: bool,
        /// Notice id of the assignment.
        change_id: String,
    },
    /// Offer, accept or decide a swap.
    Swap(Box<SwapCommand>),
    /// An employee acknowledges a change notice of this week.
    Acknowledge {
        /// The employee.
        employee_id: String,
        /// The notice.
        notice_id: String,
    },
    /// Run `command` only if every assignment it adds is in `booked` (the employees'
    /// bookings made for it); refused with `UNBOOKED` otherwise (the week changed since
    /// the handler looked: it books again).
    Guarded {
        /// The command.
        command: Box<RosterCommand>,
        /// The assignments booked for it.
        booked: std::collections::BTreeSet<Assignment>,
    },
    /// Publish the week.
    Publish {
        /// The store's zone.
        time_zone: String,
        /// Notice id for the publication's notices.
        change_id: String,
        /// The handler's "now": the publication time.
        now: Timestamp,
    },
}

fn event(event: Ev) -> pb::RosterEvent {
    pb::RosterEvent { event: Some(event) }
}

fn span(shift: &pb::ShiftData) -> (Timestamp, Timestamp) {
    (
        instant(shift.start_time.as_ref()),
        instant(shift.end_time.as_ref()),
    )
}

/// The same shift with the revision left out, to tell a real change from a repeat.
fn same_content(a: &pb::ShiftData, b: &pb::ShiftData) -> bool {
    pb::ShiftData {
        revision: 0,
        ..a.clone()
    } == pb::ShiftData {
        revision: 0,
        ..b.clone()
    }
}

/// Per-employee diffs of replacing `before` with `after` (either may be absent).
pub fn diffs(
    before: Option<&pb::ShiftData>,
    after: Option<&pb::ShiftData>,
    change_id: &str,
) -> Vec<pb::EmployeeChanges> {
    let who =
        |s: Option<&pb::ShiftData>| s.map(|s| s.employee_id.clone()).filter(|e| !e.is_empty());
    let mut by_employee: BTreeMap<String, Vec<pb::ShiftDiff>> = BTreeMap::new();
    match (who(before), who(after)) {
        (Some(old), Some(new)) if old == new => {
            by_employee.entry(old).or_default().push(pb::ShiftDiff {
                kind: Kind::Changed as i32,
                before: before.cloned(),
                after: after.cloned(),
            });
        }
        (old, new) => {
            if let Some(old) = old {
                by_employee.entry(old).or_default().push(pb::ShiftDiff {
                    kind: Kind::Removed as i32,
                    before: before.cloned(),
                    after: None,
                });
            }
            if let Some(new) = new {
                by_employee.entry(new).or_default().push(pb::ShiftDiff {
                    kind: Kind::Added as i32,
                    before: None,
                    after: after.cloned(),
                });
            }
        }
    }
    by_employee
        .into_iter()
        .map(|(employee_id, changes)| pb::EmployeeChanges {
            employee_id,
            changes,
            notice_id: change_id.to_owned(),
        })
        .collect()
}

impl Roster {
    fn unassign(
        &self,
        employee_id: &str,
        from: Timestamp,
        change_id: &str,
    ) -> Vec<pb::RosterEvent> {
        let affected: Vec<&pb::ShiftData> = self
            .shifts
            .values()
            .filter(|s| s.employee_id == employee_id && span(s).0 >= from)
            .collect();
        if affected.is_empty() {
            return vec![];
        }
        if !self.published {
            return affected
                .into_iter()
                .map(|s| {
                    event(Ev::ShiftDrafted(pb::ShiftDrafted {
                        shift: Some(pb::ShiftData {
                            employee_id: String::new(),
                            ..s.clone()
                        }),
                    }))
                })
                .collect();
        }
        let mut changes = Vec::new();
        let mut upserted = Vec::new();
        for before in affected {
            let after = pb::ShiftData {
                employee_id: String::new(),
                revision: before.revision + 1,
                ..before.clone()
            };
            for employee in diffs(Some(before), Some(&after), change_id) {
                changes.extend(employee.changes);
            }
            upserted.push(after);
        }
        vec![event(Ev::Amended(pb::ShiftsAmended {
            upserted,
            removed_shift_ids: vec![],
            employees: vec![pb::EmployeeChanges {
                employee_id: employee_id.to_owned(),
                changes,
                notice_id: change_id.to_owned(),
            }],
            reason: "EMPLOYEE_DEACTIVATED".into(),
        }))]
    }

    /// Whether `employee` was told about changes under `notice_id` in this week.
    pub fn has_notice(&self, employee: &str, notice_id: &str) -> bool {
        self.notices
            .contains(&(employee.to_owned(), notice_id.to_owned()))
    }

    fn acknowledge(&self, employee_id: &str, notice_id: &str) -> Result<Vec<pb::RosterEvent>> {
        if !self.has_notice(employee_id, notice_id) {
            return Err(Error::NotFound(format!("shift change {notice_id}")));
        }
        if self
            .acknowledged
            .contains(&(employee_id.to_owned(), notice_id.to_owned()))
        {
            return Ok(vec![]);
        }
        Ok(vec![event(Ev::ChangeAcknowledged(
            pb::ChangeAcknowledged {
                employee_id: employee_id.to_owned(),
                notice_id: notice_id.to_owned(),
            },
        ))])
    }

    fn upsert(&self, shift: &pb::ShiftData, change_id: &str) -> Result<Vec<pb::RosterEvent>> {
        let before = self.shifts.get(&shift.shift_id);
        if before.is_some_and(|b| same_content(b, shift)) {
            return Ok(vec![]);
        }
        self.check_overlap(shift)?;
        if !self.published {
            return Ok(vec![event(Ev::ShiftDrafted(pb::ShiftDrafted {
                shift: Some(pb::ShiftData {
                    revision: 0,
                    ..shift.clone()
                }),
            }))]);
        }
        let after = pb::ShiftData {
            revision: before.map_or(1, |b| b.revision + 1),
            ..shift.clone()
        };
        Ok(vec![event(Ev::Amended(pb::ShiftsAmended {
            employees: diffs(before, Some(&after), change_id),
            upserted: vec![after],
            removed_shift_ids: vec![],
            reason: String::new(),
        }))])
    }

    fn remove(&self, shift_id: &str, change_id: &str) -> Result<Vec<pb::RosterEvent>> {
        let before = self
            .shifts
            .get(shift_id)
            .ok_or_else(|| Error::NotFound(format!("shift {shift_id}")))?;
        if !self.published {
            return Ok(vec![event(Ev::ShiftDraftRemoved(pb::ShiftDraftRemoved {
                shift_id: shift_id.to_owned(),
            }))]);
        }
        Ok(vec![event(Ev::Amended(pb::ShiftsAmended {
            upserted: vec![],
            removed_shift_ids: vec![shift_id.to_owned()],
            employees: diffs(Some(before), None, change_id),
            reason: String::new(),
        }))])
    }

    fn publish(&self, time_zone: &str, change_id: &str, now: Timestamp) -> Vec<pb::RosterEvent> {
        if self.published {
            return vec![];
        }
        let shifts: Vec<pb::ShiftData> = self
            .shifts
            .values()
            .map(|s| pb::ShiftData {
                revision: 1,
                ..s.clone()
            })
            .collect();
        let employees: BTreeSet<&str> = shifts
            .iter()
            .map(|s| s.employee_id.as_str())
            .filter(|e| !e.is_empty())
            .collect();
        let employees = employees
            .into_iter()
            .map(|employee| pb::EmployeeChanges {
                employee_id: employee.to_owned(),
                changes: shifts
                    .iter()
                    .filter(|s| s.employee_id == employee)
                    .map(|s| pb::ShiftDiff {
                        kind: Kind::Added as i32,
                        before: None,
                        after: Some(s.clone()),
                    })
                    .collect(),
                notice_id: change_id.to_owned(),
            })
            .collect();
        vec![event(Ev::Published(pb::RosterPublished {
            shifts,
            employees,
            time_zone: time_zone.to_owned(),
            publish_time: Some(super::time::timestamp(now)),
        }))]
    }
}

impl Aggregate for Roster {
    const TYPE: &'static str = "roster";
    type Command = RosterCommand;
    type Event = pb::RosterEvent;

    fn decide(&self, command: &RosterCommand) -> Result<Vec<pb::RosterEvent>> {
        match command {
            RosterCommand::Upsert { shift, change_id } => self.upsert(shift, change_id),
            RosterCommand::Remove {
                shift_id,
                change_id,
            } => self.remove(shift_id, change_id),
            RosterCommand::Import { .. } => self.import(command),
            RosterCommand::Claim(claim) => self.claim(claim),
            RosterCommand::Swap(swap) => self.swap(swap),
            RosterCommand::Acknowledge {
                employee_id,
                notice_id,
            } => self.acknowledge(employee_id, notice_id),
            RosterCommand::DecideClaim {
                claim_id,
                approve,
                change_id,
            } => self.decide_claim(claim_id, *approve, change_id),
            RosterCommand::Unassign {
                employee_id,
                from,
                change_id,
            } => Ok(self.unassign(employee_id, *from, change_id)),
            RosterCommand::Publish {
                time_zone,
                change_id,
                now,
            } => Ok(self.publish(time_zone, change_id, *now)),
            RosterCommand::Guarded { command, booked } => self.guarded(command, booked),
        }
    }

    fn apply(mut self, event: &pb::RosterEvent) -> Self {
        match &event.event {
            Some(Ev::ShiftDrafted(e)) => {
                if let Some(shift) = &e.shift {
                    self.shifts.insert(shift.shift_id.clone(), shift.clone());
                }
            }
            Some(Ev::ShiftDraftRemoved(e)) => {
                self.shifts.remove(&e.shift_id);
            }
            Some(Ev::Published(e)) => {
                for employee in &e.employees {
                    let notice = (employee.employee_id.clone(), employee.notice_id.clone());
                    self.notices.insert(notice.clone());
                    self.publication_notices.insert(notice);
                }
                self.published = true;
                self.publish_time = e.publish_time;
                self.time_zone = e.time_zone.clone();
                self.shifts = e
                    .shifts
                    .iter()
                    .map(|s| (s.shift_id.clone(), s.clone()))
                    .collect();
            }
            Some(Ev::Amended(e)) => {
                for employee in &e.employees {
                    self.notices
                        .insert((employee.employee_id.clone(), employee.notice_id.clone()));
                }
                for shift in &e.upserted {
                    self.shifts.insert(shift.shift_id.clone(), shift.clone());
                }
                for id in &e.removed_shift_ids {
                    self.shifts.remove(id);
                }
            }
            Some(other @ (Ev::ShiftClaimed(_) | Ev::ClaimDecided(_))) => self.apply_claim(other),
            Some(other @ (Ev::ShiftOffered(_) | Ev::SwapAccepted(_) | Ev::SwapDecided(_))) => {
                self.apply_swap(other)
            }
            Some(Ev::ChangeAcknowledged(e)) => {
                self.acknowledged
                    .insert((e.employee_id.clone(), e.notice_id.clone()));
            }
            None => {}
        }
        self
    }
}

/// The roster aggregate id of a store's week: `<store id>_<year>W<week>`.
pub fn roster_id(store_id: &str, week: super::time::Week) -> String {
    format!("{store_id}_{}", week.compact())
}

/// Splits a roster id into `(store id, compact week)`.
pub fn split_roster_id(id: &str) -> Option<(&str, &str)> {
    id.rsplit_once('_')
}

#[cfg(test)]
mod tests;
