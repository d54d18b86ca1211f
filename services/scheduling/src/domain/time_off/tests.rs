//! Given/when/then tests of a time-off request: requested once, decided once, and only an
//! approval keeps the shifts it collides with.
#![allow(clippy::unwrap_used)]

use breakroom_events::aggregate::given;

use super::*;

fn requested() -> pb::TimeOffRequested {
    pb::TimeOffRequested {
        employee_id: "anna".into(),
        store_id: "utrecht".into(),
        start_date: "2026-12-21".into(),
        end_date: "2026-12-24".into(),
        reason: "family".into(),
    }
}

fn event(event: Ev) -> pb::TimeOffEvent {
    pb::TimeOffEvent { event: Some(event) }
}

fn decide(approve: bool) -> TimeOffCommand {
    TimeOffCommand::Decide {
        approve,
        conflicting_shift_ids: vec!["s1".into(), "s2".into()],
    }
}

#[test]
fn a_request_is_made_once_and_waits_for_a_manager() {
    let state = given::<TimeOff>([])
        .when(TimeOffCommand::Request(requested()))
        .then([event(Ev::Requested(requested()))]);
    assert_eq!(state.status, TimeOffStatus::Pending);
    assert_eq!(state.request, requested());
    let err = given::<TimeOff>([event(Ev::Requested(requested()))])
        .when(TimeOffCommand::Request(requested()))
        .then_error();
    assert_eq!(err.reason(), "TIME_OFF_EXISTS");
}

#[test]
fn approving_keeps_the_colliding_shifts_and_rejecting_drops_them() {
    let history = [event(Ev::Requested(requested()))];
    let approved = given::<TimeOff>(history.clone())
        .when(decide(true))
        .then([event(Ev::Decided(pb::TimeOffDecided {
            approved: true,
            conflicting_shift_ids: vec!["s1".into(), "s2".into()],
        }))]);
    assert_eq!(approved.status, TimeOffStatus::Approved);
    assert_eq!(approved.conflicting_shift_ids, ["s1", "s2"]);
    let rejected = given::<TimeOff>(history)
        .when(decide(false))
        .then([event(Ev::Decided(pb::TimeOffDecided {
            approved: false,
            conflicting_shift_ids: vec![],
        }))]);
    assert_eq!(rejected.status, TimeOffStatus::Rejected);
    assert!(rejected.conflicting_shift_ids.is_empty());
}

#[test]
fn a_request_is_decided_once_and_an_unknown_one_not_at_all() {
    let decided = [
        event(Ev::Requested(requested())),
        event(Ev::Decided(pb::TimeOffDecided {
            approved: false,
            conflicting_shift_ids: vec![],
        })),
    ];
    let err = given::<TimeOff>(decided).when(decide(true)).then_error();
    assert_eq!(err.reason(), "TIME_OFF_DECIDED");
    let err = given::<TimeOff>([]).when(decide(true)).then_error();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[test]
fn a_period_is_whole_days_in_order_and_at_most_92_of_them() {
    let (start, end) = period("2026-12-21", "2026-12-21").unwrap();
    assert_eq!(start, end, "one day");
    for (start, end, field) in [
        ("2026-12-24", "2026-12-21", "time_off_request.end_date"),
        ("Christmas", "2026-12-24", "time_off_request.start_date"),
        ("2026-12-21", "24-12-2026", "time_off_request.end_date"),
        ("2026-01-01", "2026-04-03", "time_off_request.end_date"),
    ] {
        match period(start, end) {
            Err(Error::Invalid(v)) => assert_eq!(v[0].field, field, "{start}..{end}"),
            other => panic!("{start}..{end}: {other:?}"),
        }
    }
    assert!(period("2026-01-01", "2026-04-02").is_ok(), "92 days");
}
