//! Proto <-> domain for scheduling.
//!
//! - `claims_swaps`: claims and swaps as resources, and the state names their lists filter on.

mod claims_swaps;

pub use claims_swaps::{CLAIM_STATES, SWAP_STATES, claim, claim_row, swap, swap_row};

use breakroom_base::{Error, Result, error::Violations};
use breakroom_proto::scheduling::v1 as pb;

use chrono::{DateTime, Utc};

use crate::{
    app::{Recorded, import::ImportedWeek, planning::ShiftInput},
    domain::{
        roster::{Roster, split_roster_id},
        time::{Week, parse_planned},
        time_off::{TimeOff, TimeOffStatus},
    },
    names,
    queries::{notices::Notice, shifts::ShiftRow, time_off::TimeOffRow},
};

/// Longest position label.
const MAX_POSITION: usize = 60;
/// Longest note.
const MAX_NOTE: usize = 500;

/// Parses a shift message of `tenant` under `field`.
pub fn shift_input(
    tenant: &str,
    field: &str,
    shift: &pb::Shift,
    shift_id: Option<String>,
) -> Result<ShiftInput> {
    let mut v = Violations::new();
    let start = v.check(parse_planned(
        &format!("{field}.start_local"),
        &shift.start_local,
    ));
    let end = v.check(parse_planned(
        &format!("{field}.end_local"),
        &shift.end_local,
    ));
    let employee_id = if shift.employee.is_empty() {
        None
    } else {
        match v.check(names::user(&format!("{field}.employee"), &shift.employee)) {
            Some((employee_tenant, _)) if employee_tenant != tenant => {
                v.add(format!("{field}.employee"), "must be a user of this tenant");
                None
            }
            other => other.map(|(_, id)| id),
        }
    };
    if shift.position.chars().count() > MAX_POSITION {
        v.add(format!("{field}.position"), "must be at most 60 characters");
    }
    if shift.note.chars().count() > MAX_NOTE {
        v.add(format!("{field}.note"), "must be at most 500 characters");
    }
    if shift.external_id.len() > 128 || shift.external_id.chars().any(char::is_control) {
        v.add(
            format!("{field}.external_id"),
            "must be at most 128 printable characters",
        );
    }
    v.finish()?;
    let (Some((start, start_offset)), Some((end, end_offset))) = (start, end) else {
        return Err(Error::invalid(field, "has no valid times"));
    };
    Ok(ShiftInput {
        shift_id,
        employee_id,
        start,
        start_offset,
        end,
        end_offset,
        department_id: shift.department_id.clone(),
        position: shift.position.trim().to_owned(),
        unpaid_break_minutes: shift.unpaid_break_minutes,
        note: shift.note.trim().to_owned(),
        external_id: shift.external_id.trim().to_owned(),
    })
}

/// A recorded shift as a resource.
pub fn shift(
    tenant: &str,
    store: &str,
    week: &Week,
    data: &pb::ShiftData,
    published: bool,
) -> pb::Shift {
    let start = data.start_time.unwrap_or_default();
    let end = data.end_time.unwrap_or_default();
    let paid = end.seconds - start.seconds - i64::from(data.unpaid_break_minutes) * 60;
    pb::Shift {
        name: names::shift_name(tenant, store, &data.shift_id),
        employee: if data.employee_id.is_empty() {
            String::new()
        } else {
            names::user_name(tenant, &data.employee_id)
        },
        start_local: data.start_local.clone(),
        end_local: data.end_local.clone(),
        department_id: data.department_id.clone(),
        position: data.position.clone(),
        unpaid_break_minutes: data.unpaid_break_minutes,
        note: data.note.clone(),
        external_id: data.external_id.clone(),
        start_time: data.start_time,
        end_time: data.end_time,
        paid_duration: Some(prost_types::Duration {
            seconds: paid,
            nanos: 0,
        }),
        roster: names::roster_name(tenant, store, week),
        state: if published {
            pb::shift::State::Published
        } else {
            pb::shift::State::Draft
        } as i32,
        revision: data.revision,
        colleagues: Vec::new(),
    }
}

/// A roster week as a resource; `drafts` shows unpublished shifts (planners only).
pub fn roster(
    tenant: &str,
    store: &str,
    week: &Week,
    zone: &str,
    roster: &Roster,
    drafts: bool,
) -> pb::Roster {
    let visible = roster.published || drafts;
    let mut shifts: Vec<pb::Shift> = if visible {
        roster
            .shifts
            .values()
            .map(|s| shift(tenant, store, week, s, roster.published))
            .collect()
    } else {
        vec![]
    };
    shifts.sort_by(|a, b| {
        (a.start_local.as_str(), a.name.as_str()).cmp(&(b.start_local.as_str(), b.name.as_str()))
    });
    pb::Roster {
        name: names::roster_name(tenant, store, week),
        week: week.to_string(),
        time_zone: zone.to_owned(),
        state: if roster.published {
            pb::roster::State::Published
        } else {
            pb::roster::State::Draft
        } as i32,
        publish_time: roster.publish_time,
        shifts,
        has_unpublished_changes: !roster.published && !roster.shifts.is_empty(),
        unacknowledged_changes: if drafts {
            roster
                .notices
                .difference(&roster.acknowledged)
                .filter(|notice| !roster.publication_notices.contains(notice))
                .map(|(employee, notice)| {
                    format!(
                        "{}/shiftChanges/{notice}",
                        names::user_name(tenant, employee)
                    )
                })
                .collect()
        } else {
            vec![]
        },
    }
}

/// A change notice as its employee reads it: every shift with all its fields.
pub fn notice(tenant: &str, employee: &str, notice: &Notice) -> pb::ShiftChangeNotice {
    let (store, week) = split_roster_id(&notice.roster_id).unwrap_or_default();
    let week = Week::parse_compact(week).unwrap_or_default();
    let shift = |data: &pb::ShiftData| shift(tenant, store, &week, data, true);
    pb::ShiftChangeNotice {
        name: format!(
            "{}/shiftChanges/{}",
            names::user_name(tenant, employee),
            notice.notice_id
        ),
        roster: names::roster_name(tenant, store, &week),
        changes: notice
            .changes
            .changes
            .iter()
            .map(|c| pb::ShiftChange {
                kind: c.kind,
                before: c.before.as_ref().map(shift),
                after: c.after.as_ref().map(shift),
            })
            .collect(),
        create_time: Some(std::time::SystemTime::from(notice.create_time).into()),
        acknowledge_time: notice
            .acknowledge_time
            .map(|at| std::time::SystemTime::from(at).into()),
    }
}

/// A database instant as a protobuf timestamp.
pub(super) fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// A shift of the read model as a resource.
pub fn shift_row(tenant: &str, row: ShiftRow) -> pb::Shift {
    let (year, number) = row.week.split_once('W').unwrap_or_default();
    let paid =
        (row.end_time - row.start_time).num_seconds() - i64::from(row.unpaid_break_minutes) * 60;
    pb::Shift {
        name: names::shift_name(tenant, &row.store_id, &row.id),
        employee: if row.employee_id.is_empty() {
            String::new()
        } else {
            names::user_name(tenant, &row.employee_id)
        },
        start_local: row.start_local,
        end_local: row.end_local,
        department_id: row.department_id,
        position: row.position,
        unpaid_break_minutes: row.unpaid_break_minutes,
        note: row.note,
        external_id: row.external_id,
        start_time: Some(timestamp(row.start_time)),
        end_time: Some(timestamp(row.end_time)),
        paid_duration: Some(prost_types::Duration {
            seconds: paid,
            nanos: 0,
        }),
        roster: format!(
            "{}/rosters/{year}-W{number}",
            names::store_name(tenant, &row.store_id)
        ),
        state: if row.published {
            pb::shift::State::Published
        } else {
            pb::shift::State::Draft
        } as i32,
        revision: row.revision,
        colleagues: Vec::new(),
    }
}

/// A time-off request as a resource, from its aggregate.
pub fn time_off(tenant: &str, request: &Recorded<TimeOff>) -> pb::TimeOffRequest {
    let Recorded { id, state, .. } = request;
    let r = &state.request;
    pb::TimeOffRequest {
        name: format!(
            "{}/timeOffRequests/{id}",
            names::user_name(tenant, &r.employee_id)
        ),
        store: names::store_name(tenant, &r.store_id),
        start_date: r.start_date.clone(),
        end_date: r.end_date.clone(),
        reason: r.reason.clone(),
        state: match state.status {
            TimeOffStatus::Pending | TimeOffStatus::None => pb::time_off_request::State::Pending,
            TimeOffStatus::Approved => pb::time_off_request::State::Approved,
            TimeOffStatus::Rejected => pb::time_off_request::State::Rejected,
        } as i32,
        conflicting_shifts: state
            .conflicting_shift_ids
            .iter()
            .map(|s| names::shift_name(tenant, &r.store_id, s))
            .collect(),
    }
}

/// A time-off request of the read model as a resource.
pub fn time_off_row(tenant: &str, r: TimeOffRow) -> pb::TimeOffRequest {
    pb::TimeOffRequest {
        name: format!(
            "{}/timeOffRequests/{}",
            names::user_name(tenant, &r.employee_id),
            r.id
        ),
        store: names::store_name(tenant, &r.store_id),
        conflicting_shifts: r
            .conflicting
            .iter()
            .map(|s| names::shift_name(tenant, &r.store_id, s))
            .collect(),
        start_date: r.start_date,
        end_date: r.end_date,
        reason: r.reason,
        state: match r.state.as_str() {
            "approved" => pb::time_off_request::State::Approved,
            "rejected" => pb::time_off_request::State::Rejected,
            _ => pb::time_off_request::State::Pending,
        } as i32,
    }
}

/// What importing a store-week did, as its result message.
pub fn imported(tenant: &str, week: &ImportedWeek) -> pb::RosterImportResult {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    pb::RosterImportResult {
        roster: names::roster_name(tenant, &week.store_id, &week.week),
        created: count(week.created),
        updated: count(week.updated),
        removed: count(week.removed),
        unchanged: count(week.unchanged),
    }
}

/// A time range of a list request, at most 92 days.
pub fn range(
    start: Option<&prost_types::Timestamp>,
    end: Option<&prost_types::Timestamp>,
) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let at = |field: &str, t: Option<&prost_types::Timestamp>| {
        t.and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
            .ok_or_else(|| Error::invalid(field, "is required"))
    };
    let (start, end) = (at("start_time", start)?, at("end_time", end)?);
    if end <= start {
        return Err(Error::invalid("end_time", "must be after start_time"));
    }
    if end - start > chrono::Duration::days(92) {
        return Err(Error::invalid(
            "end_time",
            "the range spans at most 92 days",
        ));
    }
    Ok((start, end))
}
