//! Change notices as the employee and the planner see them: whole shifts, publication
//! time, the employee's own list, and times the zone's clock never shows.

use breakroom_proto::scheduling::v1 as pb;

use crate::support::*;

async fn my_notices(
    p: &Platform,
    token: &str,
    request: pb::ListMyChangeNoticesRequest,
) -> pb::ListMyChangeNoticesResponse {
    p.scheduling
        .clone()
        .list_my_change_notices(p.people.with_token(bearer(token, request)))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_break_only_change_reaches_the_employee_as_a_notice_with_whole_shifts_before_and_after() {
    let p = Platform::spawn().await;
    let chain = p.chain("deen").await;
    let anna = p.employee(&chain, &chain.store, "anna@deen.example").await;
    let planned = p
        .shift(
            &chain.admin.token,
            &chain.store,
            pb::Shift {
                external_id: "wfm-7".into(),
                unpaid_break_minutes: 15,
                ..shift(&anna.name, "2027-02-02T09:00", "2027-02-02T17:00")
            },
        )
        .await;
    let roster = format!("{}/rosters/2027-W05", chain.store);
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
    let publish_time = published.get_ref().publish_time.expect("publish_time set");
    let amended = p
        .scheduling
        .clone()
        .upsert_shift(bearer(
            &chain.admin.token,
            pb::UpsertShiftRequest {
                shift: Some(pb::Shift {
                    unpaid_break_minutes: 45,
                    ..planned.clone()
                }),
                parent: String::new(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let token = breakroom_testing::token(amended.metadata());

    let mut request = bearer(&anna.token, pb::ListMyChangeNoticesRequest::default());
    request.metadata_mut().insert(
        breakroom_events::consistency::MIN_SEQUENCE_KEY,
        token.parse().unwrap(),
    );
    let notices = p
        .scheduling
        .clone()
        .list_my_change_notices(request)
        .await
        .unwrap()
        .into_inner()
        .shift_change_notices;
    assert_eq!(notices.len(), 2, "the publication and the amendment");
    let change = &notices[0].changes[0];
    assert_eq!(
        change.kind,
        pb::shift_change::Kind::Changed as i32,
        "newest first"
    );
    let (before, after) = (
        change.before.as_ref().unwrap(),
        change.after.as_ref().unwrap(),
    );
    assert_eq!(
        (before.unpaid_break_minutes, after.unpaid_break_minutes),
        (15, 45)
    );
    assert_eq!(before.paid_duration.unwrap().seconds, 8 * 3600 - 15 * 60);
    assert_eq!(after.paid_duration.unwrap().seconds, 8 * 3600 - 45 * 60);
    for shift in [before, after] {
        assert_eq!(shift.roster, roster);
        assert_eq!(shift.state, pb::shift::State::Published as i32);
        assert_eq!(shift.external_id, "wfm-7");
        assert_eq!(shift.employee, anna.name);
    }
    assert_eq!(notices[0].roster, roster);
    assert!(notices.iter().all(|n| n.acknowledge_time.is_none()));

    // Planners are shown the amendment as outstanding, not the publication itself.
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
    assert_eq!(planner_view.publish_time, Some(publish_time));
    assert_eq!(
        planner_view.unacknowledged_changes,
        [notices[0].name.clone()]
    );

    // Acknowledged notices move behind the open ones, and the list pages.
    let acknowledged = p
        .scheduling
        .clone()
        .acknowledge_shift_change(bearer(
            &anna.token,
            pb::AcknowledgeShiftChangeRequest {
                name: notices[0].name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    assert!(acknowledged.get_ref().acknowledge_time.is_some());
    assert_eq!(acknowledged.get_ref().changes, notices[0].changes);
    let mut request = bearer(
        &anna.token,
        pb::ListMyChangeNoticesRequest {
            page_size: 1,
            ..Default::default()
        },
    );
    request.metadata_mut().insert(
        breakroom_events::consistency::MIN_SEQUENCE_KEY,
        breakroom_testing::token(acknowledged.metadata())
            .parse()
            .unwrap(),
    );
    let first = p
        .scheduling
        .clone()
        .list_my_change_notices(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first.shift_change_notices[0].name, notices[1].name,
        "open first"
    );
    let second = my_notices(
        &p,
        &anna.token,
        pb::ListMyChangeNoticesRequest {
            page_size: 1,
            page_token: first.next_page_token,
        },
    )
    .await;
    assert_eq!(second.shift_change_notices[0].name, notices[0].name);
    assert!(second.shift_change_notices[0].acknowledge_time.is_some());
    assert!(second.next_page_token.is_empty());
}

#[tokio::test]
async fn a_time_the_spring_change_skips_is_refused_and_a_repeated_one_can_be_picked() {
    let p = Platform::spawn().await;
    let chain = p.chain("hoogvliet").await;
    let anna = p
        .employee(&chain, &chain.store, "anna@hoogvliet.example")
        .await;
    let upsert = |start: &str, end: &str| {
        p.people.with_token(bearer(
            &chain.admin.token,
            pb::UpsertShiftRequest {
                shift: Some(shift(&anna.name, start, end)),
                parent: chain.store.clone(),
                request_id: uuid(),
            },
        ))
    };
    let gap = p
        .scheduling
        .clone()
        .upsert_shift(upsert("2027-03-28T02:30", "2027-03-28T08:00"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&gap), ["shift.start_local"]);
    assert!(gap.message().contains("does not exist"), "{gap:?}");

    // 02:30 happens twice on 2026-10-25: the second occurrence, picked by its offset, is
    // an hour later, so the shift to 06:00 is 3.5 h paid, not 4.5 h.
    let second = p
        .scheduling
        .clone()
        .upsert_shift(upsert("2026-10-25T02:30+01:00", "2026-10-25T06:00"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.start_local, "2026-10-25T02:30+01:00");
    assert_eq!(second.paid_duration.unwrap().seconds, 3 * 3600 + 1800);
}
