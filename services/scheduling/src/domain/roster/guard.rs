//! What bookings guard: who works which shift when. A roster command that would give an
//! employee a shift (or move it) runs only if that assignment was booked first on the
//! employee's booking aggregate (`domain::booking`), so the rule "one person, one place at a
//! time" is decided there, across stores and weeks, and the roster cannot slip past it.

use std::collections::{BTreeMap, BTreeSet};

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::scheduling::v1::{self as pb, roster_event::Event as Ev};
use jiff::Timestamp;

use super::{Roster, RosterCommand, span};

/// `ErrorInfo.reason` of a guarded command that would add an assignment nobody booked;
/// the handler books again and retries (clients never see it).
pub const UNBOOKED: &str = "UNBOOKED_ASSIGNMENT";

/// An employee works a shift from `start` to `end`: `(employee id, shift id, start, end)`.
pub type Assignment = (String, String, Timestamp, Timestamp);

/// What a command changes in a week's assignments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignmentChanges {
    /// Assignments the week did not have.
    pub added: BTreeSet<Assignment>,
    /// Assignments the week no longer has.
    pub removed: BTreeSet<Assignment>,
}

impl Roster {
    /// Every assignment of the week (drafts too: a draft is planned work).
    pub fn assignments(&self) -> BTreeSet<Assignment> {
        self.shifts
            .values()
            .filter(|s| !s.employee_id.is_empty())
            .map(|s| {
                let (start, end) = span(s);
                (s.employee_id.clone(), s.shift_id.clone(), start, end)
            })
            .collect()
    }

    /// The assignments `events` add and remove, read off the shifts the events write
    /// (no copy of the week: an import's prediction and guard run on hundreds of shifts).
    pub fn assignment_changes(&self, events: &[pb::RosterEvent]) -> AssignmentChanges {
        // Per shift the events touch: who works it when afterwards (`None`: nobody / gone).
        let mut after: BTreeMap<&str, Option<&pb::ShiftData>> = BTreeMap::new();
        for event in events {
            match &event.event {
                Some(Ev::ShiftDrafted(e)) => {
                    if let Some(shift) = &e.shift {
                        after.insert(&shift.shift_id, Some(shift));
                    }
                }
                Some(Ev::ShiftDraftRemoved(e)) => {
                    after.insert(&e.shift_id, None);
                }
                Some(Ev::Published(e)) => {
                    // Publication replaces the week's shifts with the published list.
                    for id in self.shifts.keys() {
                        after.entry(id).or_insert(None);
                    }
                    for shift in &e.shifts {
                        after.insert(&shift.shift_id, Some(shift));
                    }
                }
                Some(Ev::Amended(e)) => {
                    for shift in &e.upserted {
                        after.insert(&shift.shift_id, Some(shift));
                    }
                    for id in &e.removed_shift_ids {
                        after.insert(id, None);
                    }
                }
                _ => {}
            }
        }
        let assignment = |shift: &pb::ShiftData| -> Option<Assignment> {
            if shift.employee_id.is_empty() {
                return None;
            }
            let (start, end) = span(shift);
            Some((
                shift.employee_id.clone(),
                shift.shift_id.clone(),
                start,
                end,
            ))
        };
        let mut changes = AssignmentChanges::default();
        for (id, now) in after {
            let before = self.shifts.get(id).and_then(assignment);
            let now = now.and_then(assignment);
            if before != now {
                changes.removed.extend(before);
                changes.added.extend(now);
            }
        }
        changes
    }

    pub(super) fn guarded(
        &self,
        command: &RosterCommand,
        booked: &BTreeSet<Assignment>,
    ) -> Result<Vec<pb::RosterEvent>> {
        let events = self.decide(command)?;
        let changes = self.assignment_changes(&events);
        if let Some((employee, shift, _, _)) = changes.added.difference(booked).next() {
            return Err(Error::precondition(
                UNBOOKED,
                format!("shifts/{shift}"),
                format!("the assignment of {employee} was not booked"),
            ));
        }
        Ok(events)
    }
}
