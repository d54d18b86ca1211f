//! The rule "one shift at a time" inside a roster week (across weeks and stores it is the
//! employees' bookings', `domain::booking`).

use std::collections::{BTreeMap, BTreeSet};

use breakroom_base::{Error, Result};
use breakroom_proto::scheduling::v1 as pb;
use jiff::Timestamp;

use super::{Roster, span};
use crate::domain::time::overlaps;

/// `SHIFT_OVERLAP`: the employee works `other` at that time.
pub(crate) fn overlap(other: &str) -> Error {
    Error::precondition(
        "SHIFT_OVERLAP",
        format!("shifts/{other}"),
        format!("the employee already works shift {other} at that time"),
    )
}

impl Roster {
    /// Refuses `shift` when its employee works another shift of this week at that time
    /// (other weeks and stores: the employee's bookings).
    pub(super) fn check_overlap(&self, shift: &pb::ShiftData) -> Result<()> {
        if shift.employee_id.is_empty() {
            return Ok(());
        }
        let new = span(shift);
        let other = self.shifts.values().find(|s| {
            s.employee_id == shift.employee_id
                && s.shift_id != shift.shift_id
                && overlaps(new, span(s))
        });
        match other {
            Some(other) => Err(overlap(&other.shift_id)),
            None => Ok(()),
        }
    }

    /// `check_overlap` for many shifts at once (an import): the week's shifts grouped by
    /// employee and sorted by start, so a week of hundreds of shifts is checked in
    /// O(n log n) rather than every shift against every other.
    pub(super) fn check_overlap_in_week(
        &self,
        created: &[pb::ShiftData],
        updated: &[pb::ShiftData],
    ) -> Result<()> {
        let changed: BTreeSet<&str> = created
            .iter()
            .chain(updated)
            .map(|s| s.shift_id.as_str())
            .collect();
        let mut by_employee: BTreeMap<&str, Vec<(Timestamp, Timestamp, &str)>> = BTreeMap::new();
        for s in self.shifts.values().filter(|s| !s.employee_id.is_empty()) {
            let (start, end) = span(s);
            by_employee
                .entry(s.employee_id.as_str())
                .or_default()
                .push((start, end, s.shift_id.as_str()));
        }
        for shifts in by_employee.values_mut() {
            shifts.sort();
            // Sorted by start, a shift overlaps an earlier one iff it starts before the
            // latest end so far.
            let mut latest: Option<(Timestamp, &str)> = None;
            for (start, end, id) in shifts.iter() {
                if let Some((until, other)) = latest
                    && *start < until
                    && (changed.contains(id) || changed.contains(other))
                {
                    let blamed = if changed.contains(id) { other } else { *id };
                    return Err(overlap(blamed));
                }
                if latest.is_none_or(|(until, _)| *end > until) {
                    latest = Some((*end, id));
                }
            }
        }
        Ok(())
    }
}
