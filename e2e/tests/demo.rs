//! The demo chain `cargo dev up` seeds, seeded on a platform of processes through the
//! public APIs, then seeded again (reused, nothing rewritten); its people log in with the
//! printed password and see their roster, their feed and the announcement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use breakroom_e2e::{
    demo::{self, Addrs},
    platform::{OPERATOR_TOKEN, Platform, Service, Wiring},
};
use breakroom_proto::{
    feed::v1::{self as feed, feed_service_client::FeedServiceClient},
    scheduling::v1::{self as scheduling, scheduling_service_client::SchedulingServiceClient},
};
use breakroom_testing::{TestEnv, bearer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_chain_is_seeded_once_through_the_apis_and_its_people_can_use_it() {
    let env = TestEnv::new().await;
    let mut platform = Platform::new(Wiring::in_namespace(
        env.namespace.as_str(),
        &env.nats_url,
        |s| env.database_url(s),
    ));
    let key = std::env::temp_dir().join(format!("breakroom-demo-vapid-{}", env.namespace.as_str()));
    let key = key.to_str().unwrap().to_owned();
    for (service, vars) in [
        (
            Service::Identity,
            vec![
                ("BREAKROOM_OPERATOR_TOKEN", OPERATOR_TOKEN),
                (
                    "BREAKROOM_SIGNING_KEY",
                    "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
                ),
                ("BREAKROOM_ARGON2_MEMORY_KIB", "4096"),
                ("BREAKROOM_ARGON2_ITERATIONS", "1"),
            ],
        ),
        (
            Service::Scheduling,
            vec![("BREAKROOM_CALENDAR_LISTEN_ADDR", "127.0.0.1:0")],
        ),
        (Service::Feed, vec![]),
        (
            Service::Notifications,
            vec![("BREAKROOM_VAPID_PRIVATE_KEY_FILE", key.as_str())],
        ),
    ] {
        platform.start(service, &vars).await.unwrap();
    }
    let addrs = Addrs {
        identity: platform.addr(Service::Identity).to_string(),
        scheduling: platform.addr(Service::Scheduling).to_string(),
        feed: platform.addr(Service::Feed).to_string(),
        notifications: platform.addr(Service::Notifications).to_string(),
    };
    demo::ensure(&addrs, OPERATOR_TOKEN).await.unwrap();
    // A second `up` finds the chain and reuses it.
    demo::ensure(&addrs, OPERATOR_TOKEN).await.unwrap();

    let employee = demo::login(&addrs.identity, "employee01.ams@demo.example")
        .await
        .unwrap();
    let notices =
        SchedulingServiceClient::new(platform.channel(Service::Scheduling).await.unwrap())
            .list_my_change_notices(bearer(
                &employee,
                scheduling::ListMyChangeNoticesRequest::default(),
            ))
            .await
            .unwrap()
            .into_inner()
            .shift_change_notices;
    assert!(
        !notices.is_empty(),
        "this week's and next week's rosters are out"
    );
    let timeline = breakroom_testing::eventually(std::time::Duration::from_secs(20), || {
        let feed = platform.channel(Service::Feed);
        let employee = employee.clone();
        async move {
            let items = FeedServiceClient::new(feed.await.ok()?)
                .list_timeline(bearer(
                    &employee,
                    feed::ListTimelineRequest {
                        parent: format!("tenants/{}", demo::TENANT),
                        page_size: 50,
                        ..Default::default()
                    },
                ))
                .await
                .ok()?
                .into_inner()
                .items;
            (items.len() >= 2).then_some(items)
        }
    })
    .await;
    assert!(
        timeline.len() >= 2,
        "the announcement and the store's post: {timeline:?}"
    );
    let _ = std::fs::remove_file(&key);
}
