//! The managers' screens through the web app: a store manager plans, publishes and
//! amends a week, decides a time-off request, announces a must-read, follows who has
//! read it (CSV too) and reminds the others, and clears the moderation queue; an employee
//! reaches none of it.

use std::time::Duration;

use breakroom_e2e::platform::Service;
use breakroom_proto::{
    feed::v1::{self as feed, feed_service_client::FeedServiceClient},
    scheduling::v1::{self as scheduling, scheduling_service_client::SchedulingServiceClient},
};
use breakroom_testing::{bearer, eventually};

use crate::{
    Stack, activate, assert_security_headers,
    browser::{Browser, Page, hidden_in, submit},
    onboard,
};

/// The first `href` on `page` that starts with `prefix`.
fn link(page: &Page, prefix: &str) -> String {
    let marker = format!(r#"href="{prefix}"#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no link {prefix}: {}", page.body))
        + r#"href=""#.len();
    let end = page.body[start..].find('"').unwrap();
    page.body[start..start + end].to_owned()
}

/// Signs `email` in through the sign-in form, landing on Manage.
async fn sign_in(browser: &mut Browser, tenant: &str, email: &str) {
    sign_in_to(browser, tenant, email, "/manage").await;
}

/// Signs `email` in through the sign-in form, landing on `next`.
async fn sign_in_to(browser: &mut Browser, tenant: &str, email: &str, next: &str) {
    let form = browser.get("/signin").await;
    let done = submit(
        browser,
        &form,
        "/signin",
        &[
            ("tenant", tenant),
            ("login", email),
            ("password", onboard::PASSWORD),
            ("next", next),
        ],
    )
    .await;
    assert_eq!((done.status, done.location()), (303, next), "{}", done.body);
}

/// GETs `path` until `ready` holds for its body (30 s; the last page is shown if not).
async fn until(browser: &Browser, path: &str, ready: impl Fn(&str) -> bool) -> Page {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut browser = browser.clone();
    loop {
        let page = browser.get(path).await;
        if page.status == 200 && ready(&page.body) {
            return page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} never became ready: {} {}",
            page.status,
            page.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_manager_plans_publishes_amends_and_decides_through_the_web_app() {
    let stack = Stack::start(Duration::from_secs(60)).await;
    let identity = stack.channel(Service::Identity).await;
    let scheduling_channel = stack.channel(Service::Scheduling).await;
    let chain = onboard::onboard(&identity, "web-plan").await;
    let manager = onboard::store_manager(&identity, &chain).await;
    let store_id = chain.store.rsplit('/').next().unwrap().to_owned();
    let (week, monday) = onboard::next_week();

    let mut boss = Browser::new(stack.web);
    sign_in(&mut boss, &chain.tenant, &manager).await;
    // The navigation offers Manage; the store is listed once identity's replica has it.
    let hub = until(&boss, "/manage", |b| b.contains("Utrecht Centrum")).await;
    assert_security_headers(&hub, "Manage");
    assert!(hub.body.contains(r#"href="/manage" aria-current="page""#));
    let week_path = format!("/manage/stores/{store_id}/week?week={week}");
    let empty = boss.get(&week_path).await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(
        empty
            .body
            .contains("Concept: medewerkers zien deze week nog niet"),
        "a week never published is a draft: {}",
        empty.body
    );

    // A shift for Daan on Tuesday; a bad one is refused next to its field.
    let tuesday = monday.checked_add(jiff::Span::new().days(1)).unwrap();
    let shifts = format!("/manage/stores/{store_id}/shifts");
    let refused = submit(
        &mut boss,
        &empty,
        &shifts,
        &[
            ("week", &week),
            ("employee", &chain.colleague.name),
            ("day", &tuesday.to_string()),
            ("start", "09:00"),
            ("end", "late"),
        ],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="times-error""#),
        "{}",
        refused.body
    );
    let added = submit(
        &mut boss,
        &empty,
        &shifts,
        &[
            ("week", &week),
            ("employee", &chain.colleague.name),
            ("day", &tuesday.to_string()),
            ("start", "09:00"),
            ("end", "13:00"),
            ("position", "Vers"),
            ("unpaid_break", "0"),
            ("note", ""),
        ],
    )
    .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let planned = until(&boss, &week_path, |b| b.contains("Daan Jansen")).await;
    assert!(planned.body.contains("09:00–13:00"), "{}", planned.body);
    assert!(planned.body.contains("Nog niet gepubliceerd"));

    // Publish: Daan sees the shift in scheduling.
    let published = submit(
        &mut boss,
        &planned,
        &format!("/manage/stores/{store_id}/publish"),
        &[("week", &week)],
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let after = until(&boss, &week_path, |b| b.contains("Gepubliceerd")).await;
    assert!(
        after
            .body
            .contains("Medewerkers zien alles wat gepland is."),
        "{}",
        after.body
    );

    // Amend it: 09:00–14:00, published again; Daan gets a change notice.
    let edit = boss
        .get(&link(&after, &format!("/manage/stores/{store_id}/shifts/")))
        .await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    assert!(edit.body.contains(r#"value="09:00""#), "{}", edit.body);
    let action = link_action(&edit);
    let amended = submit(
        &mut boss,
        &edit,
        &action,
        &[
            ("week", &week),
            ("employee", &chain.colleague.name),
            ("day", &tuesday.to_string()),
            ("start", "09:00"),
            ("end", "14:00"),
            ("position", "Vers"),
        ],
    )
    .await;
    assert_eq!(amended.status, 303, "{}", amended.body);
    let changed = until(&boss, &week_path, |b| b.contains("09:00–14:00")).await;
    if changed.body.contains("Week publiceren") {
        let again = submit(
            &mut boss,
            &changed,
            &format!("/manage/stores/{store_id}/publish"),
            &[("week", &week)],
        )
        .await;
        assert_eq!(again.status, 303, "{}", again.body);
    }
    let daan = onboard::login(&identity, &chain.tenant, &chain.colleague.email).await;
    let mut client = SchedulingServiceClient::new(scheduling_channel.clone());
    let notices = eventually(Duration::from_secs(30), || {
        let mut client = client.clone();
        let daan = daan.clone();
        async move {
            let notices = client
                .list_my_change_notices(bearer(
                    &daan,
                    scheduling::ListMyChangeNoticesRequest::default(),
                ))
                .await
                .ok()?
                .into_inner()
                .shift_change_notices;
            notices
                .iter()
                .any(|n| {
                    n.changes.iter().any(|c| {
                        c.after
                            .as_ref()
                            .is_some_and(|s| s.end_local.ends_with("T14:00"))
                    })
                })
                .then_some(notices)
        }
    })
    .await;
    assert!(!notices.is_empty());

    // Daan asks for time off; the manager approves it on the requests page.
    let start = monday.checked_add(jiff::Span::new().days(14)).unwrap();
    client
        .request_time_off(bearer(
            &daan,
            scheduling::RequestTimeOffRequest {
                parent: chain.colleague.name.clone(),
                time_off_request: Some(scheduling::TimeOffRequest {
                    store: chain.store.clone(),
                    start_date: start.to_string(),
                    end_date: start.to_string(),
                    reason: "Bruiloft van mijn zus".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    let requests_path = format!("/manage/stores/{store_id}/requests");
    let requests = until(&boss, &requests_path, |b| {
        b.contains("Bruiloft van mijn zus")
    })
    .await;
    let request_name = {
        let marker = r#"name="name" value=""#;
        let from = requests.body.find(marker).unwrap() + marker.len();
        let to = requests.body[from..].find('"').unwrap();
        requests.body[from..from + to].to_owned()
    };
    assert!(request_name.contains("/timeOffRequests/"), "{request_name}");
    let decided = submit(
        &mut boss,
        &requests,
        &requests_path,
        &[("name", &request_name), ("decision", "approve")],
    )
    .await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    until(&boss, &requests_path, |b| {
        !b.contains("Bruiloft van mijn zus")
    })
    .await;
    let mine = client
        .list_time_off_requests(bearer(
            &daan,
            scheduling::ListTimeOffRequestsRequest {
                parent: chain.colleague.name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .time_off_requests;
    assert_eq!(
        mine[0].state(),
        scheduling::time_off_request::State::Approved
    );

    // An employee reaches none of it: the store's week is a 404, like a store that does
    // not exist, and the navigation does not offer Manage.
    let mut sanne = Browser::new(stack.web);
    activate(&mut sanne, &chain).await;
    let home = sanne.get("/").await;
    assert!(!home.body.contains(r#"href="/manage""#), "{}", home.body);
    assert_eq!(sanne.get(&week_path).await.status, 404);
    assert_eq!(
        sanne.get("/manage/stores/no-such-store/week").await.status,
        404
    );
}

/// The `action` of the first form that posts to a shift.
fn link_action(page: &Page) -> String {
    let marker = r#"action="/manage/stores/"#;
    let start = page.body.find(marker).unwrap() + r#"action=""#.len();
    let end = page.body[start..].find('"').unwrap();
    page.body[start..start + end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_manager_announces_follows_reads_reminds_and_moderates() {
    let stack = Stack::start(Duration::from_secs(60)).await;
    let identity = stack.channel(Service::Identity).await;
    let feed_channel = stack.channel(Service::Feed).await;
    let chain = onboard::onboard(&identity, "web-announce").await;
    let manager = onboard::store_manager(&identity, &chain).await;
    let store_id = chain.store.rsplit('/').next().unwrap().to_owned();
    let group = format!("tenants/{}/groups/store-{store_id}", chain.tenant);

    let mut boss = Browser::new(stack.web);
    sign_in(&mut boss, &chain.tenant, &manager).await;
    // The store's group is offered once feed knows the manager.
    let form = until(&boss, "/manage/announce", |b| {
        b.contains(&format!(r#"value="{}""#, group))
    })
    .await;
    assert!(form.body.contains("Utrecht Centrum"), "{}", form.body);

    // An announcement outside the manager's stores is refused on the form.
    let outside = submit(
        &mut boss,
        &form,
        "/manage/announce",
        &[
            ("group", &group),
            ("title", "Voor iedereen"),
            ("body", "Niet jouw winkels"),
            ("store", "elsewhere"),
            ("acknowledge", "1"),
        ],
    )
    .await;
    assert_eq!(outside.status, 400, "{}", outside.body);
    assert!(
        outside.body.contains("winkels die je beheert"),
        "{}",
        outside.body
    );

    // To the store's employees, with "read and understood": the report follows.
    let created = submit(
        &mut boss,
        &form,
        "/manage/announce",
        &[
            ("group", &group),
            ("title", "Nieuwe sluitprocedure"),
            ("body", "Vanaf vandaag sluiten **twee** mensen af."),
            ("store", &store_id),
            ("role", "1"),
            ("acknowledge", "1"),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let report_path = created.location().to_owned();
    assert!(
        report_path.starts_with("/manage/announcements/"),
        "{report_path}"
    );
    // Sanne is invited (not active) and Daan active: both are employees of the store.
    let report = until(&boss, &report_path, |b| b.contains("0 van 2 bevestigd")).await;
    assert!(report.body.contains("Daan Jansen"), "{}", report.body);
    assert!(report.body.contains("Sanne de Vries"), "{}", report.body);

    // Daan confirms; the report counts him and names only Sanne.
    let daan = onboard::login(&identity, &chain.tenant, &chain.colleague.email).await;
    let post_name = format!("{group}/posts/{}", report_path.rsplit('/').next().unwrap());
    let feed = FeedServiceClient::new(feed_channel.clone());
    eventually(Duration::from_secs(30), || {
        let mut feed = feed.clone();
        let (daan, name) = (daan.clone(), post_name.clone());
        async move {
            feed.acknowledge_post(bearer(
                &daan,
                feed::AcknowledgePostRequest {
                    name,
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await
            .ok()
        }
    })
    .await;
    let report = until(&boss, &report_path, |b| b.contains("1 van 2 bevestigd")).await;
    let not_yet = &report.body[report.body.find("Nog niet bevestigd").unwrap()..];
    assert!(not_yet.contains("Sanne de Vries"), "{not_yet}");
    assert!(!not_yet.contains("Daan Jansen"), "{not_yet}");

    // The CSV holds everyone; the reminder reaches the one who has not confirmed.
    let csv = boss.get(&format!("{report_path}/report.csv")).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        csv.body
            .starts_with("user,display_name,store,role,acknowledged")
    );
    assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);
    let reminded = submit(&mut boss, &report, &format!("{report_path}/remind"), &[]).await;
    assert_eq!(reminded.status, 303, "{}", reminded.body);
    let after = boss.get(reminded.location()).await;
    assert!(
        after.body.contains("Herinnering gestuurd aan 1 persoon."),
        "{}",
        after.body
    );

    // HQ's must-read to every employee: the store manager is no reader of it, yet
    // follows its report for the store.
    let hq_post = onboard::must_read(&feed_channel, &chain, "Nieuwe kassaprocedure").await;
    let hq_report = format!(
        "/manage/announcements/news/{}",
        hq_post.rsplit('/').next().unwrap()
    );
    let followed = until(&boss, &hq_report, |b| b.contains("van 2 bevestigd")).await;
    assert!(
        followed.body.contains("Utrecht Centrum"),
        "{}",
        followed.body
    );

    // Daan reports a post in the store group; the manager hides it from the queue.
    let post = feed
        .clone()
        .create_post(bearer(
            &chain.hq,
            feed::CreatePostRequest {
                parent: group.clone(),
                post: Some(feed::Post {
                    body: "Koop mijn oude fiets".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    feed.clone()
        .report_post(bearer(
            &daan,
            feed::ReportPostRequest {
                name: post.name.clone(),
                reason: "Reclame".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let queue = until(&boss, "/manage/moderation", |b| {
        b.contains("Koop mijn oude fiets")
    })
    .await;
    assert!(queue.body.contains("Reclame"), "{}", queue.body);
    assert!(
        queue.body.contains("Daan Jansen"),
        "who reported: {}",
        queue.body
    );
    let hidden = submit(
        &mut boss,
        &queue,
        "/manage/moderation",
        &[("post", &post.name), ("action", "hide")],
    )
    .await;
    assert_eq!(hidden.status, 303, "{}", hidden.body);
    until(&boss, "/manage/moderation", |b| {
        !b.contains("Koop mijn oude fiets")
    })
    .await;

    // An employee's moderation queue and announcement form are refused by feed.
    let mut sanne = Browser::new(stack.web);
    activate(&mut sanne, &chain).await;
    let attempt = sanne.get(&report_path).await;
    assert_eq!(attempt.status, 404, "{}", attempt.body);
}

/// Every value of the hidden field `name` on a page, in order.
fn values(page: &Page, name: &str) -> Vec<String> {
    let marker = format!(r#"name="{name}" value=""#);
    page.body
        .match_indices(&marker)
        .map(|(at, _)| {
            let from = at + marker.len();
            let to = page.body[from..].find('"').unwrap();
            page.body[from..from + to].to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shift_offered_on_my_week_is_taken_by_a_colleague_once_the_manager_approves() {
    let stack = Stack::start(Duration::from_secs(60)).await;
    let identity = stack.channel(Service::Identity).await;
    let scheduling_channel = stack.channel(Service::Scheduling).await;
    let chain = onboard::onboard(&identity, "web-swap").await;
    let manager = onboard::store_manager(&identity, &chain).await;
    let store_id = chain.store.rsplit('/').next().unwrap().to_owned();
    let (week, _) = onboard::next_week();
    let week_path = format!("/week?week={week}");

    // Sanne (Monday and Wednesday next week) offers her Wednesday shift.
    let mut sanne = Browser::new(stack.web);
    activate(&mut sanne, &chain).await;
    onboard::publish_next_week(&scheduling_channel, &chain).await;
    // Her shifts with their offer buttons (the change notice names them earlier).
    let mine = until(&sanne, &week_path, |b| {
        b.matches(r#"action="/week/offer""#).count() == 2
    })
    .await;
    let offerable = values(&mine, "shift");
    assert!(offerable.len() >= 2, "Monday and Wednesday: {}", mine.body);
    // The form says which week it was sent from; the answer goes back to that week.
    let from = hidden_in(&mine, "/week/offer", "week");
    assert_eq!(from, week);
    let offered = submit(
        &mut sanne,
        &mine,
        "/week/offer",
        &[("shift", offerable[1].as_str()), ("week", from.as_str())],
    )
    .await;
    assert_eq!(offered.status, 303, "{}", offered.body);
    assert_eq!(offered.location(), week_path, "she stays in next week");
    let waiting = until(&sanne, &week_path, |b| {
        b.contains("een collega moet nog reageren")
    })
    .await;
    assert_eq!(
        values(&waiting, "shift")
            .iter()
            .filter(|s| **s == offerable[1])
            .count(),
        0,
        "an offered shift is not offered twice: {}",
        waiting.body
    );

    // Daan sees the offer with her name and takes it.
    let mut daan = Browser::new(stack.web);
    sign_in_to(&mut daan, &chain.tenant, &chain.colleague.email, "/week").await;
    let offer = until(&daan, &week_path, |b| {
        b.contains("Aangeboden door Sanne de Vries")
    })
    .await;
    let swap = values(&offer, "swap");
    assert_eq!(swap.len(), 1, "{}", offer.body);
    // A week that is not an ISO week label sends him to this week, never elsewhere.
    let accepted = submit(
        &mut daan,
        &offer,
        "/week/accept",
        &[("swap", swap[0].as_str()), ("week", "//evil.example")],
    )
    .await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    assert_eq!(accepted.location(), "/week");

    // The manager approves the swap; the shift is Daan's.
    let mut boss = Browser::new(stack.web);
    sign_in(&mut boss, &chain.tenant, &manager).await;
    let requests_path = format!("/manage/stores/{store_id}/requests");
    let requests = until(&boss, &requests_path, |b| {
        b.contains("Neemt over van Sanne de Vries")
    })
    .await;
    assert!(requests.body.contains("Daan Jansen"), "{}", requests.body);
    let decided = submit(
        &mut boss,
        &requests,
        &requests_path,
        &[("name", swap[0].as_str()), ("decision", "approve")],
    )
    .await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    // His week lists two shifts now, Monday's and the Wednesday he took over.
    let daans = until(&daan, &week_path, |b| b.matches("Betaald: ").count() == 2).await;
    let listed = &daans.body[..daans.body.find("Verlof aanvragen").unwrap()];
    assert!(listed.contains("10:00–14:00"), "his Monday: {listed}");
    assert!(listed.contains("14:00–18:00"), "her Wednesday: {listed}");
}
