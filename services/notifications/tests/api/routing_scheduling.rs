//! Routing scheduling's events with the real scheduling service: a published week to each
//! scheduled employee with a summary, an open shift to who may claim it, an amendment to
//! the affected employee (urgent within 24 h, so it breaks through quiet hours),
//! acknowledging the change clears it; swaps to their target and back to who asked, and a
//! time-off decision to the requester; the manager who acts is never told.

use std::time::Duration;

use breakroom_proto::{notifications::v1 as pb, scheduling::v1 as sc};
use breakroom_testing::eventually;

use crate::support::*;

fn zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap()
}

/// Store-local `YYYY-MM-DDTHH:MM`, `minutes` from now (rounded to the minute).
fn local(minutes: i64) -> String {
    let at = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes)).to_zoned(zone());
    format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute())
}

fn shift(employee: &str, start: i64, hours: i64) -> sc::Shift {
    sc::Shift {
        employee: employee.into(),
        start_local: local(start),
        end_local: local(start + hours * 60),
        position: "Cashier".into(),
        department_id: "checkout".into(),
        ..Default::default()
    }
}

async fn upsert(p: &Platform, token: &str, store: &str, s: sc::Shift) -> sc::Shift {
    p.once_known(|| {
        let mut client = p.scheduling.clone().unwrap();
        let request = p.people.with_token(bearer(
            token,
            sc::UpsertShiftRequest {
                shift: Some(s.clone()),
                parent: store.into(),
                request_id: uuid(),
            },
        ));
        async move {
            match client.upsert_shift(request).await {
                Err(s)
                    if s.code() == tonic::Code::InvalidArgument && s.message().contains("not") =>
                {
                    Err(tonic::Status::unauthenticated("not known yet"))
                }
                other => other.map(|r| r.into_inner()),
            }
        }
    })
    .await
}

async fn publish(p: &Platform, token: &str, roster: &str) {
    p.scheduling
        .clone()
        .unwrap()
        .publish_roster(bearer(
            token,
            sc::PublishRosterRequest {
                name: roster.into(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
}

fn of_kind(got: &[Received], kind: &str) -> Vec<Received> {
    got.iter().filter(|r| r.kind() == kind).cloned().collect()
}

#[tokio::test]
async fn a_week_an_open_shift_and_an_urgent_amendment_reach_the_right_people_once() {
    let p = Platform::with_scheduling().await;
    let chain = p.chain("rosters").await;
    let t = chain.tenant.clone();
    let anna = p.employee(&chain, "anna@rosters.example").await;
    let ben = p.employee(&chain, "ben@rosters.example").await;
    let (anna_phone, ben_phone) = (p.device(&t, &anna).await, p.device(&t, &ben).await);
    let admin_phone = p.device(&t, &chain.admin).await;
    let token = chain.admin.token.clone();
    let soon = upsert(&p, &token, &chain.store, shift(&anna.name, 180, 4)).await;
    let bens = upsert(&p, &token, &chain.store, shift(&ben.name, 200, 3)).await;
    let open = upsert(&p, &token, &chain.store, shift("", 240, 2)).await;
    // Late on a Sunday the three may fall in two weeks: publish each once.
    let mut rosters = vec![soon.roster.clone(), bens.roster, open.roster];
    rosters.sort();
    rosters.dedup();
    for roster in rosters {
        publish(&p, &token, &roster).await;
    }

    let anna_got = p.push.wait_for(&anna_phone, 2).await;
    let week = of_kind(&anna_got, "KIND_ROSTER_PUBLISHED");
    assert_eq!(week.len(), 1, "{anna_got:?}");
    assert_eq!(week[0].field("shift_count"), "1");
    assert_eq!(week[0].field("minutes"), "240");
    assert_eq!(of_kind(&anna_got, "KIND_OPEN_SHIFT").len(), 1);
    let ben_got = p.push.wait_for(&ben_phone, 2).await;
    assert_eq!(
        of_kind(&ben_got, "KIND_ROSTER_PUBLISHED")[0].field("minutes"),
        "180"
    );
    assert_eq!(
        of_kind(&ben_got, "KIND_OPEN_SHIFT")[0].field("department_id"),
        "checkout"
    );

    // Anna goes quiet; her shift in three hours moves: urgent, so it still arrives.
    p.prefer(
        &t,
        &anna,
        pb::Preferences {
            quiet_hours: Some(pb::QuietHours {
                enabled: true,
                start: local(-60)[11..].into(),
                end: local(600)[11..].into(),
            }),
            ..Default::default()
        },
    )
    .await;
    // An hour later, or an hour earlier when later would leave its week (late on a
    // Sunday): a shift stays in its week.
    let iso_week = |local: &str| {
        let date: jiff::civil::Date = local[..10].parse().unwrap();
        let week = date.iso_week_date();
        (week.year(), week.week())
    };
    let to = if iso_week(&local(240)) == iso_week(&soon.start_local) {
        240
    } else {
        120
    };
    let moved = sc::Shift {
        name: soon.name.clone(),
        start_local: local(to),
        end_local: local(to + 240),
        ..shift(&anna.name, to, 4)
    };
    upsert(&p, &token, &chain.store, moved.clone()).await;
    let anna_got = p.push.wait_for(&anna_phone, 3).await;
    let change = &anna_got[2];
    assert_eq!(change.kind(), "KIND_SHIFT_CHANGED");
    assert_eq!(change.payload["urgent"], true);
    assert_eq!(change.urgency, "high");
    assert_eq!(change.field("before_start"), soon.start_local);
    assert_eq!(change.field("after_start"), moved.start_local);
    assert!(
        p.push.received(&admin_phone).is_empty(),
        "the manager acting is never told"
    );

    // Anna acknowledges the change in scheduling: the item is read here too.
    let notices = p
        .scheduling
        .clone()
        .unwrap()
        .list_my_change_notices(bearer(
            &anna.token,
            sc::ListMyChangeNoticesRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
        .shift_change_notices;
    let notice = notices
        .iter()
        .find(|n| n.name.ends_with(&change.field("notice_id")))
        .expect("the notice");
    p.scheduling
        .clone()
        .unwrap()
        .acknowledge_shift_change(bearer(
            &anna.token,
            sc::AcknowledgeShiftChangeRequest {
                name: notice.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    eventually(Duration::from_secs(10), || async {
        let inbox = p.inbox(&t, &anna).await;
        inbox
            .iter()
            .any(|n| n.kind == pb::Kind::ShiftChanged as i32 && n.read_time.is_some())
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn swaps_reach_their_target_and_decisions_reach_who_asked() {
    let p = Platform::with_scheduling().await;
    let chain = p.chain("swaps").await;
    let t = chain.tenant.clone();
    let anna = p.employee(&chain, "anna@swaps.example").await;
    let ben = p.employee(&chain, "ben@swaps.example").await;
    let (anna_phone, ben_phone) = (p.device(&t, &anna).await, p.device(&t, &ben).await);
    let token = chain.admin.token.clone();
    let planned = upsert(&p, &token, &chain.store, shift(&anna.name, 3 * 24 * 60, 8)).await;
    publish(&p, &token, &planned.roster).await;
    p.push.wait_for(&anna_phone, 1).await;
    let mut scheduling = p.scheduling.clone().unwrap();
    let swap = scheduling
        .offer_shift(bearer(
            &anna.token,
            sc::OfferShiftRequest {
                shift: planned.name.clone(),
                offered_to: ben.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let got = p.push.wait_for(&ben_phone, 1).await;
    assert_eq!(got[0].kind(), "KIND_SWAP_OFFERED");
    assert_eq!(got[0].field("offered_by"), anna.id);
    scheduling
        .accept_shift_offer(bearer(
            &ben.token,
            sc::AcceptShiftOfferRequest {
                name: swap.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    scheduling
        .decide_swap(bearer(
            &token,
            sc::DecideSwapRequest {
                name: swap.name.clone(),
                approve: true,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let got = p.push.wait_for(&anna_phone, 3).await;
    let decided = of_kind(&got, "KIND_SWAP_DECIDED");
    assert_eq!(decided.len(), 1, "{got:?}");
    assert_eq!(decided[0].field("approved"), "true");
    assert_eq!(
        of_kind(&got, "KIND_SHIFT_CHANGED")[0].field("change"),
        "removed"
    );
    let got = p.push.wait_for(&ben_phone, 2).await;
    assert_eq!(got[1].kind(), "KIND_SHIFT_CHANGED");
    assert_eq!(got[1].field("change"), "added");

    // Time off: decided by the manager, told to Anna.
    let date = (jiff::Zoned::now().date() + jiff::Span::new().days(20)).to_string();
    let asked = scheduling
        .request_time_off(bearer(
            &anna.token,
            sc::RequestTimeOffRequest {
                parent: anna.name.clone(),
                time_off_request: Some(sc::TimeOffRequest {
                    store: chain.store.clone(),
                    start_date: date.clone(),
                    end_date: date.clone(),
                    reason: "Wedding".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    scheduling
        .decide_time_off(bearer(
            &token,
            sc::DecideTimeOffRequest {
                name: asked.name,
                approve: false,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let got = p.push.wait_for(&anna_phone, 4).await;
    assert_eq!(got[3].kind(), "KIND_TIME_OFF_DECIDED");
    assert_eq!(got[3].field("approved"), "false");
    assert_eq!(got[3].field("start_date"), date);
}

#[tokio::test]
async fn a_claim_decided_by_a_manager_reaches_the_claimant() {
    use breakroom_scheduling::config::ClaimPolicy;
    let p = Platform::spawn_full(
        Some(|c: &mut breakroom_scheduling::config::SchedulingConfig| {
            c.claim_policy = ClaimPolicy::Approval
        }),
        |_| {},
    )
    .await;
    let chain = p.chain("claims").await;
    let t = chain.tenant.clone();
    let ben = p.employee(&chain, "ben@claims.example").await;
    let ben_phone = p.device(&t, &ben).await;
    let token = chain.admin.token.clone();
    let open = upsert(&p, &token, &chain.store, shift("", 3 * 24 * 60, 6)).await;
    publish(&p, &token, &open.roster).await;
    assert_eq!(
        p.push.wait_for(&ben_phone, 1).await[0].kind(),
        "KIND_OPEN_SHIFT"
    );
    let mut scheduling = p.scheduling.clone().unwrap();
    let claim = scheduling
        .claim_open_shift(bearer(
            &ben.token,
            sc::ClaimOpenShiftRequest {
                shift: open.name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    scheduling
        .decide_claim(bearer(
            &token,
            sc::DecideClaimRequest {
                name: claim.name.clone(),
                approve: true,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let got = p.push.wait_for(&ben_phone, 3).await;
    let decided = of_kind(&got, "KIND_CLAIM_DECIDED");
    assert_eq!(decided.len(), 1, "{got:?}");
    assert_eq!(decided[0].field("approved"), "true");
    assert_eq!(
        of_kind(&got, "KIND_SHIFT_CHANGED")[0].field("change"),
        "added"
    );
}
