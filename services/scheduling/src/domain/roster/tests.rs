//! Given/when/then tests of a roster week: drafts, publication, amendment diffs, overlap,
//! with the shared history below; by rule in `tests/`:
//!
//! - `publishing`: drafts, publication, amendments, imports, offboarding, acknowledgements.
//! - `overlap`: one shift at a time in a week, and on instants across the clock changes.
//! - `claims`: open shifts and claims.
//! - `swaps`: offers, acceptance, a manager's decision.
#![allow(clippy::unwrap_used)]

mod claims;
mod overlap;
mod publishing;
mod swaps;

use breakroom_events::aggregate::given;

use super::*;
use crate::domain::time::{Zone, parse_local, parse_planned, timestamp};

fn shift(id: &str, employee: &str, start: &str, end: &str) -> pb::ShiftData {
    let zone = Zone::parse("tz", "Europe/Amsterdam").unwrap();
    let at = |local: &str| timestamp(zone.instant(parse_local("t", local).unwrap()).unwrap());
    pb::ShiftData {
        shift_id: id.into(),
        employee_id: employee.into(),
        start_local: start.into(),
        end_local: end.into(),
        start_time: Some(at(start)),
        end_time: Some(at(end)),
        position: "Cashier".into(),
        ..Default::default()
    }
}

fn upsert(s: pb::ShiftData) -> RosterCommand {
    RosterCommand::Upsert {
        shift: Box::new(s),
        change_id: "c1".into(),
    }
}

fn publish() -> RosterCommand {
    RosterCommand::Publish {
        time_zone: "Europe/Amsterdam".into(),
        change_id: "p1".into(),
        now: jiff::Timestamp::UNIX_EPOCH,
    }
}

fn planned() -> Vec<pb::RosterEvent> {
    let mut history = Vec::new();
    for s in [
        shift("s1", "anna", "2026-12-01T14:00", "2026-12-01T18:00"),
        shift("s2", "ben", "2026-12-01T08:00", "2026-12-01T12:00"),
        shift("s3", "", "2026-12-02T08:00", "2026-12-02T12:00"),
    ] {
        history.extend(
            given::<Roster>(history.clone())
                .when(upsert(s))
                .then_events(),
        );
    }
    history
}

/// `history` followed by what `command` decides on it.
fn week_after(mut history: Vec<pb::RosterEvent>, command: RosterCommand) -> Vec<pb::RosterEvent> {
    history.extend(given::<Roster>(history.clone()).when(command).then_events());
    history
}

fn published() -> Vec<pb::RosterEvent> {
    let mut history = planned();
    history.extend(
        given::<Roster>(history.clone())
            .when(publish())
            .then_events(),
    );
    history
}

#[test]
fn publishing_tells_each_scheduled_employee_their_own_shifts() {
    let events = given::<Roster>(planned()).when(publish()).then_events();
    let Some(Ev::Published(p)) = &events[0].event else {
        panic!("{events:?}")
    };
    assert_eq!(p.shifts.len(), 3);
    assert!(p.shifts.iter().all(|s| s.revision == 1));
    let who: Vec<(&str, usize)> = p
        .employees
        .iter()
        .map(|e| (e.employee_id.as_str(), e.changes.len()))
        .collect();
    assert_eq!(
        who,
        [("anna", 1), ("ben", 1)],
        "the open shift notifies nobody"
    );
    given::<Roster>(published()).when(publish()).then([]);
}

#[test]
fn moving_a_published_shift_is_an_amendment_with_before_and_after() {
    let moved = shift("s1", "anna", "2026-12-01T15:00", "2026-12-01T19:00");
    let events = given::<Roster>(published())
        .when(upsert(moved))
        .then_events();
    let Some(Ev::Amended(a)) = &events[0].event else {
        panic!("{events:?}")
    };
    assert_eq!(a.upserted[0].revision, 2);
    let [anna] = a.employees.as_slice() else {
        panic!("{a:?}")
    };
    assert_eq!(anna.employee_id, "anna");
    let diff = &anna.changes[0];
    assert_eq!(diff.kind, Kind::Changed as i32);
    assert_eq!(
        diff.before.as_ref().unwrap().start_local,
        "2026-12-01T14:00"
    );
    assert_eq!(diff.after.as_ref().unwrap().start_local, "2026-12-01T15:00");
}

#[test]
fn reassigning_tells_the_old_employee_it_is_gone_and_the_new_one_it_is_theirs() {
    let reassigned = shift("s1", "cem", "2026-12-01T14:00", "2026-12-01T18:00");
    let events = given::<Roster>(published())
        .when(upsert(reassigned))
        .then_events();
    let Some(Ev::Amended(a)) = &events[0].event else {
        panic!("{events:?}")
    };
    let kinds: Vec<(&str, i32)> = a
        .employees
        .iter()
        .map(|e| (e.employee_id.as_str(), e.changes[0].kind))
        .collect();
    assert_eq!(
        kinds,
        [("anna", Kind::Removed as i32), ("cem", Kind::Added as i32)]
    );
}

#[test]
fn removing_a_published_shift_tells_its_employee() {
    let events = given::<Roster>(published())
        .when(RosterCommand::Remove {
            shift_id: "s2".into(),
            change_id: "c9".into(),
        })
        .then_events();
    let Some(Ev::Amended(a)) = &events[0].event else {
        panic!("{events:?}")
    };
    assert_eq!(a.removed_shift_ids, ["s2"]);
    assert_eq!(a.employees[0].employee_id, "ben");
    assert_eq!(a.employees[0].notice_id, "c9");
}

#[test]
fn an_employee_cannot_work_two_shifts_at_once_in_one_week() {
    let clash = shift("s4", "anna", "2026-12-01T17:00", "2026-12-01T21:00");
    let err = given::<Roster>(planned()).when(upsert(clash)).then_error();
    assert_eq!(err.reason(), "SHIFT_OVERLAP");
    // Back to back is fine.
    let after_anna = shift("s6", "anna", "2026-12-01T18:00", "2026-12-01T22:00");
    given::<Roster>(planned())
        .when(upsert(after_anna))
        .then_events();
}

#[test]
fn repeating_a_shift_unchanged_records_nothing() {
    let same = shift("s1", "anna", "2026-12-01T14:00", "2026-12-01T18:00");
    given::<Roster>(published())
        .when(upsert(same.clone()))
        .then([]);
    given::<Roster>(planned()).when(upsert(same)).then([]);
}

#[test]
fn a_guarded_command_adds_only_assignments_that_were_booked() {
    let new = shift("s9", "anna", "2026-12-03T09:00", "2026-12-03T12:00");
    let guarded = |booked: std::collections::BTreeSet<Assignment>| RosterCommand::Guarded {
        command: Box::new(upsert(new.clone())),
        booked,
    };
    let err = given::<Roster>(planned())
        .when(guarded(Default::default()))
        .then_error();
    assert_eq!(err.reason(), UNBOOKED);
    let (start, end) = span(&new);
    let booked = [("anna".to_owned(), "s9".to_owned(), start, end)];
    given::<Roster>(planned())
        .when(guarded(booked.into_iter().collect()))
        .then_events();
}

#[test]
fn assignment_changes_name_what_moves_and_publication_moves_nothing() {
    let week = given::<Roster>(planned()).when(publish()).then_events();
    let drafted = Roster::default().replay(&planned());
    assert_eq!(
        drafted.assignment_changes(&week),
        AssignmentChanges::default()
    );
    let moved = shift("s1", "ben", "2026-12-01T14:00", "2026-12-01T18:00");
    let events = given::<Roster>(planned()).when(upsert(moved)).then_events();
    let changes = drafted.assignment_changes(&events);
    assert_eq!(changes.added.len(), 1);
    assert_eq!(changes.removed.len(), 1);
    assert_eq!(changes.added.first().unwrap().0, "ben");
    assert_eq!(changes.removed.first().unwrap().0, "anna");
}
