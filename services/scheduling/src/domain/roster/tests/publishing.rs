//! Drafts, publication and amendments: what a draft records, what publishing fixes, how
//! later changes become amendments with notices, imports, offboarding, acknowledgements.

use super::*;

fn import(shifts: Vec<pb::ShiftData>, full_week: bool, publish: bool) -> RosterCommand {
    RosterCommand::Import {
        shifts,
        full_week,
        publish,
        time_zone: "Europe/Amsterdam".into(),
        change_id: "i1".into(),
        now: jiff::Timestamp::UNIX_EPOCH,
    }
}

fn acknowledge(employee: &str, notice: &str) -> RosterCommand {
    RosterCommand::Acknowledge {
        employee_id: employee.into(),
        notice_id: notice.into(),
    }
}

#[test]
fn a_draft_records_the_shift_without_a_revision_and_tells_nobody() {
    let given_revision = pb::ShiftData {
        revision: 7,
        ..shift("s1", "anna", "2026-12-01T14:00", "2026-12-01T18:00")
    };
    let week = given::<Roster>([])
        .when(upsert(given_revision))
        .then([event(Ev::ShiftDrafted(pb::ShiftDrafted {
            shift: Some(shift("s1", "anna", "2026-12-01T14:00", "2026-12-01T18:00")),
        }))]);
    assert!(!week.published);
    assert!(week.notices.is_empty());
    given::<Roster>(planned())
        .when(RosterCommand::Remove {
            shift_id: "s2".into(),
            change_id: "c9".into(),
        })
        .then([event(Ev::ShiftDraftRemoved(pb::ShiftDraftRemoved {
            shift_id: "s2".into(),
        }))]);
    let err = given::<Roster>(planned())
        .when(RosterCommand::Remove {
            shift_id: "s404".into(),
            change_id: "c9".into(),
        })
        .then_error();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[test]
fn publishing_fixes_revision_one_the_zone_and_the_time_and_its_notices_are_not_outstanding() {
    let now = jiff::Timestamp::from_second(1_764_000_000).unwrap();
    let week = given::<Roster>(planned())
        .when(RosterCommand::Publish {
            time_zone: "Europe/Amsterdam".into(),
            change_id: "p1".into(),
            now,
        })
        .then_events();
    let week = Roster::default().replay(&planned()).replay(&week);
    assert!(week.published);
    assert_eq!(week.time_zone, "Europe/Amsterdam");
    assert_eq!(week.publish_time, Some(timestamp(now)));
    assert!(week.shifts.values().all(|s| s.revision == 1));
    let told: Vec<_> = week.notices.iter().cloned().collect();
    assert_eq!(
        told,
        [
            ("anna".to_owned(), "p1".to_owned()),
            ("ben".to_owned(), "p1".to_owned())
        ]
    );
    assert_eq!(
        week.publication_notices, week.notices,
        "the week being out is not a change a planner chases"
    );
    // An empty week publishes too, telling nobody.
    let empty = given::<Roster>([]).when(publish()).then_events();
    let Some(Ev::Published(p)) = &empty[0].event else {
        panic!("{empty:?}")
    };
    assert!(p.shifts.is_empty() && p.employees.is_empty());
}

#[test]
fn each_amendment_raises_the_revision_and_notices_only_changes_after_publication() {
    let first = shift("s1", "anna", "2026-12-01T15:00", "2026-12-01T19:00");
    let history = week_after(published(), upsert(first));
    let second = shift("s1", "anna", "2026-12-01T16:00", "2026-12-01T20:00");
    let events = given::<Roster>(history.clone())
        .when(RosterCommand::Upsert {
            shift: Box::new(second),
            change_id: "c2".into(),
        })
        .then_events();
    let Some(Ev::Amended(a)) = &events[0].event else {
        panic!("{events:?}")
    };
    assert_eq!(a.upserted[0].revision, 3);
    assert_eq!(a.reason, "", "a planner's change has no reason");
    let week = Roster::default().replay(&history).replay(&events);
    let outstanding: Vec<_> = week
        .notices
        .difference(&week.publication_notices)
        .cloned()
        .collect();
    assert_eq!(
        outstanding,
        [
            ("anna".to_owned(), "c1".to_owned()),
            ("anna".to_owned(), "c2".to_owned())
        ]
    );
    // A new open shift after publication is an amendment that tells nobody.
    let open = shift("s5", "", "2026-12-05T08:00", "2026-12-05T12:00");
    let events = given::<Roster>(published())
        .when(upsert(open))
        .then_events();
    let Some(Ev::Amended(a)) = &events[0].event else {
        panic!("{events:?}")
    };
    assert_eq!(a.upserted[0].revision, 1);
    assert!(a.employees.is_empty());
}

#[test]
fn an_employee_acknowledges_their_own_notices_once() {
    let week = given::<Roster>(published())
        .when(acknowledge("ben", "p1"))
        .then([event(Ev::ChangeAcknowledged(pb::ChangeAcknowledged {
            employee_id: "ben".into(),
            notice_id: "p1".into(),
        }))]);
    assert!(
        week.acknowledged
            .contains(&("ben".to_owned(), "p1".to_owned()))
    );
    let acknowledged = week_after(published(), acknowledge("ben", "p1"));
    given::<Roster>(acknowledged)
        .when(acknowledge("ben", "p1"))
        .then([]);
    // c9 went to ben only; nobody has notice x.
    let removed = week_after(
        published(),
        RosterCommand::Remove {
            shift_id: "s2".into(),
            change_id: "c9".into(),
        },
    );
    for (who, notice) in [("anna", "c9"), ("ben", "x")] {
        let err = given::<Roster>(removed.clone())
            .when(acknowledge(who, notice))
            .then_error();
        assert!(matches!(err, Error::NotFound(_)), "{who} {notice}: {err:?}");
    }
}

#[test]
fn an_import_drafts_and_may_publish_in_one_decision_and_repeating_it_changes_nothing() {
    let shifts = vec![
        shift("x1", "anna", "2026-12-01T08:00", "2026-12-01T12:00"),
        shift("x2", "", "2026-12-02T08:00", "2026-12-02T12:00"),
    ];
    let events = given::<Roster>([])
        .when(import(shifts.clone(), true, true))
        .then_events();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match &e.event {
            Some(Ev::ShiftDrafted(_)) => "drafted",
            Some(Ev::Published(_)) => "published",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["drafted", "drafted", "published"]);
    let week = Roster::default().replay(&events);
    assert!(week.published);
    assert_eq!(week.plan_import(&shifts, true).unchanged, 2);
    given::<Roster>(events.clone())
        .when(import(shifts, true, true))
        .then([]);
}

#[test]
fn a_full_week_import_removes_what_it_does_not_name_and_a_partial_one_keeps_it() {
    // s1 moves, s2 stays as it is, s3 is not named.
    let s1 = shift("s1", "anna", "2026-12-01T15:00", "2026-12-01T19:00");
    let s2 = shift("s2", "ben", "2026-12-01T08:00", "2026-12-01T12:00");
    let week = Roster::default().replay(&published());
    let plan = week.plan_import(&[s1.clone(), s2.clone()], true);
    assert_eq!(plan.updated.len(), 1);
    assert_eq!(plan.unchanged, 1);
    assert_eq!(plan.removed, ["s3"]);
    assert!(
        week.plan_import(&[s1.clone(), s2.clone()], false)
            .removed
            .is_empty()
    );
    let events = given::<Roster>(published())
        .when(import(vec![s1, s2], true, false))
        .then_events();
    let [only] = events.as_slice() else {
        panic!("one amendment: {events:?}")
    };
    let Some(Ev::Amended(a)) = &only.event else {
        panic!("{only:?}")
    };
    assert_eq!(a.removed_shift_ids, ["s3"]);
    assert_eq!(a.upserted.len(), 1);
    assert_eq!(a.upserted[0].revision, 2);
    let who: Vec<&str> = a.employees.iter().map(|e| e.employee_id.as_str()).collect();
    assert_eq!(who, ["anna"], "the open shift s3 tells nobody");
}

#[test]
fn offboarding_opens_the_employees_shifts_from_then_on() {
    let from = {
        let zone = Zone::parse("tz", "Europe/Amsterdam").unwrap();
        zone.instant(parse_local("t", "2026-12-01T13:00").unwrap())
            .unwrap()
    };
    let unassign = |employee: &str| RosterCommand::Unassign {
        employee_id: employee.into(),
        from,
        change_id: "o1".into(),
    };
    // Published: one amendment, reason EMPLOYEE_DEACTIVATED, telling the employee.
    let events = given::<Roster>(published())
        .when(unassign("anna"))
        .then_events();
    let Some(Ev::Amended(a)) = &events[0].event else {
        panic!("{events:?}")
    };
    assert_eq!(a.reason, "EMPLOYEE_DEACTIVATED");
    assert_eq!(a.upserted.len(), 1);
    assert_eq!(a.upserted[0].shift_id, "s1");
    assert_eq!(a.upserted[0].employee_id, "");
    assert_eq!(a.employees[0].employee_id, "anna");
    // Ben's shift started before `from`: it stays his.
    given::<Roster>(published()).when(unassign("ben")).then([]);
    // A draft is redrafted open.
    let events = given::<Roster>(planned())
        .when(unassign("anna"))
        .then_events();
    let week = Roster::default().replay(&planned()).replay(&events);
    assert_eq!(week.shifts["s1"].employee_id, "");
    assert!(week.notices.is_empty());
}
