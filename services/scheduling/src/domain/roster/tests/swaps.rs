//! Swaps: the employee of a published shift offers it, to a colleague or to anyone
//! eligible; a colleague accepts; a manager decides (or the policy approves at once). The
//! rules run at acceptance and again at approval.

use super::*;

fn offer(swap_id: &str, shift_id: &str, by: &str, to: &str) -> RosterCommand {
    RosterCommand::Swap(Box::new(SwapCommand::Offer {
        swap_id: swap_id.into(),
        shift_id: shift_id.into(),
        offered_by: by.into(),
        offered_to: to.into(),
    }))
}

fn accept(swap_id: &str, by: &str, departments: &[&str], auto_approve: bool) -> RosterCommand {
    RosterCommand::Swap(Box::new(SwapCommand::Accept {
        swap_id: swap_id.into(),
        accepted_by: by.into(),
        departments: departments.iter().map(|d| (*d).to_owned()).collect(),
        auto_approve,
        change_id: "w1".into(),
    }))
}

fn decide(swap_id: &str, approve: bool) -> RosterCommand {
    RosterCommand::Swap(Box::new(SwapCommand::Decide {
        swap_id: swap_id.into(),
        approve,
        change_id: "w2".into(),
    }))
}

fn offered(swap_id: &str, shift_id: &str, by: &str, to: &str) -> pb::RosterEvent {
    event(Ev::ShiftOffered(pb::ShiftOffered {
        swap_id: swap_id.into(),
        shift_id: shift_id.into(),
        offered_by: by.into(),
        offered_to: to.into(),
    }))
}

fn accepted(swap_id: &str, by: &str) -> pb::RosterEvent {
    event(Ev::SwapAccepted(pb::SwapAccepted {
        swap_id: swap_id.into(),
        accepted_by: by.into(),
    }))
}

fn decided(swap_id: &str, approved: bool, reason: &str) -> pb::RosterEvent {
    event(Ev::SwapDecided(pb::SwapDecided {
        swap_id: swap_id.into(),
        approved,
        reason: reason.into(),
    }))
}

/// The amendment moving anna's published `s1` to `to`.
fn s1_goes_to(to: &str, change_id: &str) -> pb::RosterEvent {
    let before = pb::ShiftData {
        revision: 1,
        ..shift("s1", "anna", "2026-12-01T14:00", "2026-12-01T18:00")
    };
    let after = pb::ShiftData {
        employee_id: to.into(),
        revision: 2,
        ..before.clone()
    };
    event(Ev::Amended(pb::ShiftsAmended {
        employees: diffs(Some(&before), Some(&after), change_id),
        upserted: vec![after],
        removed_shift_ids: vec![],
        reason: "SWAP_APPROVED".into(),
    }))
}

/// The published week with anna's `s1` on offer to anyone (`w1`).
fn on_offer() -> Vec<pb::RosterEvent> {
    let mut history = published();
    history.push(offered("w1", "s1", "anna", ""));
    history
}

#[test]
fn only_the_employee_of_a_published_shift_offers_it_and_only_once() {
    let err = given::<Roster>(planned())
        .when(offer("w1", "s1", "anna", ""))
        .then_error();
    assert_eq!(err.reason(), "SWAP_NOT_POSSIBLE", "a draft is not offered");
    let err = given::<Roster>(published())
        .when(offer("w1", "s1", "ben", ""))
        .then_error();
    assert_eq!(err.reason(), "SWAP_NOT_POSSIBLE", "ben does not work s1");
    let err = given::<Roster>(published())
        .when(offer("w1", "s1", "anna", "anna"))
        .then_error();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    let week = given::<Roster>(published())
        .when(offer("w1", "s1", "anna", "cem"))
        .then([offered("w1", "s1", "anna", "cem")]);
    assert_eq!(week.swaps["w1"].status, SwapStatus::Offered);
    assert_eq!(
        week.shifts["s1"].employee_id, "anna",
        "an offer moves nothing"
    );
    let err = given::<Roster>(on_offer())
        .when(offer("w2", "s1", "anna", ""))
        .then_error();
    assert_eq!(err.reason(), "SWAP_NOT_POSSIBLE", "already on offer");
}

#[test]
fn an_offer_to_a_colleague_is_accepted_by_that_colleague_only() {
    let mut history = published();
    history.push(offered("w1", "s1", "anna", "cem"));
    for stranger in ["dan", "anna"] {
        let err = given::<Roster>(history.clone())
            .when(accept("w1", stranger, &[""], false))
            .then_error();
        assert_eq!(err.reason(), "OFFER_NOT_FOR_YOU", "{stranger}");
    }
    given::<Roster>(history)
        .when(accept("w1", "cem", &[""], false))
        .then([accepted("w1", "cem")]);
    let err = given::<Roster>(published())
        .when(accept("w404", "cem", &[""], false))
        .then_error();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[test]
fn an_accepted_swap_waits_for_a_manager_who_approves_or_rejects_it() {
    let week = given::<Roster>(on_offer())
        .when(accept("w1", "cem", &[""], false))
        .then([accepted("w1", "cem")]);
    assert_eq!(week.swaps["w1"].status, SwapStatus::Accepted);
    assert_eq!(week.shifts["s1"].employee_id, "anna");
    let mut history = on_offer();
    history.push(accepted("w1", "cem"));

    let week = given::<Roster>(history.clone())
        .when(decide("w1", true))
        .then([decided("w1", true, "MANAGER"), s1_goes_to("cem", "w2")]);
    assert_eq!(week.shifts["s1"].employee_id, "cem");
    assert_eq!(week.swaps["w1"].status, SwapStatus::Approved);
    assert!(week.has_notice("anna", "w2") && week.has_notice("cem", "w2"));

    let week = given::<Roster>(history.clone())
        .when(decide("w1", false))
        .then([decided("w1", false, "MANAGER")]);
    assert_eq!(week.shifts["s1"].employee_id, "anna", "rejected: stays put");
    assert_eq!(week.swaps["w1"].status, SwapStatus::Rejected);

    history.push(decided("w1", false, "MANAGER"));
    let err = given::<Roster>(history)
        .when(decide("w1", true))
        .then_error();
    assert_eq!(err.reason(), "SWAP_NOT_POSSIBLE", "decided once");
    let err = given::<Roster>(on_offer())
        .when(decide("w1", true))
        .then_error();
    assert_eq!(err.reason(), "SWAP_NOT_POSSIBLE", "nobody accepted yet");
}

#[test]
fn the_store_policy_may_approve_an_accepted_swap_at_once() {
    let week = given::<Roster>(on_offer())
        .when(accept("w1", "cem", &[""], true))
        .then([
            accepted("w1", "cem"),
            decided("w1", true, "AUTO_APPROVED"),
            s1_goes_to("cem", "w1"),
        ]);
    assert_eq!(week.shifts["s1"].employee_id, "cem");
    let err = given::<Roster>(week_after(on_offer(), accept("w1", "cem", &[""], true)))
        .when(accept("w1", "dan", &[""], true))
        .then_error();
    assert_eq!(err.reason(), "SWAP_NOT_POSSIBLE", "the offer is closed");
}

#[test]
fn the_rules_run_at_acceptance_and_again_at_approval() {
    // Acceptance: the colleague's department and their other shifts.
    let mut bakery = published();
    let s7 = pb::ShiftData {
        department_id: "bakery".into(),
        ..shift("s7", "anna", "2026-12-04T06:00", "2026-12-04T10:00")
    };
    bakery.extend(
        given::<Roster>(bakery.clone())
            .when(upsert(s7))
            .then_events(),
    );
    bakery.push(offered("w1", "s7", "anna", ""));
    let err = given::<Roster>(bakery.clone())
        .when(accept("w1", "cem", &["deli"], false))
        .then_error();
    assert_eq!(err.reason(), "NOT_ELIGIBLE");
    given::<Roster>(bakery)
        .when(accept("w1", "cem", &["bakery"], false))
        .then([accepted("w1", "cem")]);
    // Ben works Tue 08:00-12:00; s1 is Tue 14:00-18:00: add a clash for him first.
    let busy = shift("s8", "ben", "2026-12-01T15:00", "2026-12-01T16:00");
    let clashing = week_after(on_offer(), upsert(busy));
    let err = given::<Roster>(clashing)
        .when(accept("w1", "ben", &[""], false))
        .then_error();
    assert_eq!(err.reason(), "SHIFT_OVERLAP");
    // Approval: the shift changed hands after the acceptance.
    let mut history = on_offer();
    history.push(accepted("w1", "cem"));
    let moved = shift("s1", "dan", "2026-12-01T14:00", "2026-12-01T18:00");
    let history = week_after(history, upsert(moved));
    let err = given::<Roster>(history)
        .when(decide("w1", true))
        .then_error();
    assert_eq!(err.reason(), "SWAP_NOT_POSSIBLE");
}
