//! What bookings guard: who works which shift when. A roster command that would give an
//! employee a shift (or move it) runs only if that assignment was booked first on the
//! employee's booking aggregate (`domain::booking`), so the rule "one person, one place at a
//! time" is decided there, across stores and weeks, and the roster cannot slip past it.

use std::collections::BTreeSet;

use breakroom_kit::{Error, Result, aggregate::Aggregate};
use breakroom_proto::scheduling::v1 as pb;
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

    /// The assignments `events` add and remove.
    pub fn assignment_changes(&self, events: &[pb::RosterEvent]) -> AssignmentChanges {
        if events.is_empty() {
            return AssignmentChanges::default();
        }
        let before = self.assignments();
        let after = self.clone().replay(events).assignments();
        AssignmentChanges {
            added: after.difference(&before).cloned().collect(),
            removed: before.difference(&after).cloned().collect(),
        }
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
