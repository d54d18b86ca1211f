//! Groups and colleagues through the web app: the person's groups with one group's
//! posts and "New post" preset to it, and the store's people with who is on shift now.

use std::time::Duration;

use breakroom_e2e::platform::Service;
use breakroom_proto::{
    feed::v1::{self as feed, feed_service_client::FeedServiceClient},
    scheduling::v1::{self as scheduling, scheduling_service_client::SchedulingServiceClient},
};
use breakroom_testing::bearer;

use crate::{Stack, activate, browser::Browser, onboard};

/// Polls `path` until its body holds `text` (30 s; the last page is shown if not).
async fn until_contains(browser: &mut Browser, path: &str, text: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page = browser.get(path).await;
        if page.status == 200 && page.body.contains(text) {
            return page.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} never showed {text}: {} {}",
            page.status,
            page.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_finds_their_groups_and_who_is_on_shift_now() {
    let stack = Stack::start(Duration::from_secs(60)).await;
    let identity = stack.channel(Service::Identity).await;
    let feed_channel = stack.channel(Service::Feed).await;
    let scheduling_channel = stack.channel(Service::Scheduling).await;
    let chain = onboard::onboard(&identity, "web-groups").await;
    let store_id = chain.store.rsplit('/').next().unwrap().to_owned();
    let group = format!("tenants/{}/groups/store-{store_id}", chain.tenant);

    // HQ posts in the store's group.
    let mut posting = bearer(
        &chain.hq,
        feed::CreatePostRequest {
            parent: group.clone(),
            post: Some(feed::Post {
                body: "Nieuwe koffiemachine in de kantine".into(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        },
    );
    posting
        .metadata_mut()
        .insert("breakroom-min-sequence", chain.position.parse().unwrap());
    FeedServiceClient::new(feed_channel.clone())
        .create_post(posting)
        .await
        .unwrap();

    // Daan works right now: from an hour ago until two hours from now, store time.
    let now =
        jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap());
    let minute = |z: jiff::Zoned| z.datetime().strftime("%Y-%m-%dT%H:%M").to_string();
    let start = now
        .checked_sub(jiff::SignedDuration::from_hours(1))
        .unwrap();
    let end = now
        .checked_add(jiff::SignedDuration::from_hours(2))
        .unwrap();
    let iso = start.date().iso_week_date();
    let mut import = bearer(
        &chain.hq,
        scheduling::ImportRosterRequest {
            parent: format!("tenants/{}", chain.tenant),
            rosters: vec![scheduling::RosterImport {
                roster: format!(
                    "{}/rosters/{:04}-W{:02}",
                    chain.store,
                    iso.year(),
                    iso.week()
                ),
                shifts: vec![scheduling::Shift {
                    employee: chain.colleague.name.clone(),
                    start_local: minute(start),
                    end_local: minute(end.clone()),
                    position: "Vers".into(),
                    external_id: "now".into(),
                    ..Default::default()
                }],
                full_week: false,
            }],
            csv: String::new(),
            publish: true,
            request_id: uuid::Uuid::new_v4().to_string(),
        },
    );
    import
        .metadata_mut()
        .insert("breakroom-min-sequence", chain.position.parse().unwrap());
    SchedulingServiceClient::new(scheduling_channel.clone())
        .import_roster(import)
        .await
        .unwrap();

    let mut sanne = Browser::new(stack.web);
    activate(&mut sanne, &chain).await;
    let home = sanne.get("/").await;
    assert!(home.body.contains(r#"href="/groups""#), "{}", home.body);
    assert!(home.body.contains(r#"href="/colleagues""#), "{}", home.body);

    // Her groups, then the store's group with the post and its own "New post".
    let groups = until_contains(&mut sanne, "/groups", "Utrecht Centrum").await;
    assert!(
        groups.contains(&format!(r#"href="/groups/store-{store_id}""#)),
        "{groups}"
    );
    let store_group = until_contains(
        &mut sanne,
        &format!("/groups/store-{store_id}"),
        "Nieuwe koffiemachine in de kantine",
    )
    .await;
    let compose = format!("/new?group={}", group.replace('/', "%2F"));
    assert!(
        store_group.contains(&compose.replace("%2F", "/")) || store_group.contains(&compose),
        "New post in this group: {store_group}"
    );
    let form = sanne.get(&format!("/new?group={group}")).await;
    assert!(
        form.body
            .contains(&format!(r#"<option value="{group}" selected>"#)),
        "{}",
        form.body
    );
    // She posts there mentioning Daan: he finds it in his inbox.
    let composed = until_contains(&mut sanne, &format!("/new?group={group}"), "Daan Jansen").await;
    let csrf = {
        let marker = r#"name="csrf" value=""#;
        let from = composed.find(marker).unwrap() + marker.len();
        composed[from..from + composed[from..].find('"').unwrap()].to_owned()
    };
    let posted = sanne
        .post(
            "/new",
            &[
                ("csrf", csrf.as_str()),
                ("group", group.as_str()),
                ("title", ""),
                ("body", "Wie neemt zaterdag de bakkerij over?"),
                ("mention", chain.colleague.name.as_str()),
            ],
        )
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let mut daan = Browser::new(stack.web);
    let signin = daan.get("/signin").await;
    let signed = crate::browser::submit(
        &mut daan,
        &signin,
        "/signin",
        &[
            ("tenant", chain.tenant.as_str()),
            ("login", chain.colleague.email.as_str()),
            ("password", onboard::PASSWORD),
            ("next", "/inbox"),
        ],
    )
    .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    until_contains(&mut daan, "/inbox", "Je bent genoemd").await;

    // Another store's group, or one that does not exist, is a 404 (a URL names only
    // groups of the person's own chain).
    let other = onboard::other_store_post(&identity, &feed_channel, &chain).await;
    let other_group = other
        .split("/posts/")
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    assert_eq!(
        sanne.get(&format!("/groups/{other_group}")).await.status,
        404
    );
    assert_eq!(sanne.get("/groups/no-such-group").await.status, 404);

    // Colleagues: Daan is on shift until the shift's end; Sanne is listed too.
    let until = end.strftime("%H:%M").to_string();
    let colleagues = until_contains(&mut sanne, "/colleagues", &format!("werkt tot {until}")).await;
    assert!(colleagues.contains("Daan Jansen"), "{colleagues}");
    assert!(colleagues.contains("1 persoon werkt nu"), "{colleagues}");
    assert!(colleagues.contains("Sanne de Vries"), "{colleagues}");
}
