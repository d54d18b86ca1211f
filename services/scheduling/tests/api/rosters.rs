//! Planning, publishing and amending a store's week, as managers and employees see it.

use breakroom_proto::scheduling::v1 as pb;
use tonic::Code;

use crate::support::*;

fn week_range() -> (prost_types::Timestamp, prost_types::Timestamp) {
    (at("2026-11-30T00:00:00Z"), at("2026-12-07T00:00:00Z"))
}

/// ListMyShifts of the week in `view` (an enum value, known or not), after the write
/// whose `breakroom-sequence` is `after`.
fn my_week(token: &str, view: i32, after: &str) -> tonic::Request<pb::ListMyShiftsRequest> {
    let (start, end) = week_range();
    let mut request = bearer(
        token,
        pb::ListMyShiftsRequest {
            start_time: Some(start),
            end_time: Some(end),
            view,
            ..Default::default()
        },
    );
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", after.parse().unwrap());
    request
}

async fn my_shifts(platform: &Platform, token: &str) -> Vec<pb::Shift> {
    let (start, end) = week_range();
    platform
        .scheduling
        .clone()
        .list_my_shifts(bearer(
            token,
            pb::ListMyShiftsRequest {
                start_time: Some(start),
                end_time: Some(end),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .shifts
}

#[tokio::test]
async fn employees_see_their_shifts_only_once_the_week_is_published() {
    let p = Platform::spawn().await;
    let chain = p.chain("jumbo").await;
    let anna = p.employee(&chain, &chain.store, "anna@jumbo.example").await;
    let ben = p.employee(&chain, &chain.store, "ben@jumbo.example").await;
    let planned = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift(&anna.name, "2026-12-01T14:00", "2026-12-01T18:00"),
        )
        .await;
    p.shift(
        &chain.admin.token,
        &chain.store,
        shift(&ben.name, "2026-12-01T08:00", "2026-12-01T12:00"),
    )
    .await;
    assert_eq!(planned.state, pb::shift::State::Draft as i32);
    assert_eq!(planned.paid_duration.unwrap().seconds, 4 * 3600);
    let roster = format!("{}/rosters/2026-W49", chain.store);

    let draft_view = p
        .scheduling
        .clone()
        .get_roster(bearer(
            &anna.token,
            pb::GetRosterRequest {
                name: roster.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(draft_view.shifts.is_empty(), "employees never see drafts");
    assert!(my_shifts(&p, &anna.token).await.is_empty());
    let planner_view = p
        .scheduling
        .clone()
        .get_roster(bearer(
            &chain.admin.token,
            pb::GetRosterRequest {
                name: roster.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(planner_view.shifts.len(), 2);

    let published = p
        .scheduling
        .clone()
        .publish_roster(bearer(
            &chain.admin.token,
            pb::PublishRosterRequest {
                name: roster.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let sequence = published
        .metadata()
        .get("breakroom-sequence")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        published.into_inner().state,
        pb::roster::State::Published as i32
    );
    let mine = p
        .scheduling
        .clone()
        .list_my_shifts(my_week(&anna.token, 0, &sequence))
        .await
        .unwrap()
        .into_inner()
        .shifts;
    assert_eq!(mine.len(), 1, "only her own shift");
    assert_eq!(mine[0].start_local, "2026-12-01T14:00");
    assert_eq!(mine[0].employee, anna.name);
    assert_eq!(mine[0].state, pb::shift::State::Published as i32);
    assert_eq!(
        mine[0].start_time.unwrap().seconds,
        at("2026-12-01T13:00:00Z").seconds,
        "CET is UTC+1"
    );
}

#[tokio::test]
async fn a_night_shift_over_the_autumn_change_in_amsterdam_is_nine_hours() {
    let p = Platform::spawn().await;
    let chain = p.chain("albert").await;
    let cem = p.employee(&chain, &chain.store, "cem@albert.example").await;
    let night = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift(&cem.name, "2026-10-24T22:00", "2026-10-25T06:00"),
        )
        .await;
    assert_eq!(night.paid_duration.unwrap().seconds, 9 * 3600);
    assert_eq!(night.roster, format!("{}/rosters/2026-W43", chain.store));
    assert_eq!(
        night.start_time.unwrap().seconds,
        at("2026-10-24T20:00:00Z").seconds,
        "CEST is UTC+2"
    );
    assert_eq!(
        night.end_time.unwrap().seconds,
        at("2026-10-25T05:00:00Z").seconds,
        "CET is UTC+1"
    );
    let spring = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift(&cem.name, "2026-03-28T22:00", "2026-03-29T06:00"),
        )
        .await;
    assert_eq!(spring.paid_duration.unwrap().seconds, 7 * 3600);
}

#[tokio::test]
async fn an_employee_cannot_be_planned_in_two_stores_at_once() {
    let p = Platform::spawn().await;
    let chain = p.chain("plus").await;
    let second = p.store("plus", "S-2", &chain.admin.token).await;
    let dana = p
        .person(
            "plus",
            "dana@plus.example",
            vec![
                role_in(&chain.store, breakroom_proto::identity::v1::Role::Employee),
                role_in(&second, breakroom_proto::identity::v1::Role::Employee),
            ],
            &chain.admin.token,
        )
        .await;
    p.shift(
        &chain.admin.token,
        &chain.store,
        shift(&dana.name, "2026-12-02T09:00", "2026-12-02T17:00"),
    )
    .await;
    let clash = p
        .once_known(|| {
            let mut client = p.scheduling.clone();
            let request = bearer(
                &chain.admin.token,
                pb::UpsertShiftRequest {
                    shift: Some(shift(&dana.name, "2026-12-02T16:00", "2026-12-02T20:00")),
                    parent: second.clone(),
                    request_id: uuid(),
                },
            );
            async move {
                match client.upsert_shift(request).await {
                    Err(status) if status.code() == Code::FailedPrecondition => Ok(status),
                    Err(status) => Err(status),
                    Ok(shift) => panic!("overlap accepted: {shift:?}"),
                }
            }
        })
        .await;
    use tonic_types::StatusExt;
    assert_eq!(
        clash.get_details_error_info().unwrap().reason,
        "SHIFT_OVERLAP"
    );
    assert!(
        clash.get_details_precondition_failure().is_some(),
        "{clash:?}"
    );
    // Back to back is fine.
    p.shift(
        &chain.admin.token,
        &second,
        shift(&dana.name, "2026-12-02T17:00", "2026-12-02T21:00"),
    )
    .await;
}

#[tokio::test]
async fn amending_a_published_week_records_each_employees_before_and_after() {
    let p = Platform::spawn().await;
    let chain = p.chain("coop").await;
    let eva = p.employee(&chain, &chain.store, "eva@coop.example").await;
    let finn = p.employee(&chain, &chain.store, "finn@coop.example").await;
    let planned = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift(&eva.name, "2026-12-01T14:00", "2026-12-01T18:00"),
        )
        .await;
    p.scheduling
        .clone()
        .publish_roster(bearer(
            &chain.admin.token,
            pb::PublishRosterRequest {
                name: format!("{}/rosters/2026-W49", chain.store),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let moved = pb::Shift {
        name: planned.name.clone(),
        ..shift(&eva.name, "2026-12-01T15:00", "2026-12-01T19:00")
    };
    let amended = p.shift(&chain.admin.token, &chain.store, moved).await;
    assert_eq!(
        (amended.state, amended.revision),
        (pb::shift::State::Published as i32, 2)
    );
    let reassigned = pb::Shift {
        name: planned.name.clone(),
        ..shift(&finn.name, "2026-12-01T15:00", "2026-12-01T19:00")
    };
    p.shift(&chain.admin.token, &chain.store, reassigned).await;

    let commits = recorded(&p, "roster.coop.*").await;
    let amendments: Vec<pb::ShiftsAmended> = commits
        .iter()
        .flat_map(|c| &c.events)
        .filter_map(|e| {
            use prost::Message;
            match pb::RosterEvent::decode(e.payload.as_slice()).unwrap().event {
                Some(pb::roster_event::Event::Amended(a)) => Some(a),
                _ => None,
            }
        })
        .collect();
    assert_eq!(amendments.len(), 2);
    let moved = &amendments[0].employees[0];
    assert_eq!(moved.changes[0].kind, pb::shift_diff::Kind::Changed as i32);
    assert_eq!(
        moved.changes[0].before.as_ref().unwrap().start_local,
        "2026-12-01T14:00"
    );
    assert_eq!(
        moved.changes[0].after.as_ref().unwrap().start_local,
        "2026-12-01T15:00"
    );
    let kinds: Vec<i32> = amendments[1]
        .employees
        .iter()
        .map(|e| e.changes[0].kind)
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(
        kinds.contains(&(pb::shift_diff::Kind::Removed as i32))
            && kinds.contains(&(pb::shift_diff::Kind::Added as i32))
    );
}

#[tokio::test]
async fn bad_shifts_are_refused_with_every_field_named() {
    let p = Platform::spawn().await;
    let chain = p.chain("dirk").await;
    let gert = p.employee(&chain, &chain.store, "gert@dirk.example").await;
    p.shift(
        &chain.admin.token,
        &chain.store,
        shift(&gert.name, "2026-12-03T08:00", "2026-12-03T12:00"),
    )
    .await;
    let outsider = p
        .person(
            "dirk",
            "hq2@dirk.example",
            vec![breakroom_proto::identity::v1::Membership {
                role: breakroom_proto::identity::v1::Role::HqAdmin as i32,
                ..Default::default()
            }],
            &chain.admin.token,
        )
        .await;
    let cases = [
        (
            shift(&gert.name, "2026-12-03T18:00", "2026-12-03T17:00"),
            vec!["shift.end_local"],
        ),
        (
            shift(&gert.name, "2026-12-03T06:00", "2026-12-03T20:00"),
            vec!["shift.end_local"],
        ),
        (
            pb::Shift {
                department_id: "bakery".into(),
                ..shift(&gert.name, "2026-12-04T08:00", "2026-12-04T12:00")
            },
            vec!["shift.department_id"],
        ),
        (
            shift(&outsider.name, "2026-12-04T08:00", "2026-12-04T12:00"),
            vec!["shift.employee"],
        ),
        (
            shift(&gert.name, "3 Dec 8am", "2026-12-04T12:00"),
            vec!["shift.start_local"],
        ),
        (
            shift(
                "tenants/other/users/x",
                "2026-12-04T08:00",
                "2026-12-04T12:00",
            ),
            vec!["shift.employee"],
        ),
    ];
    for (bad, fields) in cases {
        let err = p
            .scheduling
            .clone()
            .upsert_shift(bearer(
                &chain.admin.token,
                pb::UpsertShiftRequest {
                    shift: Some(bad.clone()),
                    parent: chain.store.clone(),
                    request_id: uuid(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&err), fields, "{bad:?}");
    }
    let err = p
        .scheduling
        .clone()
        .get_roster(bearer(
            &chain.admin.token,
            pb::GetRosterRequest {
                name: format!("{}/rosters/2026-W54", chain.store),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["name"]);
}

#[tokio::test]
async fn another_chain_sees_and_changes_nothing_and_employees_do_not_plan() {
    let p = Platform::spawn().await;
    let a = p.chain("chain-a").await;
    let b = p.chain("chain-b").await;
    let hana = p.employee(&a, &a.store, "hana@a.example").await;
    p.shift(
        &a.admin.token,
        &a.store,
        shift(&hana.name, "2026-12-01T08:00", "2026-12-01T12:00"),
    )
    .await;
    let roster = format!("{}/rosters/2026-W49", a.store);
    let (start, end) = week_range();
    let mut s = p.scheduling.clone();
    let t = &b.admin.token;
    assert_eq!(
        s.get_roster(bearer(
            t,
            pb::GetRosterRequest {
                name: roster.clone()
            }
        ))
        .await
        .unwrap_err()
        .code(),
        Code::NotFound
    );
    assert_eq!(
        s.publish_roster(bearer(
            t,
            pb::PublishRosterRequest {
                name: roster.clone(),
                request_id: uuid()
            }
        ))
        .await
        .unwrap_err()
        .code(),
        Code::NotFound
    );
    assert_eq!(
        s.upsert_shift(bearer(
            t,
            pb::UpsertShiftRequest {
                shift: Some(shift("", "2026-12-01T08:00", "2026-12-01T12:00")),
                parent: a.store.clone(),
                request_id: uuid()
            }
        ))
        .await
        .unwrap_err()
        .code(),
        Code::NotFound
    );
    assert_eq!(
        s.list_store_shifts(bearer(
            t,
            pb::ListStoreShiftsRequest {
                parent: a.store.clone(),
                start_time: Some(start),
                end_time: Some(end),
                ..Default::default()
            }
        ))
        .await
        .unwrap_err()
        .code(),
        Code::NotFound
    );
    assert_eq!(
        s.import_roster(bearer(
            t,
            pb::ImportRosterRequest {
                parent: "tenants/chain-a".into(),
                rosters: vec![pb::RosterImport {
                    roster: roster.clone(),
                    shifts: vec![],
                    full_week: true
                }],
                ..Default::default()
            }
        ))
        .await
        .unwrap_err()
        .code(),
        Code::NotFound
    );
    // An employee of A cannot plan.
    let denied = s
        .upsert_shift(bearer(
            &hana.token,
            pb::UpsertShiftRequest {
                shift: Some(shift(&hana.name, "2026-12-02T08:00", "2026-12-02T12:00")),
                parent: a.store.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

/// Every commit under `<ns>.scheduling.<filter>`.
pub async fn recorded(p: &Platform, filter: &str) -> Vec<breakroom_proto::kit::v1::Commit> {
    breakroom_testing::recorded(&p.env, "scheduling", filter)
        .await
        .into_iter()
        .map(|c| c.commit)
        .collect()
}

#[tokio::test]
async fn offboarding_an_employee_turns_their_future_shifts_into_open_shifts() {
    let p = Platform::spawn().await;
    let chain = p.chain("etos").await;
    let olga = p.employee(&chain, &chain.store, "olga@etos.example").await;
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(3))
        .unwrap();
    let future = p
        .shift(
            &chain.admin.token,
            &chain.store,
            shift(&olga.name, &format!("{day}T09:00"), &format!("{day}T13:00")),
        )
        .await;
    p.scheduling
        .clone()
        .publish_roster(bearer(
            &chain.admin.token,
            pb::PublishRosterRequest {
                name: future.roster.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    p.people.offboard(&olga, &chain.admin.token).await;
    let open = breakroom_testing::eventually(std::time::Duration::from_secs(15), || async {
        let shifts = p
            .scheduling
            .clone()
            .list_open_shifts(bearer(
                &chain.admin.token,
                pb::ListOpenShiftsRequest {
                    parent: chain.store.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .shifts;
        shifts.into_iter().find(|s| s.name == future.name)
    })
    .await;
    assert!(open.employee.is_empty());
    assert_eq!(open.revision, 2);
    let commits = recorded(&p, "roster.etos.*").await;
    use prost::Message;
    let last =
        pb::RosterEvent::decode(commits.last().unwrap().events[0].payload.as_slice()).unwrap();
    let Some(pb::roster_event::Event::Amended(amended)) = last.event else {
        panic!("{last:?}")
    };
    assert_eq!(amended.reason, "EMPLOYEE_DEACTIVATED");
    assert_eq!(
        amended.employees[0].changes[0].kind,
        pb::shift_diff::Kind::Removed as i32
    );
}

#[tokio::test]
async fn the_full_view_of_my_shifts_names_who_works_at_the_same_time_in_the_store() {
    let p = Platform::spawn().await;
    let chain = p.chain("with").await;
    let store = chain.store.clone();
    let mut people = Vec::new();
    for name in ["anna", "ben", "cleo", "dan"] {
        people.push(
            p.employee(&chain, &store, &format!("{name}@with.example"))
                .await,
        );
    }
    let [anna, ben, cleo, dan] = &people[..] else {
        unreachable!()
    };
    let token = &chain.admin.token;
    for (who, start, end) in [
        (&anna.name, "2026-12-01T14:00", "2026-12-01T18:00"),
        (&ben.name, "2026-12-01T08:00", "2026-12-01T15:00"),
        // Ben twice: named once, by his first start.
        (&ben.name, "2026-12-01T17:00", "2026-12-01T19:00"),
        // Ends as Anna starts, starts as she ends: not at the same time.
        (&cleo.name, "2026-12-01T10:00", "2026-12-01T14:00"),
        (&cleo.name, "2026-12-01T18:00", "2026-12-01T22:00"),
        (&dan.name, "2026-12-01T16:00", "2026-12-01T20:00"),
        // An open shift is nobody.
        (&String::new(), "2026-12-01T15:00", "2026-12-01T17:00"),
    ] {
        p.shift(token, &store, shift(who, start, end)).await;
    }
    let published = p
        .scheduling
        .clone()
        .publish_roster(bearer(
            token,
            pb::PublishRosterRequest {
                name: format!("{store}/rosters/2026-W49"),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let sequence = published.metadata().get("breakroom-sequence").unwrap();
    let sequence = sequence.to_str().unwrap().to_owned();
    let list = |view: pb::ShiftView| {
        let request = my_week(&anna.token, view as i32, &sequence);
        let mut client = p.scheduling.clone();
        async move {
            client
                .list_my_shifts(request)
                .await
                .unwrap()
                .into_inner()
                .shifts
        }
    };
    let full = list(pb::ShiftView::Full).await;
    assert_eq!(full.len(), 1);
    assert_eq!(full[0].colleagues, [ben.name.clone(), dan.name.clone()]);
    let refused = p
        .scheduling
        .clone()
        .list_my_shifts(my_week(&anna.token, 7, &sequence))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["view"]);
    for view in [pb::ShiftView::Unspecified, pb::ShiftView::Basic] {
        let basic = list(view).await;
        assert_eq!(basic.len(), 1);
        assert!(basic[0].colleagues.is_empty(), "{view:?}: {basic:?}");
        assert_eq!(
            pb::Shift {
                colleagues: vec![],
                ..full[0].clone()
            },
            basic[0],
            "the full view adds colleagues and nothing else"
        );
    }
}
