//! A workforce-management import of a week: shifts keyed by external id, compared with
//! the week; a draft week gets drafts (and is published when asked), a published week one
//! amendment with every employee's diffs.

use std::collections::{BTreeMap, BTreeSet};

use breakroom_base::Result;
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::scheduling::v1::{self as pb, roster_event::Event as Ev};

use super::{Roster, RosterCommand, diffs, event, same_content};

/// What an import changes in a week.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPlan {
    /// New shifts.
    pub created: Vec<pb::ShiftData>,
    /// Changed shifts.
    pub updated: Vec<pb::ShiftData>,
    /// Ids of shifts removed (full-week imports only).
    pub removed: Vec<String>,
    /// Shifts already as imported.
    pub unchanged: usize,
}

impl Roster {
    /// Compares an import with the week: what would be created, changed, removed.
    pub fn plan_import(&self, shifts: &[pb::ShiftData], full_week: bool) -> ImportPlan {
        let mut plan = ImportPlan::default();
        let named: BTreeSet<&str> = shifts.iter().map(|s| s.shift_id.as_str()).collect();
        for shift in shifts {
            match self.shifts.get(&shift.shift_id) {
                None => plan.created.push(shift.clone()),
                Some(current) if same_content(current, shift) => plan.unchanged += 1,
                Some(_) => plan.updated.push(shift.clone()),
            }
        }
        if full_week {
            plan.removed = self
                .shifts
                .keys()
                .filter(|id| !named.contains(id.as_str()))
                .cloned()
                .collect();
        }
        plan
    }

    pub(super) fn import(&self, command: &RosterCommand) -> Result<Vec<pb::RosterEvent>> {
        let RosterCommand::Import {
            shifts,
            full_week,
            publish,
            time_zone,
            change_id,
            now,
        } = command
        else {
            return Ok(vec![]);
        };
        let plan = self.plan_import(shifts, *full_week);
        // Overlaps are checked on the week as it will be.
        let mut after = self.clone();
        for id in &plan.removed {
            after.shifts.remove(id);
        }
        for shift in plan.created.iter().chain(&plan.updated) {
            after.shifts.insert(shift.shift_id.clone(), shift.clone());
        }
        // Overlaps with other weeks and stores are the bookings' to find.
        after.check_overlap_in_week(&plan.created, &plan.updated)?;
        let mut events = Vec::new();
        if !self.published {
            for shift in plan.created.iter().chain(&plan.updated) {
                events.push(event(Ev::ShiftDrafted(pb::ShiftDrafted {
                    shift: Some(pb::ShiftData {
                        revision: 0,
                        ..shift.clone()
                    }),
                })));
            }
            for id in &plan.removed {
                events.push(event(Ev::ShiftDraftRemoved(pb::ShiftDraftRemoved {
                    shift_id: id.clone(),
                })));
            }
            if *publish {
                let drafted = self.clone().replay(&events);
                events.extend(drafted.publish(time_zone, change_id, *now));
            }
            return Ok(events);
        }
        let mut upserted = Vec::new();
        let mut changes: BTreeMap<String, Vec<pb::ShiftDiff>> = BTreeMap::new();
        for shift in plan.created.iter().chain(&plan.updated) {
            let before = self.shifts.get(&shift.shift_id);
            let after = pb::ShiftData {
                revision: before.map_or(1, |b| b.revision + 1),
                ..shift.clone()
            };
            for employee in diffs(before, Some(&after), change_id) {
                changes
                    .entry(employee.employee_id)
                    .or_default()
                    .extend(employee.changes);
            }
            upserted.push(after);
        }
        for id in &plan.removed {
            for employee in diffs(self.shifts.get(id), None, change_id) {
                changes
                    .entry(employee.employee_id)
                    .or_default()
                    .extend(employee.changes);
            }
        }
        if upserted.is_empty() && plan.removed.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![event(Ev::Amended(pb::ShiftsAmended {
            upserted,
            removed_shift_ids: plan.removed,
            employees: changes
                .into_iter()
                .map(|(employee_id, changes)| pb::EmployeeChanges {
                    employee_id,
                    changes,
                    notice_id: change_id.to_owned(),
                })
                .collect(),
            reason: String::new(),
        }))])
    }
}
