//! The employee's main flows through the web app and its defences.

use std::time::Duration;

use breakroom_e2e::platform::Service;
use breakroom_testing::eventually;

use crate::{
    Stack, activate, assert_security_headers,
    browser::{Browser, hidden, hidden_in, path_of, submit},
    defences, onboard,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_activates_reads_acknowledges_and_posts_through_the_web_app() {
    let stack = Stack::start(Duration::from_secs(60)).await;
    let identity = stack.channel(Service::Identity).await;
    let scheduling = stack.channel(Service::Scheduling).await;
    let feed = stack.channel(Service::Feed).await;
    let chain = onboard::onboard(&identity, "web-chain").await;
    let foreign = onboard::foreign_post(&identity, &feed, "web-other").await;
    let other_store = onboard::other_store_post(&identity, &feed, &chain).await;
    let mut browser = Browser::new(stack.web);

    // Activation signs the person in; the chain's locale (nl-NL) makes the app Dutch.
    activate(&mut browser, &chain).await;
    onboard::publish_next_week(&scheduling, &chain).await;
    let announcement = onboard::must_read(&feed, &chain, "Nieuwe kassaprocedure").await;

    // Home: the next shift (Monday next week, in the store's time), the must-read with its
    // button, once feed and scheduling have seen the writes.
    let (week, _) = onboard::next_week();
    let home = eventually(Duration::from_secs(30), || {
        let mut browser = browser.clone();
        let week = week.clone();
        async move {
            let page = browser.get("/").await;
            (page.status == 200
                && page.body.contains("Nieuwe kassaprocedure")
                && page.body.contains("09:00–13:30")
                && page.body.contains(&format!("Je week {week} staat klaar")))
            .then_some(page)
        }
    })
    .await;
    assert_security_headers(&home, "Home");
    assert!(home.body.contains("Je volgende dienst"), "{}", home.body);
    assert!(home.body.contains("ma "), "Dutch day name: {}", home.body);
    assert!(home.body.contains("Utrecht Centrum"));
    assert!(
        home.body.contains("Met Daan Jansen"),
        "who works with them: {}",
        home.body
    );
    assert!(
        home.body.contains("Betaald: 4 u 00 min"),
        "paid length less the break: {}",
        home.body
    );
    assert!(home.body.contains("Gelezen en begrepen"));
    // The personal roster card, written from its kind and fields in Dutch.
    assert!(
        home.body.contains("2 diensten, 8 u 00 min betaald"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("<strong>two people</strong>"),
        "rendered markdown"
    );
    assert!(
        home.body
            .contains(r#"<nav class="bottom-nav" aria-label="Hoofdmenu">"#)
    );
    eprintln!("Home HTML: {} bytes", home.body.len());

    // The inbox: the roster and the announcement are there, counted in the navigation
    // until marked read.
    let inbox = eventually(Duration::from_secs(30), || {
        let mut browser = browser.clone();
        async move {
            let page = browser.get("/inbox").await;
            (page.status == 200 && page.body.contains("ongelezen")).then_some(page)
        }
    })
    .await;
    assert!(
        inbox.body.contains("Je rooster staat klaar"),
        "{}",
        inbox.body
    );
    let read = submit(&mut browser, &inbox, "/inbox/read", &[("all", "true")]).await;
    assert_eq!(
        (read.status, read.location()),
        (303, "/inbox"),
        "{}",
        read.body
    );
    let inbox = browser.get("/inbox").await;
    assert!(!inbox.body.contains("ongelezen"), "{}", inbox.body);

    // My week: both shifts, and the publication's change notice, acknowledged.
    let week_page = eventually(Duration::from_secs(30), || {
        let mut browser = browser.clone();
        let path = format!("/week?week={week}");
        async move {
            let page = browser.get(&path).await;
            (page.status == 200 && page.body.contains("name=\"notice\"")).then_some(page)
        }
    })
    .await;
    assert_security_headers(&week_page, "My week");
    assert!(week_page.body.contains("09:00–13:30") && week_page.body.contains("14:00–18:00"));
    assert!(
        week_page.body.contains("Totaal betaald: 8 u 00 min"),
        "{}",
        week_page.body
    );
    assert!(week_page.body.contains("Gezien"));
    let notice = hidden(&week_page, "notice");
    let acked = submit(
        &mut browser,
        &week_page,
        "/week/acknowledge",
        &[("notice", &notice)],
    )
    .await;
    assert_eq!(acked.status, 303, "{}", acked.body);
    assert!(
        browser.cookies.contains_key("br_seq"),
        "the write's consistency token is carried"
    );
    let after = browser.get(&format!("/week?week={week}")).await;
    assert!(
        !after.body.contains(&notice),
        "acknowledged at once (min-sequence): {}",
        after.body
    );
    assert!(after.body.contains("Bevestigd"));

    // The open shift on Saturday is offered and can be claimed.
    assert!(
        after.body.contains("Open diensten die je kunt nemen"),
        "{}",
        after.body
    );
    let open = hidden_in(&after, "/week/claim", "shift");
    let claimed = submit(&mut browser, &after, "/week/claim", &[("shift", &open)]).await;
    assert_eq!(
        (claimed.status, claimed.location()),
        (303, "/week"),
        "{}",
        claimed.body
    );

    // Time off: asked for, then listed as waiting for a manager.
    let (_, monday) = onboard::next_week();
    let friday = monday
        .checked_add(jiff::Span::new().days(4))
        .unwrap()
        .to_string();
    let form = browser.get("/time-off").await;
    assert_security_headers(&form, "Time off");
    let asked = submit(
        &mut browser,
        &form,
        "/time-off",
        &[("start", &friday), ("end", &friday), ("reason", "Bruiloft")],
    )
    .await;
    assert_eq!(
        (asked.status, asked.location()),
        (303, "/time-off"),
        "{}",
        asked.body
    );
    let listed = browser.get("/time-off").await;
    assert!(
        listed.body.contains("wacht op een leidinggevende") && listed.body.contains("Bruiloft"),
        "{}",
        listed.body
    );
    // The last day before the first: refused, the form shown again with the reason.
    let backwards = submit(
        &mut browser,
        &form,
        "/time-off",
        &[("start", &friday), ("end", &monday.to_string())],
    )
    .await;
    assert_eq!(backwards.status, 400, "{}", backwards.body);
    assert!(
        backwards.body.contains(r#"aria-invalid="true""#),
        "{}",
        backwards.body
    );

    // "Add to my calendar": the private subscription address, shown once.
    let calendar = submit(&mut browser, &after, "/week/calendar", &[]).await;
    assert_eq!(calendar.status, 200, "{}", calendar.body);
    assert!(
        calendar.body.contains("Je diensten in je agenda"),
        "{}",
        calendar.body
    );
    assert!(
        calendar.body.contains(r#"href="webcal://"#),
        "{}",
        calendar.body
    );

    // "Read and understood" on Home takes the must-read away.
    let ack_path = format!("{}/acknowledge", path_of(&announcement));
    let read = submit(&mut browser, &home, &ack_path, &[("back", "/")]).await;
    assert_eq!((read.status, read.location()), (303, "/"), "{}", read.body);
    let home = browser.get("/").await;
    assert!(!home.body.contains("Gelezen en begrepen"), "{}", home.body);

    // English by the person's own choice, kept in a cookie.
    let settings = browser.get("/settings").await;
    assert_security_headers(&settings, "Settings");
    assert!(settings.body.contains("Meldingen aanzetten"));
    // Quiet hours, kept at notifications.
    let quiet = submit(
        &mut browser,
        &settings,
        "/settings/quiet",
        &[("enabled", "on"), ("start", "21:30"), ("end", "06:45")],
    )
    .await;
    assert_eq!(
        (quiet.status, quiet.location()),
        (303, "/settings"),
        "{}",
        quiet.body
    );
    let settings = browser.get("/settings").await;
    assert!(
        settings
            .body
            .contains(r#"name="enabled" value="on" checked"#)
            && settings.body.contains(r#"value="21:30""#)
            && settings.body.contains(r#"value="06:45""#),
        "{}",
        settings.body
    );
    let chosen = submit(
        &mut browser,
        &settings,
        "/settings/language",
        &[("lang", "en")],
    )
    .await;
    assert_eq!(chosen.status, 303);
    let home = browser.get("/").await;
    assert!(
        home.body.contains("Your next shift") && home.body.contains("Mon "),
        "{}",
        home.body
    );
    assert!(home.body.contains("<html lang=\"en\">"));

    // A post in the store group, a comment and a like.
    let compose = browser.get("/new").await;
    assert_security_headers(&compose, "New post");
    let group = format!(
        "tenants/{}/groups/store-{}",
        chain.tenant,
        chain.store.rsplit('/').next().unwrap()
    );
    assert!(compose.body.contains(&group), "{}", compose.body);
    let created = submit(
        &mut browser,
        &compose,
        "/new",
        &[
            ("group", &group),
            ("title", "Koffie"),
            (
                "body",
                "Hello *team*, see [the rota](https://example.com/rota)",
            ),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let post_path = created.location().to_owned();
    let post = browser.get(&post_path).await;
    assert_security_headers(&post, "Post");
    assert!(post.body.contains("<em>team</em>"), "{}", post.body);
    assert!(
        post.body
            .contains(r#"<a href="https://example.com/rota" rel="noopener noreferrer nofollow">"#)
    );
    let commented = submit(
        &mut browser,
        &post,
        &format!("{post_path}/comments"),
        &[("body", "**Top**")],
    )
    .await;
    assert_eq!(commented.status, 303, "{}", commented.body);
    let post = browser.get(&post_path).await;
    assert!(
        post.body.contains("<strong>Top</strong>") && post.body.contains("1 comment"),
        "{}",
        post.body
    );
    let liked = submit(&mut browser, &post, &format!("{post_path}/react"), &[]).await;
    assert_eq!(liked.status, 303);
    let post = browser.get(&post_path).await;
    assert!(
        post.body.contains("Like (1)") && post.body.contains(r#"aria-pressed="true""#),
        "{}",
        post.body
    );

    defences::check(
        &mut browser,
        defences::Context {
            web: stack.web,
            tenant: &chain.tenant,
            compose: &compose,
            post: &post,
            post_path: &post_path,
            group: &group,
            foreign: &foreign,
            other_store: &other_store,
        },
    )
    .await;

    // Home shows the newest 20 entries and links to older ones.
    for n in 0..8 {
        let made = submit(
            &mut browser,
            &compose,
            "/new",
            &[("group", &group), ("body", &format!("Filler {n}"))],
        )
        .await;
        assert_eq!(made.status, 303);
    }
    let home = browser.get("/").await;
    assert!(
        home.body.len() < 30 * 1024,
        "a full Home page stays within its budget"
    );
    eprintln!(
        "Home HTML, a full page (20 entries): {} bytes",
        home.body.len()
    );
    let older = home
        .body
        .split(r#"<a class="button" href="/?page="#)
        .nth(1)
        .expect("an Older posts link");
    let older = format!("/?page={}", older.split('"').next().unwrap());
    let page_two = browser.get(&older).await;
    assert_eq!(page_two.status, 200, "{}", page_two.body);
    assert!(
        !page_two.body.contains("Your next shift")
            && page_two.body.contains("Welcome to Breakroom!"),
        "{}",
        page_two.body
    );

    // Signing out ends the session at identity and clears the cookie.
    let settings = browser.get("/settings").await;
    let out = submit(&mut browser, &settings, "/signout", &[]).await;
    assert_eq!(out.status, 303);
    assert!(!browser.cookies.contains_key("br_session"));
    let home = browser.get("/").await;
    assert_eq!((home.status, home.location()), (303, "/signin"));
}
