//! Faults a platform team meets, with nothing lost and nothing doubled: scheduling killed
//! without warning in the middle of an import (the other services' turns are in
//! `killed.rs`), NATS restarted and PostgreSQL gone for ten seconds under all four
//! services. Services say NOT_SERVING while a dependency is down and recover by themselves.

use std::time::Duration;

use breakroom_e2e::{
    platform::{Service, Wiring},
    private::{PrivateNats, PrivatePostgres},
};
use breakroom_proto::{
    feed::v1::{self as fd, feed_service_client::FeedServiceClient},
    notifications::v1::{self as nt, notification_service_client::NotificationServiceClient},
    scheduling::v1::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use breakroom_testing::{TestEnv, bearer, eventually};

use crate::{chain, roster, shared_wiring, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduling_killed_mid_import_and_restarted_loses_and_doubles_nothing_against_a_clean_rebuild()
 {
    let env = TestEnv::new().await;
    let mut platform = start(
        shared_wiring(&env),
        &[Service::Identity, Service::Scheduling],
    )
    .await;
    let chain = chain::onboard(platform.channel(Service::Identity).await.unwrap(), 12).await;
    let import = roster::next_week_import(&chain);
    let expected: usize = import.rosters.iter().map(|r| r.shifts.len()).sum();

    // The WFM system sends the import; scheduling dies while handling it.
    let scheduling = platform.channel(Service::Scheduling).await.unwrap();
    let mut request = bearer(&chain.wfm, import.clone());
    request
        .metadata_mut()
        .insert("breakroom-min-sequence", chain.position.parse().unwrap());
    let sent = tokio::spawn(async move {
        SchedulingServiceClient::new(scheduling)
            .import_roster(request)
            .await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    platform.kill(Service::Scheduling).await.unwrap();
    let _ = sent.await;
    platform.restart(Service::Scheduling).await.unwrap();

    // The client did not get (or did get) its answer: it retries with the same request id.
    let scheduling = platform.channel(Service::Scheduling).await.unwrap();
    let imported = eventually(Duration::from_secs(30), || {
        let scheduling = scheduling.clone();
        let request = bearer(&chain.wfm, import.clone());
        async move {
            SchedulingServiceClient::new(scheduling)
                .import_roster(request)
                .await
                .ok()
        }
    })
    .await;
    // Read-your-writes: the import's own token and identity's, on every read below.
    let positions = format!(
        "{},{}",
        chain.position,
        breakroom_testing::token(imported.metadata())
    );
    let mut before = Vec::new();
    for store in &chain.stores {
        let shifts = eventually(Duration::from_secs(30), || {
            let scheduling = scheduling.clone();
            let token = store.manager.token.clone();
            let store = store.name.clone();
            let positions = positions.clone();
            async move { Some(roster::store_shifts(&scheduling, &token, &positions, &store).await) }
        })
        .await;
        before.push(shifts);
    }
    let total: usize = before.iter().map(Vec::len).sum();
    assert_eq!(total, expected, "every imported shift exactly once");

    // A clean rebuild: a fresh scheduling on an empty database replays the stream and
    // answers exactly the same.
    platform.kill(Service::Scheduling).await.unwrap();
    let mut rebuilt = shared_wiring(&env);
    rebuilt.databases.insert(
        "scheduling",
        format!("{}_rebuilt", env.database_url("scheduling")),
    );
    let mut fresh = start(rebuilt, &[]).await;
    fresh
        .start(
            Service::Scheduling,
            &crate::service_env(Service::Scheduling),
        )
        .await
        .unwrap();
    let scheduling = fresh.channel(Service::Scheduling).await.unwrap();
    for (store, shifts) in chain.stores.iter().zip(&before) {
        let again = eventually(Duration::from_secs(30), || {
            let scheduling = scheduling.clone();
            let token = store.manager.token.clone();
            let store = store.name.clone();
            let positions = positions.clone();
            async move { Some(roster::store_shifts(&scheduling, &token, &positions, &store).await) }
        })
        .await;
        assert_eq!(
            &again, shifts,
            "the rebuild answers what the survivor answered"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_say_not_serving_while_nats_or_postgres_is_down_and_recover_by_themselves() {
    let mut nats = PrivateNats::start().await.unwrap();
    let postgres = PrivatePostgres::start().await.unwrap();
    let wiring = Wiring {
        namespace: "e2e".into(),
        nats_url: nats.url(),
        databases: ["identity", "scheduling", "feed", "notifications"]
            .into_iter()
            .map(|s| (s, postgres.url(&format!("breakroom_{s}"))))
            .collect(),
        env: vec![],
    };
    let services = [
        Service::Identity,
        Service::Scheduling,
        Service::Feed,
        Service::Notifications,
    ];
    let platform = start(wiring, &services).await;
    let chain = chain::onboard(platform.channel(Service::Identity).await.unwrap(), 4).await;
    let store = &chain.stores[0];
    let plan = |n: u32| pb::UpsertShiftRequest {
        parent: store.name.clone(),
        shift: Some(pb::Shift {
            employee: store.employees[0].name.clone(),
            start_local: format!("2031-03-{:02}T08:00", 3 + n),
            end_local: format!("2031-03-{:02}T12:00", 3 + n),
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    };

    // PostgreSQL stops for ten seconds.
    postgres.stop().await.unwrap();
    all_report(&platform, &services, false).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    postgres.resume().await.unwrap();
    all_report(&platform, &services, true).await;
    let scheduling = platform.channel(Service::Scheduling).await.unwrap();
    let upsert = |request: pb::UpsertShiftRequest| {
        let scheduling = scheduling.clone();
        let token = store.manager.token.clone();
        eventually(Duration::from_secs(20), move || {
            let scheduling = scheduling.clone();
            let request = bearer(&token, request.clone());
            async move {
                SchedulingServiceClient::new(scheduling)
                    .upsert_shift(request)
                    .await
                    .ok()
            }
        })
    };
    upsert(plan(0)).await;

    // NATS restarts.
    nats.stop().await.unwrap();
    all_report(&platform, &services, false).await;
    nats.resume().await.unwrap();
    all_report(&platform, &services, true).await;
    let planned = upsert(plan(1)).await;
    assert_eq!(planned.get_ref().start_local, "2031-03-04T08:00");
    // feed and notifications take writes again, and feed's reader sees the post at once.
    let feed = platform.channel(Service::Feed).await.unwrap();
    let request_id = uuid::Uuid::new_v4().to_string();
    let posted = eventually(Duration::from_secs(20), || {
        let feed = feed.clone();
        let request = bearer(
            &chain.hq.token,
            fd::CreatePostRequest {
                parent: format!("tenants/{}/groups/news", chain::TENANT),
                post: Some(fd::Post {
                    body: "Back after the outage".into(),
                    ..Default::default()
                }),
                request_id: request_id.clone(),
            },
        );
        async move { FeedServiceClient::new(feed).create_post(request).await.ok() }
    })
    .await;
    let mut timeline = bearer(
        &store.employees[0].token,
        fd::ListTimelineRequest {
            parent: format!("tenants/{}", chain::TENANT),
            ..Default::default()
        },
    );
    timeline.metadata_mut().insert(
        "breakroom-min-sequence",
        breakroom_testing::token(posted.metadata()).parse().unwrap(),
    );
    let items = FeedServiceClient::new(feed)
        .list_timeline(timeline)
        .await
        .unwrap()
        .into_inner()
        .items;
    assert!(
        items
            .iter()
            .any(|i| format!("{i:?}").contains(&posted.get_ref().name)),
        "the post is on the employee's timeline"
    );
    let notifications = platform.channel(Service::Notifications).await.unwrap();
    let person = &store.employees[0];
    let request_id = uuid::Uuid::new_v4().to_string();
    eventually(Duration::from_secs(20), || {
        let notifications = notifications.clone();
        let request = bearer(
            &person.token,
            nt::UpdatePreferencesRequest {
                preferences: Some(nt::Preferences {
                    name: format!("{}/preferences", person.name),
                    off_shift_quiet: true,
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["off_shift_quiet".into()],
                }),
                request_id: request_id.clone(),
            },
        );
        async move {
            NotificationServiceClient::new(notifications)
                .update_preferences(request)
                .await
                .ok()
        }
    })
    .await;
    // What was written before both outages is still there.
    let people = chain::people(&platform, &chain).await;
    assert_eq!(
        people.len(),
        1 + 3 * 4,
        "the HQ admin and every store's people, once"
    );
}

/// Waits until every one of `services` reports SERVING (`serving`) or NOT_SERVING.
async fn all_report(
    platform: &breakroom_e2e::platform::Platform,
    services: &[Service],
    serving: bool,
) {
    let timeout = Duration::from_secs(if serving { 60 } else { 20 });
    for service in services {
        platform
            .wait_status(*service, serving, timeout)
            .await
            .unwrap();
    }
}
