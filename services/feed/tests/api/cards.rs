//! The roster in the timeline: a card in the store group when a week is published, a
//! personal card with the before/after when someone's shift changes, open-shift cards for
//! those who may claim, and a welcome card on activation.

use breakroom_proto::{
    feed::v1::{self as pb, CardKind, timeline_item::Item},
    scheduling::v1 as sc,
};

use crate::support::*;

async fn cards(p: &Platform, who: &Person) -> Vec<pb::Card> {
    p.timeline(who, "acme", 100, "")
        .await
        .items
        .into_iter()
        .filter_map(|i| match i.item {
            Some(Item::Card(c)) => Some(c),
            _ => None,
        })
        .collect()
}

fn of_kind(cards: &[pb::Card], kind: CardKind) -> Vec<&pb::Card> {
    cards.iter().filter(|c| c.kind == kind as i32).collect()
}

fn shift(employee: &str, start: &str, end: &str) -> sc::Shift {
    sc::Shift {
        employee: employee.into(),
        start_local: start.into(),
        end_local: end.into(),
        position: "Cashier".into(),
        department_id: "checkout".into(),
        ..Default::default()
    }
}

async fn upsert(p: &Platform, token: &str, store: &str, shift: sc::Shift) -> sc::Shift {
    let reply = p
        .scheduling
        .clone()
        .unwrap()
        .upsert_shift(p.people.with_token(breakroom_testing::bearer(
            token,
            sc::UpsertShiftRequest {
                parent: store.into(),
                shift: Some(shift),
                request_id: uuid(),
            },
        )))
        .await;
    p.note(reply).unwrap()
}

#[tokio::test]
async fn the_roster_arrives_as_cards_in_the_store_group_and_personal_ones_only_for_the_affected() {
    let p = Platform::with_scheduling().await;
    let chain = p.chain("acme").await;
    let eva = p.employee(&chain, &chain.store, "eva@acme.example").await;
    let finn = p.employee(&chain, &chain.store, "finn@acme.example").await;
    let manager = p.manager(&chain, &chain.store, "boss@acme.example").await;

    // Welcome card on activation.
    assert_eq!(of_kind(&cards(&p, &eva).await, CardKind::Welcome).len(), 1);

    let planned = upsert(
        &p,
        &chain.admin.token,
        &chain.store,
        shift(&eva.name, "2026-12-01T14:00", "2026-12-01T18:00"),
    )
    .await;
    let reply = p
        .scheduling
        .clone()
        .unwrap()
        .publish_roster(p.people.with_token(breakroom_testing::bearer(
            &chain.admin.token,
            sc::PublishRosterRequest {
                name: format!("{}/rosters/2026-W49", chain.store),
                request_id: uuid(),
            },
        )))
        .await;
    p.note(reply).unwrap();
    for who in [&eva, &finn, &manager] {
        let published = cards(&p, who).await;
        let published = of_kind(&published, CardKind::RosterPublished);
        assert_eq!(published.len(), 1, "everyone of the store sees the week");
        assert_eq!(published[0].fields["week"], "2026-W49");
        assert_eq!(published[0].fields["shift_count"], "1");
    }

    upsert(
        &p,
        &chain.admin.token,
        &chain.store,
        sc::Shift {
            name: planned.name.clone(),
            ..shift(&eva.name, "2026-12-01T15:00", "2026-12-01T19:00")
        },
    )
    .await;
    let eva_cards = cards(&p, &eva).await;
    let changed = of_kind(&eva_cards, CardKind::ShiftsChanged);
    assert_eq!(changed.len(), 1);
    let change = &changed[0].shift_changes[0];
    assert_eq!(change.change, "changed");
    assert_eq!(
        change.before.as_ref().unwrap().start_local,
        "2026-12-01T14:00"
    );
    assert_eq!(
        change.after.as_ref().unwrap().start_local,
        "2026-12-01T15:00"
    );
    assert!(
        changed[0]
            .name
            .starts_with(&format!("tenants/acme/users/{}/cards/", eva.id))
    );
    assert!(of_kind(&cards(&p, &finn).await, CardKind::ShiftsChanged).is_empty());

    // An open shift: those who may claim it get a card, the manager does not.
    let open = upsert(
        &p,
        &chain.admin.token,
        &chain.store,
        shift("", "2026-12-03T09:00", "2026-12-03T13:00"),
    )
    .await;
    for who in [&eva, &finn] {
        let open = cards(&p, who).await;
        let open = of_kind(&open, CardKind::OpenShift);
        assert_eq!(open.len(), 1);
        assert_eq!(
            open[0].shift_changes[0].after.as_ref().unwrap().start_local,
            "2026-12-03T09:00"
        );
    }
    assert!(of_kind(&cards(&p, &manager).await, CardKind::OpenShift).is_empty());

    // Finn claims it (first come, first served): his claim moves, and the shift is his.
    let reply = p
        .scheduling
        .clone()
        .unwrap()
        .claim_open_shift(p.people.with_token(breakroom_testing::bearer(
            &finn.token,
            sc::ClaimOpenShiftRequest {
                shift: open.name.clone(),
                request_id: uuid(),
            },
        )))
        .await;
    p.note(reply).unwrap();
    let finn_cards = cards(&p, &finn).await;
    let mut statuses: Vec<&str> = of_kind(&finn_cards, CardKind::ClaimUpdate)
        .iter()
        .map(|c| c.fields["status"].as_str())
        .collect();
    statuses.sort();
    assert_eq!(statuses, vec!["approved", "pending"]);
    let given = of_kind(&finn_cards, CardKind::ShiftsChanged);
    assert_eq!(given.len(), 1);
    assert_eq!(given[0].shift_changes[0].change, "added");
    assert!(of_kind(&cards(&p, &eva).await, CardKind::ClaimUpdate).is_empty());
}

#[tokio::test]
async fn a_decided_time_off_request_reaches_its_employee_as_a_card() {
    let p = Platform::with_scheduling().await;
    let chain = p.chain("acme").await;
    let eva = p.employee(&chain, &chain.store, "eva@acme.example").await;
    let finn = p.employee(&chain, &chain.store, "finn@acme.example").await;
    let mut scheduling = p.scheduling.clone().unwrap();
    let requested = scheduling
        .request_time_off(p.people.with_token(breakroom_testing::bearer(
            &eva.token,
            sc::RequestTimeOffRequest {
                parent: eva.name.clone(),
                time_off_request: Some(sc::TimeOffRequest {
                    store: chain.store.clone(),
                    start_date: "2026-12-21".into(),
                    end_date: "2026-12-23".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        )))
        .await;
    let requested = p.note(requested).unwrap();
    let decided = scheduling
        .decide_time_off(p.people.with_token(breakroom_testing::bearer(
            &chain.admin.token,
            sc::DecideTimeOffRequest {
                name: requested.name.clone(),
                approve: true,
                request_id: uuid(),
            },
        )))
        .await;
    p.note(decided).unwrap();
    let eva_cards = cards(&p, &eva).await;
    let time_off = of_kind(&eva_cards, CardKind::TimeOffUpdate);
    assert_eq!(time_off.len(), 1);
    assert_eq!(time_off[0].fields["status"], "approved");
    assert_eq!(time_off[0].fields["start_date"], "2026-12-21");
    assert!(of_kind(&cards(&p, &finn).await, CardKind::TimeOffUpdate).is_empty());
}

async fn publish(p: &Platform, token: &str, store: &str, week: &str) {
    let reply = p
        .scheduling
        .clone()
        .unwrap()
        .publish_roster(p.people.with_token(breakroom_testing::bearer(
            token,
            sc::PublishRosterRequest {
                name: format!("{store}/rosters/{week}"),
                request_id: uuid(),
            },
        )))
        .await;
    p.note(reply).unwrap();
}

#[tokio::test]
async fn each_scheduled_employee_gets_their_own_week_card_with_exactly_their_shifts() {
    let p = Platform::with_scheduling().await;
    let chain = p.chain("acme").await;
    let eva = p.employee(&chain, &chain.store, "eva@acme.example").await;
    let finn = p.employee(&chain, &chain.store, "finn@acme.example").await;
    let gus = p.employee(&chain, &chain.store, "gus@acme.example").await;
    for planned in [
        sc::Shift {
            unpaid_break_minutes: 30,
            ..shift(&eva.name, "2026-12-02T09:00", "2026-12-02T17:00")
        },
        shift(&eva.name, "2026-11-30T14:00", "2026-11-30T18:00"),
        shift(&finn.name, "2026-12-01T06:00", "2026-12-01T12:00"),
        shift("", "2026-12-03T09:00", "2026-12-03T13:00"),
    ] {
        upsert(&p, &chain.admin.token, &chain.store, planned).await;
    }

    publish(&p, &chain.admin.token, &chain.store, "2026-W49").await;

    let eva_cards = cards(&p, &eva).await;
    let week = of_kind(&eva_cards, CardKind::PersonalRoster);
    assert_eq!(week.len(), 1, "one week card for Eva");
    let week = week[0];
    assert!(
        week.name
            .starts_with(&format!("tenants/acme/users/{}/cards/", eva.id))
    );
    assert_eq!(week.fields["week"], "2026-W49");
    assert_eq!(week.fields["store"], chain.store);
    assert_eq!(
        week.fields["roster"],
        format!("{}/rosters/2026-W49", chain.store)
    );
    assert_eq!(week.fields["shift_count"], "2");
    assert_eq!(
        week.fields["paid_minutes"],
        (4 * 60 + 8 * 60 - 30).to_string()
    );
    let shifts: Vec<(&str, &str, &str)> = week
        .shift_changes
        .iter()
        .map(|c| {
            let s = c.after.as_ref().unwrap();
            (
                s.start_local.as_str(),
                s.end_local.as_str(),
                s.department_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        shifts,
        [
            ("2026-11-30T14:00", "2026-11-30T18:00", "checkout"),
            ("2026-12-02T09:00", "2026-12-02T17:00", "checkout"),
        ]
    );

    let finn_cards = cards(&p, &finn).await;
    let finn_week = of_kind(&finn_cards, CardKind::PersonalRoster);
    assert_eq!(finn_week.len(), 1, "Finn sees his own card, not Eva's");
    assert_eq!(finn_week[0].fields["shift_count"], "1");
    assert_eq!(
        finn_week[0].shift_changes[0]
            .after
            .as_ref()
            .unwrap()
            .start_local,
        "2026-12-01T06:00"
    );
    assert!(
        of_kind(&cards(&p, &gus).await, CardKind::PersonalRoster).is_empty(),
        "an unscheduled colleague gets no week card"
    );

    // Publishing the week again changes nothing in scheduling, so no second card.
    publish(&p, &chain.admin.token, &chain.store, "2026-W49").await;
    assert_eq!(
        of_kind(&cards(&p, &eva).await, CardKind::PersonalRoster).len(),
        1
    );
}
