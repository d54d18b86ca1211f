//! Open shifts and claims: only an open shift of a published week is claimed, by someone
//! of its department; the first valid claim wins or waits for a manager; approving one
//! claim turns the others down.

use super::*;

fn claim(id: &str, shift_id: &str, claimant: &str, departments: &[&str]) -> NewClaim {
    NewClaim {
        claim_id: id.into(),
        shift_id: shift_id.into(),
        claimant_id: claimant.into(),
        departments: departments.iter().map(|d| (*d).to_owned()).collect(),
        auto_approve: false,
        change_id: "k1".into(),
    }
}

/// A claim waiting for a manager (the approval policy).
fn waits(id: &str, shift_id: &str, claimant: &str) -> RosterCommand {
    RosterCommand::Claim(Box::new(claim(id, shift_id, claimant, &[""])))
}

/// A claim that wins at once when valid (first come, first served).
fn wins(id: &str, shift_id: &str, claimant: &str) -> RosterCommand {
    RosterCommand::Claim(Box::new(NewClaim {
        auto_approve: true,
        ..claim(id, shift_id, claimant, &[""])
    }))
}

fn decide(claim_id: &str, approve: bool) -> RosterCommand {
    RosterCommand::DecideClaim {
        claim_id: claim_id.into(),
        approve,
        change_id: "k2".into(),
    }
}

fn claimed(claim_id: &str, shift_id: &str, claimant: &str) -> pb::RosterEvent {
    event(Ev::ShiftClaimed(pb::ShiftClaimed {
        claim_id: claim_id.into(),
        shift_id: shift_id.into(),
        claimant_id: claimant.into(),
    }))
}

fn decided(claim_id: &str, approved: bool, reason: &str) -> pb::RosterEvent {
    event(Ev::ClaimDecided(pb::ClaimDecided {
        claim_id: claim_id.into(),
        approved,
        reason: reason.into(),
    }))
}

/// The amendment giving the open shift `s3` (published, revision 1) to `claimant`.
fn s3_assigned_to(claimant: &str, change_id: &str) -> pb::RosterEvent {
    let before = pb::ShiftData {
        revision: 1,
        ..shift("s3", "", "2026-12-02T08:00", "2026-12-02T12:00")
    };
    let after = pb::ShiftData {
        employee_id: claimant.into(),
        revision: 2,
        ..before.clone()
    };
    event(Ev::Amended(pb::ShiftsAmended {
        employees: diffs(Some(&before), Some(&after), change_id),
        upserted: vec![after],
        removed_shift_ids: vec![],
        reason: "CLAIM_APPROVED".into(),
    }))
}

#[test]
fn only_an_open_shift_of_a_published_week_is_claimed() {
    let err = given::<Roster>(planned())
        .when(wins("c1", "s3", "cem"))
        .then_error();
    assert_eq!(err.reason(), "SHIFT_NOT_OPEN", "a draft is not claimable");
    for taken in ["s1", "nope"] {
        let err = given::<Roster>(published())
            .when(wins("c1", taken, "cem"))
            .then_error();
        assert_eq!(err.reason(), "SHIFT_NOT_OPEN", "{taken}");
    }
}

#[test]
fn the_first_valid_claim_wins_when_no_manager_decides() {
    let week = given::<Roster>(published())
        .when(wins("c1", "s3", "cem"))
        .then([
            claimed("c1", "s3", "cem"),
            decided("c1", true, "AUTO_APPROVED"),
            s3_assigned_to("cem", "k1"),
        ]);
    assert_eq!(week.shifts["s3"].employee_id, "cem");
    assert_eq!(week.claims["c1"].status, ClaimStatus::Approved);
    assert!(week.has_notice("cem", "k1"), "the claimant is told");
    let mut history = published();
    history.extend([
        claimed("c1", "s3", "cem"),
        decided("c1", true, "AUTO_APPROVED"),
        s3_assigned_to("cem", "k1"),
    ]);
    let err = given::<Roster>(history)
        .when(wins("c2", "s3", "dan"))
        .then_error();
    assert_eq!(
        err.reason(),
        "SHIFT_NOT_OPEN",
        "the second claim is too late"
    );
}

#[test]
fn a_claim_waiting_for_a_manager_leaves_the_shift_open_and_is_not_repeated() {
    let week = given::<Roster>(published())
        .when(waits("c1", "s3", "cem"))
        .then([claimed("c1", "s3", "cem")]);
    assert_eq!(week.claims["c1"].status, ClaimStatus::Pending);
    assert_eq!(week.shifts["s3"].employee_id, "", "still open");
    let mut history = published();
    history.push(claimed("c1", "s3", "cem"));
    given::<Roster>(history)
        .when(waits("c9", "s3", "cem"))
        .then([]);
}

#[test]
fn approving_a_claim_assigns_the_shift_and_turns_the_other_claims_down() {
    let mut history = published();
    history.extend([claimed("c1", "s3", "cem"), claimed("c2", "s3", "dan")]);
    let week = given::<Roster>(history.clone())
        .when(decide("c1", true))
        .then([
            decided("c1", true, "MANAGER"),
            s3_assigned_to("cem", "k2"),
            decided("c2", false, "ANOTHER_CLAIM_APPROVED"),
        ]);
    assert_eq!(week.shifts["s3"].employee_id, "cem");
    assert_eq!(week.claims["c2"].status, ClaimStatus::Rejected);

    let week = given::<Roster>(history.clone())
        .when(decide("c2", false))
        .then([decided("c2", false, "MANAGER")]);
    assert_eq!(week.claims["c2"].status, ClaimStatus::Rejected);
    assert_eq!(week.claims["c1"].status, ClaimStatus::Pending);
    assert_eq!(
        week.shifts["s3"].employee_id, "",
        "a rejection assigns nothing"
    );

    history.push(decided("c2", false, "MANAGER"));
    let err = given::<Roster>(history.clone())
        .when(decide("c2", true))
        .then_error();
    assert_eq!(err.reason(), "CLAIM_DECIDED");
    let err = given::<Roster>(history)
        .when(decide("c404", true))
        .then_error();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[test]
fn a_department_shift_is_claimed_by_its_department_or_the_whole_store() {
    let mut history = planned();
    let bakery = pb::ShiftData {
        department_id: "bakery".into(),
        ..shift("s5", "", "2026-12-03T06:00", "2026-12-03T10:00")
    };
    history.extend(
        given::<Roster>(history.clone())
            .when(upsert(bakery))
            .then_events(),
    );
    history.extend(
        given::<Roster>(history.clone())
            .when(publish())
            .then_events(),
    );
    let by = |departments: &[&str]| {
        given::<Roster>(history.clone()).when(RosterCommand::Claim(Box::new(claim(
            "c1",
            "s5",
            "cem",
            departments,
        ))))
    };
    assert_eq!(by(&["deli"]).then_error().reason(), "NOT_ELIGIBLE");
    assert_eq!(by(&["bakery"]).then_events().len(), 1);
    assert_eq!(
        by(&["deli", ""]).then_events().len(),
        1,
        "store-wide member"
    );
    // A shift without a department is anyone's of the store.
    let open = given::<Roster>(published()).when(RosterCommand::Claim(Box::new(claim(
        "c1",
        "s3",
        "cem",
        &["deli"],
    ))));
    assert_eq!(open.then_events().len(), 1);
}

#[test]
fn a_claim_is_refused_at_once_when_the_claimant_works_at_that_time() {
    // s3 (Wed 08:00-12:00) is open; anna works Wed 09:00-11:00 in this week.
    let mut history = planned();
    let busy = shift("s6", "anna", "2026-12-02T09:00", "2026-12-02T11:00");
    history.extend(
        given::<Roster>(history.clone())
            .when(upsert(busy))
            .then_events(),
    );
    history.extend(
        given::<Roster>(history.clone())
            .when(publish())
            .then_events(),
    );
    let err = given::<Roster>(history.clone())
        .when(waits("c1", "s3", "anna"))
        .then_error();
    assert_eq!(err.reason(), "SHIFT_OVERLAP");
    // And at approval, when the clash came after the claim.
    let mut before_clash = published();
    before_clash.push(claimed("c1", "s3", "anna"));
    let clash = shift("s6", "anna", "2026-12-02T09:00", "2026-12-02T11:00");
    before_clash.extend(
        given::<Roster>(before_clash.clone())
            .when(upsert(clash))
            .then_events(),
    );
    let err = given::<Roster>(before_clash)
        .when(decide("c1", true))
        .then_error();
    assert_eq!(err.reason(), "SHIFT_OVERLAP");
}
