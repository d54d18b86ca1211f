//! One shift at a time inside a week, decided on instants: back to back is fine, an open
//! shift clashes with nobody, an import is checked as the week will be, and across the
//! autumn clock change the instants, not the wall clock, decide (a night shift over it
//! lasts an hour longer).

use super::*;

/// A shift planned in Amsterdam, each time optionally with the offset picking one
/// occurrence of a time the autumn change repeats (`2026-10-25T02:30+01:00`).
fn planned_at(id: &str, employee: &str, start: &str, end: &str) -> pb::ShiftData {
    let zone = Zone::parse("tz", "Europe/Amsterdam").unwrap();
    let resolve = |planned: &str| {
        let (local, offset) = parse_planned("t", planned).unwrap();
        zone.resolve("t", local, offset).unwrap()
    };
    let ((start, start_local), (end, end_local)) = (resolve(start), resolve(end));
    pb::ShiftData {
        shift_id: id.into(),
        employee_id: employee.into(),
        start_local,
        end_local,
        start_time: Some(timestamp(start)),
        end_time: Some(timestamp(end)),
        ..Default::default()
    }
}

fn import(shifts: Vec<pb::ShiftData>) -> RosterCommand {
    RosterCommand::Import {
        shifts,
        full_week: false,
        publish: false,
        time_zone: "Europe/Amsterdam".into(),
        change_id: "i1".into(),
        now: jiff::Timestamp::UNIX_EPOCH,
    }
}

#[test]
fn the_overlap_names_the_shift_already_worked_and_moving_a_shift_within_itself_is_fine() {
    let clash = shift("s4", "anna", "2026-12-01T13:00", "2026-12-01T15:00");
    let err = given::<Roster>(published())
        .when(upsert(clash))
        .then_error();
    assert_eq!(err.reason(), "SHIFT_OVERLAP");
    let Error::FailedPrecondition { subject, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(subject, "shifts/s1");
    // s1 moved by an hour overlaps its old self only.
    let later = shift("s1", "anna", "2026-12-01T15:00", "2026-12-01T19:00");
    given::<Roster>(published())
        .when(upsert(later))
        .then_events();
    // Open shifts at the same time clash with nobody; another employee neither.
    for (id, who) in [("s5", ""), ("s6", "cem")] {
        let same_time = shift(id, who, "2026-12-01T14:00", "2026-12-01T18:00");
        given::<Roster>(published())
            .when(upsert(same_time))
            .then_events();
    }
}

#[test]
fn an_import_is_checked_as_the_week_will_be() {
    // Two imported shifts of one employee that clash with each other.
    let a = shift("x1", "cem", "2026-12-03T08:00", "2026-12-03T12:00");
    let b = shift("x2", "cem", "2026-12-03T11:00", "2026-12-03T15:00");
    let err = given::<Roster>(planned())
        .when(import(vec![a.clone(), b]))
        .then_error();
    assert_eq!(err.reason(), "SHIFT_OVERLAP");
    // A clash with a shift of the week the import keeps.
    let over_s1 = shift("x3", "anna", "2026-12-01T17:00", "2026-12-01T19:00");
    let err = given::<Roster>(planned())
        .when(import(vec![over_s1]))
        .then_error();
    assert_eq!(err.reason(), "SHIFT_OVERLAP");
    // The same import moving s1 out of the way in the same week is fine.
    let s1_earlier = shift("s1", "anna", "2026-12-01T12:00", "2026-12-01T16:00");
    let after = shift("x3", "anna", "2026-12-01T17:00", "2026-12-01T19:00");
    given::<Roster>(planned())
        .when(import(vec![s1_earlier, after, a]))
        .then_events();
}

#[test]
fn a_night_shift_over_the_autumn_change_is_recorded_nine_hours_long() {
    let night = planned_at("n1", "anna", "2026-10-24T23:00", "2026-10-25T07:00");
    let week = given::<Roster>([]).when(upsert(night)).then_events();
    let week = Roster::default().replay(&week);
    let (start, end) = span(&week.shifts["n1"]);
    assert_eq!(end.duration_since(start).as_secs(), 9 * 3600);
    // And in spring the same wall-clock night is seven hours.
    let spring = planned_at("n2", "anna", "2027-03-27T23:00", "2027-03-28T07:00");
    let (start, end) = span(&spring);
    assert_eq!(end.duration_since(start).as_secs(), 7 * 3600);
}

#[test]
fn across_the_autumn_change_instants_not_the_wall_clock_decide_an_overlap() {
    // Ends at the second 02:30 (01:30 UTC).
    let late = planned_at("a", "anna", "2026-10-24T22:00", "2026-10-25T02:30+01:00");
    let history = week_after(vec![], upsert(late));
    // Starts at the first 02:40 (00:40 UTC): on the wall clock after 02:30, in time before.
    let first = planned_at("b", "anna", "2026-10-25T02:40", "2026-10-25T06:00");
    let err = given::<Roster>(history.clone())
        .when(upsert(first))
        .then_error();
    assert_eq!(err.reason(), "SHIFT_OVERLAP");
    // The second 02:40 (01:40 UTC) is after the other shift ends.
    let second = planned_at("b", "anna", "2026-10-25T02:40+01:00", "2026-10-25T06:00");
    let week = given::<Roster>(history).when(upsert(second)).then_events();
    let week = Roster::default().replay(&week);
    assert_eq!(
        week.shifts["b"].start_local, "2026-10-25T02:40+01:00",
        "the chosen occurrence is recorded"
    );
}
