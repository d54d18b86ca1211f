//! A chain's week as its people live it, every service its own process: 120 people in
//! three stores (two time zones) onboarded and logged in from phones and desktops, next
//! week imported by the WFM system, two shifts amended after publishing, a swap offered,
//! accepted and approved, two people claiming one open shift at once — and one trace,
//! received by an OTLP collector inside the test, from a manager's PublishRoster through
//! scheduling and NATS.

use std::{collections::BTreeSet, time::Duration};

use breakroom_e2e::{collector::Collector, platform::Service};
use breakroom_proto::scheduling::v1::{
    self as pb, scheduling_service_client::SchedulingServiceClient, shift_claim, shift_diff,
    shift_swap,
};
use breakroom_testing::{TestEnv, bearer, reason, token};
use tonic::transport::Channel;

use crate::{
    after,
    announce::Outcome,
    chain::{self, Chain, Person},
    pushes::{self, Phones},
    roster, shared_wiring, start,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chains_week_runs_through_every_service_as_separate_processes() {
    let env = TestEnv::new().await;
    let collector = Collector::start().await.unwrap();
    let mut wiring = shared_wiring(&env);
    wiring.env = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), collector.endpoint()),
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()),
    ];
    let platform = start(
        wiring,
        &[
            Service::Identity,
            Service::Scheduling,
            Service::Feed,
            Service::Notifications,
        ],
    )
    .await;
    let chain = chain::onboard(platform.channel(Service::Identity).await.unwrap(), 40).await;
    assert_eq!(
        chain
            .stores
            .iter()
            .map(|s| s.employees.len() + 1)
            .sum::<usize>(),
        120
    );
    let scheduling = platform.channel(Service::Scheduling).await.unwrap();
    let notifications = platform.channel(Service::Notifications).await.unwrap();

    // Everyone's phone subscribes to pushes; one employee per store wants quiet off shift.
    let phones = Phones::register(&notifications, &chain).await;
    let quiet: Vec<&Person> = chain.stores.iter().map(|s| &s.employees[4]).collect();
    for person in &quiet {
        pushes::quiet_off_shift(&notifications, person, &chain.position).await;
    }

    // The WFM integration imports and publishes next week.
    let imported = SchedulingServiceClient::new(scheduling.clone())
        .import_roster(after(
            &chain.wfm,
            &chain.position,
            roster::next_week_import(&chain),
        ))
        .await
        .unwrap();
    let positions = format!("{},{}", chain.position, token(imported.metadata()));
    week_published_pushes(&phones, &notifications, &chain, &quiet, &positions).await;

    amend_two_shifts(&scheduling, &chain, &positions).await;
    swap_a_shift(&scheduling, &chain, &positions).await;
    claim_one_open_shift_twice_at_once(&scheduling, &chain, &positions).await;
    let feed = platform.channel(Service::Feed).await.unwrap();
    let announced = crate::announce::must_read(&feed, &chain, &chain.position, 10).await;
    announcement_pushes(&phones, &chain, &announced).await;
    phones.assert_each_push_once();
    inbox_holds_what_was_pushed(&phones, &notifications, &chain, &announced.position).await;
    one_trace_from_publish_roster(&scheduling, &chain, &collector, &env).await;
}

/// The published week reaches every scheduled employee's phone once, except those who
/// keep quiet off shift (they are off shift now: held, yet in their inbox).
async fn week_published_pushes(
    phones: &Phones,
    notifications: &Channel,
    chain: &Chain,
    quiet: &[&Person],
    positions: &str,
) {
    let quiet_names: BTreeSet<&str> = quiet.iter().map(|p| p.name.as_str()).collect();
    let scheduled: BTreeSet<String> = chain
        .stores
        .iter()
        .flat_map(|s| &s.employees)
        .map(|e| e.name.clone())
        .filter(|n| !quiet_names.contains(n.as_str()))
        .collect();
    phones.wait_all(&scheduled, "KIND_ROSTER_PUBLISHED").await;
    for name in &scheduled {
        assert_eq!(
            phones.of_kind(name, "KIND_ROSTER_PUBLISHED").len(),
            1,
            "{name}"
        );
    }
    for person in quiet {
        assert!(
            phones
                .of_kind(&person.name, "KIND_ROSTER_PUBLISHED")
                .is_empty(),
            "held off shift"
        );
        let inbox = pushes::inbox(notifications, person, positions).await;
        assert!(
            inbox.iter().any(|n| n.kind
                == breakroom_proto::notifications::v1::Kind::RosterPublished as i32),
            "the held notification is in the inbox: {inbox:?}"
        );
    }
}

/// The announcement reaches each reader who had not acknowledged it yet once, the
/// reminder exactly those who had not acknowledged, and nobody outside the audience.
async fn announcement_pushes(phones: &Phones, chain: &Chain, announced: &Outcome) {
    let pending: BTreeSet<String> = announced
        .audience
        .difference(&announced.acknowledged)
        .cloned()
        .collect();
    phones.wait_all(&pending, "KIND_ANNOUNCEMENT").await;
    phones
        .wait_all(&pending, "KIND_ACKNOWLEDGEMENT_REMINDER")
        .await;
    // Late duplicates would arrive within the push service's retry window.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for person in pushes::people(chain) {
        let name = &person.name;
        let announcements = phones.of_kind(name, "KIND_ANNOUNCEMENT").len();
        let reminders = phones.of_kind(name, "KIND_ACKNOWLEDGEMENT_REMINDER").len();
        if pending.contains(name) {
            assert_eq!((announcements, reminders), (1, 1), "{name}");
        } else if announced.acknowledged.contains(name) {
            // Acknowledged at once: the push may have been dropped before it went out.
            assert!(
                announcements <= 1 && reminders == 0,
                "{name}: {announcements}, {reminders}"
            );
        } else {
            assert_eq!(
                (announcements, reminders),
                (0, 0),
                "{name} is not in the audience"
            );
        }
    }
}

/// What reached a phone is in the person's inbox.
async fn inbox_holds_what_was_pushed(
    phones: &Phones,
    notifications: &Channel,
    chain: &Chain,
    positions: &str,
) {
    for store in &chain.stores {
        for person in [&store.manager, &store.employees[0], &store.employees[1]] {
            let inbox: BTreeSet<String> = pushes::inbox(notifications, person, positions)
                .await
                .into_iter()
                .map(|n| n.name.rsplit('/').next().unwrap_or_default().to_owned())
                .collect();
            for push in phones.push.delivered(&phones.devices[&person.name]) {
                let id = push.payload["id"].as_str().unwrap_or_default().to_owned();
                assert!(
                    inbox.contains(&id),
                    "pushed {id} ({}) is not in the inbox",
                    push.kind()
                );
            }
        }
    }
}

/// A manager moves two published shifts an hour later; each employee sees a notice with
/// the shift before and after.
async fn amend_two_shifts(scheduling: &Channel, chain: &Chain, positions: &str) {
    let store = &chain.stores[0];
    let shifts = roster::published(scheduling, &store.manager.token, positions, &store.name).await;
    for employee in &store.employees[..2] {
        let mut shift = shifts
            .iter()
            .find(|s| s.employee == employee.name)
            .cloned()
            .unwrap();
        let before = shift.start_local.clone();
        shift.start_local = shift.start_local.replace(":00", ":30");
        let changed = SchedulingServiceClient::new(scheduling.clone())
            .upsert_shift(bearer(
                &store.manager.token,
                pb::UpsertShiftRequest {
                    shift: Some(shift),
                    parent: String::new(),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await
            .unwrap();
        let own = format!("{positions},{}", token(changed.metadata()));
        let notices = SchedulingServiceClient::new(scheduling.clone())
            .list_my_change_notices(after(
                &employee.token,
                &own,
                pb::ListMyChangeNoticesRequest::default(),
            ))
            .await
            .unwrap()
            .into_inner()
            .shift_change_notices;
        let amendment = notices
            .iter()
            .flat_map(|n| &n.changes)
            .find(|c| c.kind == shift_diff::Kind::Changed as i32)
            .unwrap_or_else(|| panic!("no change notice for {}: {notices:?}", employee.name));
        assert_eq!(amendment.before.as_ref().unwrap().start_local, before);
        assert!(
            amendment
                .after
                .as_ref()
                .unwrap()
                .start_local
                .ends_with(":30")
        );
    }
}

/// An employee offers a shift to a colleague of the same department, who accepts; the
/// manager approves and the shift is the colleague's.
async fn swap_a_shift(scheduling: &Channel, chain: &Chain, positions: &str) {
    let store = &chain.stores[1];
    let (giver, taker) = (&store.employees[0], &store.employees[2]);
    assert_eq!(giver.department, taker.department);
    let shifts = roster::published(scheduling, &store.manager.token, positions, &store.name).await;
    let shift = shifts.iter().find(|s| s.employee == giver.name).unwrap();
    let client = || SchedulingServiceClient::new(scheduling.clone());
    let offered = client()
        .offer_shift(bearer(
            &giver.token,
            pb::OfferShiftRequest {
                shift: shift.name.clone(),
                offered_to: taker.name.clone(),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    client()
        .accept_shift_offer(bearer(
            &taker.token,
            pb::AcceptShiftOfferRequest {
                name: offered.name.clone(),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    let approved = client()
        .decide_swap(bearer(
            &store.manager.token,
            pb::DecideSwapRequest {
                name: offered.name,
                approve: true,
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    assert_eq!(approved.get_ref().state, shift_swap::State::Approved as i32);
    let own = format!("{positions},{}", token(approved.metadata()));
    let after_swap = roster::published(scheduling, &store.manager.token, &own, &store.name).await;
    let moved = after_swap.iter().find(|s| s.name == shift.name).unwrap();
    assert_eq!(moved.employee, taker.name);
}

/// Two checkout employees claim the store's open checkout shift at the same moment:
/// exactly one gets it.
async fn claim_one_open_shift_twice_at_once(scheduling: &Channel, chain: &Chain, positions: &str) {
    let store = &chain.stores[2];
    let claimants: Vec<_> = store
        .employees
        .iter()
        .filter(|e| e.department == "checkout")
        .take(2)
        .collect();
    let open = SchedulingServiceClient::new(scheduling.clone())
        .list_open_shifts(after(
            &claimants[0].token,
            positions,
            pb::ListOpenShiftsRequest {
                parent: store.name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .shifts;
    let shift = open.first().expect("the Saturday open shift").name.clone();
    let claims = claimants.iter().map(|claimant| {
        let mut client = SchedulingServiceClient::new(scheduling.clone());
        let request = bearer(
            &claimant.token,
            pb::ClaimOpenShiftRequest {
                shift: shift.clone(),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        );
        async move { client.claim_open_shift(request).await }
    });
    let results = futures::future::join_all(claims).await;
    let won: Vec<_> = results
        .iter()
        .filter(|r| matches!(r, Ok(c) if c.get_ref().state == shift_claim::State::Approved as i32))
        .collect();
    assert_eq!(won.len(), 1, "exactly one claim wins: {results:?}");
    let lost = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(lost.code(), tonic::Code::FailedPrecondition);
    assert_eq!(reason(lost), "SHIFT_NOT_OPEN");
}

/// A manager publishes a week with a `traceparent` of their own; the collector receives
/// the SERVER span of PublishRoster, the PRODUCER span of its append, the CONSUMER spans
/// of the projectors (notifications' routing among them) and the CLIENT span of the push
/// request to the employee's phone, all in that one trace.
async fn one_trace_from_publish_roster(
    scheduling: &Channel,
    chain: &Chain,
    collector: &Collector,
    env: &TestEnv,
) {
    let store = &chain.stores[0];
    let (_, monday) = roster::next_week();
    let later = monday.checked_add(jiff::Span::new().days(14)).unwrap();
    let week = later.iso_week_date();
    let roster = format!(
        "{}/rosters/{:04}-W{:02}",
        store.name,
        week.year(),
        week.week()
    );
    SchedulingServiceClient::new(scheduling.clone())
        .upsert_shift(bearer(
            &store.manager.token,
            pb::UpsertShiftRequest {
                parent: store.name.clone(),
                shift: Some(pb::Shift {
                    employee: store.employees[5].name.clone(),
                    start_local: format!("{later}T09:00"),
                    end_local: format!("{later}T13:00"),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    let trace_id = format!("{:032x}", rand_u128());
    let mut request = bearer(
        &store.manager.token,
        pb::PublishRosterRequest {
            name: roster,
            request_id: uuid::Uuid::new_v4().to_string(),
        },
    );
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{:016x}-01", rand_u128() as u64)
            .parse()
            .unwrap(),
    );
    SchedulingServiceClient::new(scheduling.clone())
        .publish_roster(request)
        .await
        .unwrap();

    let trace = hex(&trace_id);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let spans = loop {
        let spans: Vec<_> = collector
            .spans()
            .into_iter()
            .filter(|s| s.span.trace_id == trace)
            .collect();
        // Done when the push request itself (notifications' CLIENT span) has arrived.
        if spans
            .iter()
            .any(|s| s.span.kind == 3 && s.service == "breakroom-notifications")
        {
            break spans;
        }
        let names: Vec<_> = spans
            .iter()
            .map(|s| (s.service.as_str(), s.span.name.as_str(), s.span.kind))
            .collect();
        assert!(
            std::time::Instant::now() < deadline,
            "no push request in the trace after 20 s; the trace has {names:?}; {} spans received in all",
            collector.spans().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let server = spans
        .iter()
        .find(|s| s.span.name == "breakroom.scheduling.v1.SchedulingService/PublishRoster")
        .expect("the server span");
    assert_eq!(server.service, "breakroom-scheduling");
    assert_eq!(server.span.kind, 2, "SERVER");
    assert_eq!(server.attribute("rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        server.attribute("rpc.method").as_deref(),
        Some("PublishRoster")
    );
    assert_eq!(
        server.value("rpc.grpc.status_code"),
        Some(opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(0))
    );
    let producer = spans
        .iter()
        .find(|s| s.span.kind == 4)
        .expect("a PRODUCER span");
    assert_eq!(
        producer.span.name,
        format!("publish {}.scheduling.roster", env.namespace.as_str())
    );
    assert_eq!(producer.span.parent_span_id, server.span.span_id);
    assert_eq!(
        producer.attribute("messaging.system").as_deref(),
        Some("nats")
    );
    let consumer = spans.iter().find(|s| s.span.kind == 5).unwrap();
    assert_eq!(consumer.span.parent_span_id, producer.span.span_id);
    assert_eq!(
        consumer.attribute("messaging.destination.name"),
        producer.attribute("messaging.destination.name")
    );
    // Notifications' routing consumed the commit, and the push request to the employee's
    // phone continues from there: one trace from the manager's click to the phone.
    let routed = spans
        .iter()
        .find(|s| s.span.kind == 5 && s.service == "breakroom-notifications")
        .expect("notifications' CONSUMER span");
    assert_eq!(routed.span.parent_span_id, producer.span.span_id);
    let push = spans
        .iter()
        .find(|s| s.span.kind == 3 && s.service == "breakroom-notifications")
        .unwrap();
    assert_eq!(push.span.name, "POST");
    assert_eq!(push.span.parent_span_id, routed.span.span_id);
    assert_eq!(
        push.value("http.response.status_code"),
        Some(opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(201))
    );
}

fn rand_u128() -> u128 {
    uuid::Uuid::new_v4().as_u128()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}
