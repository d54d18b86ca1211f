//! The employee's main flows through the web app, its defences, and the session's end.

use std::time::Duration;

use breakroom_e2e::platform::Service;
use breakroom_kit::testing::{bearer, eventually};
use breakroom_proto::identity::v1::{self as pb, auth_service_client::AuthServiceClient};

use crate::{
    Stack, activate, assert_security_headers,
    browser::{Browser, Page},
    onboard,
};

/// Posts a form of `page` (its CSRF token added).
async fn submit(browser: &mut Browser, page: &Page, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = page.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(path, &all).await
}

/// The value of the hidden field `name` on a page.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name}: {}", page.body))
        + marker.len();
    let end = page.body[start..].find('"').unwrap();
    page.body[start..start + end].to_owned()
}

/// `/posts/{g}/{p}` of a post's resource name.
fn path_of(post: &str) -> String {
    let parts: Vec<&str> = post.split('/').collect();
    format!("/posts/{}/{}", parts[3], parts[5])
}

/// Every real tag of a page (text `<` is escaped, so each `<` starts one).
fn tags(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default().to_ascii_lowercase())
        .collect()
}

/// No script but the app's own, no event handler attribute, no `javascript:` or `data:`
/// URL, no image, frame or SVG anywhere in the page's markup.
fn assert_inert(page: &Page, body: &str) {
    for tag in tags(&page.body) {
        let name = tag.split_whitespace().next().unwrap_or_default();
        if name == "script" {
            assert!(
                tag.contains("src=\"/static/"),
                "foreign script for {body:?}: <{tag}>"
            );
        }
        assert!(
            ![
                "img",
                "iframe",
                "svg",
                "object",
                "embed",
                "style",
                "base",
                "form action=\"http"
            ]
            .contains(&name),
            "{body:?}: <{tag}>"
        );
        assert!(
            !tag.contains("javascript:") && !tag.contains("data:"),
            "{body:?}: <{tag}>"
        );
        // Attribute names only: quoted values are text, whatever they spell.
        let mut unquoted = String::new();
        let mut quote = None;
        for c in tag.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None => unquoted.push(c),
            }
        }
        let attributes: Vec<&str> = unquoted.split_whitespace().skip(1).collect();
        assert!(
            !attributes
                .iter()
                .any(|a| a.starts_with("on") && a.contains('=')),
            "{body:?}: event handler in <{tag}>"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_activates_reads_acknowledges_and_posts_through_the_web_app() {
    let stack = Stack::start(Duration::from_secs(60)).await;
    let identity = stack.channel(Service::Identity).await;
    let scheduling = stack.channel(Service::Scheduling).await;
    let feed = stack.channel(Service::Feed).await;
    let chain = onboard::onboard(&identity, "web-chain").await;
    let foreign = onboard::foreign_post(&identity, &feed, "web-other").await;
    let mut browser = Browser::new(stack.web);

    // Activation signs the person in; the chain's locale (nl-NL) makes the app Dutch.
    activate(&mut browser, &chain).await;
    let scheduled = onboard::publish_next_week(&scheduling, &chain).await;
    let announcement = onboard::must_read(&feed, &chain, "Nieuwe kassaprocedure").await;
    let (week, _) = onboard::next_week();
    let _ = scheduled;

    // Home: the next shift (Monday next week, in the store's time), the must-read with its
    // button, once feed and scheduling have seen the writes.
    let home = eventually(Duration::from_secs(30), || {
        let mut browser = browser.clone();
        async move {
            let page = browser.get("/").await;
            (page.status == 200
                && page.body.contains("Nieuwe kassaprocedure")
                && page.body.contains("09:00–13:30"))
            .then_some(page)
        }
    })
    .await;
    assert_security_headers(&home, "Home");
    assert!(home.body.contains("Je volgende dienst"), "{}", home.body);
    assert!(home.body.contains("ma "), "Dutch day name: {}", home.body);
    assert!(home.body.contains("Utrecht Centrum"));
    assert!(
        home.body.contains("Betaald: 4 u 00 min"),
        "paid length less the break: {}",
        home.body
    );
    assert!(home.body.contains("Gelezen en begrepen"));
    assert!(
        home.body.contains("<strong>two people</strong>"),
        "rendered markdown"
    );
    assert!(
        home.body
            .contains(r#"<nav class="bottom-nav" aria-label="Hoofdmenu">"#)
    );
    eprintln!("Home HTML: {} bytes", home.body.len());

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

    // A body feed refuses is shown again with the reason next to the field.
    let refused = submit(
        &mut browser,
        &compose,
        "/new",
        &[("group", &group), ("body", "<script>alert(1)</script>")],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="body-error""#) && refused.body.contains("pictures, HTML"),
        "{}",
        refused.body
    );
    assert_inert(&refused, "refused script");

    // Bodies feed accepts that try to smuggle markup in all render inert.
    let corpus = [
        "`<script>alert(1)</script>` in code",
        "\\<script>alert(1)\\</script> escaped",
        "[click](https://example.com/\"onmouseover=\"alert(1))",
        "[t](https://example.com 'x\" onclick=\"alert(1)')",
        "<hq@example.com> and <https://example.com/?a=\"onclick=alert(1)>",
        "&lt;img src=x onerror=alert(1)&gt; entities",
        "    <iframe src=javascript:alert(1)> indented code",
        "[javascript:alert(1)](https://example.com)",
    ];
    for body in corpus {
        let created = submit(
            &mut browser,
            &compose,
            "/new",
            &[("group", &group), ("body", body)],
        )
        .await;
        assert_eq!(
            created.status, 303,
            "feed accepts {body:?}: {}",
            created.body
        );
        let page = browser.get(created.location()).await;
        assert_eq!(page.status, 200);
        assert_inert(&page, body);
    }
    let home = browser.get("/").await;
    assert_inert(&home, "Home with the corpus");

    // CSRF: without the token, and from another origin, nothing changes.
    let no_token = browser.post(&format!("{post_path}/react"), &[]).await;
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    let token = post.csrf();
    let foreign_origin = browser
        .post_from(
            &format!("{post_path}/react"),
            &[("csrf", &token)],
            "https://evil.example",
        )
        .await;
    assert_eq!(foreign_origin.status, 403);
    let unchanged = browser.get(&post_path).await;
    assert!(unchanged.body.contains("Like (1)"), "{}", unchanged.body);
    let mut stranger = Browser::new(stack.web);
    let signin = stranger.get("/signin").await;
    let forged = stranger
        .post_from(
            "/signin",
            &[
                ("csrf", &signin.csrf()),
                ("tenant", &chain.tenant),
                ("login", "x@y.z"),
                ("password", "p"),
            ],
            "https://evil.example",
        )
        .await;
    assert_eq!(forged.status, 403);

    // Another chain's post by URL is the same 404 as a missing one.
    let other = browser.get(&path_of(&foreign)).await;
    assert_eq!(other.status, 404, "{}", other.body);
    assert_security_headers(&other, "404");
    assert!(other.body.contains("We could not find that page"));
    let missing = browser.get("/no/such/page").await;
    assert_eq!(missing.status, 404);

    // Inbox, static assets, the manifest and the service worker.
    let inbox = browser.get("/inbox").await;
    assert_eq!(inbox.status, 200);
    assert_security_headers(&inbox, "Inbox");
    let css_path = home
        .body
        .split("href=\"/static/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let css = browser.get(&format!("/static/{css_path}")).await;
    assert_eq!(css.status, 200);
    assert!(css.header("cache-control").contains("immutable"));
    let manifest = browser.get("/manifest.webmanifest").await;
    let manifest: serde_json::Value = serde_json::from_str(&manifest.body).unwrap();
    assert_eq!(manifest["display"], "standalone");
    assert!(
        manifest["icons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["purpose"] == "maskable")
    );
    let sw = browser.get("/sw.js").await;
    assert!(sw.body.contains("showNotification") && sw.body.contains("notificationclick"));
    assert_eq!(sw.header("cache-control"), "no-cache");
    let messages = browser.get("/push-messages.json").await;
    assert!(
        messages.body.contains("Your roster is out"),
        "{}",
        messages.body
    );

    // Signing out ends the session at identity and clears the cookie.
    let settings = browser.get("/settings").await;
    let out = submit(&mut browser, &settings, "/signout", &[]).await;
    assert_eq!(out.status, 303);
    assert!(!browser.cookies.contains_key("br_session"));
    let home = browser.get("/").await;
    assert_eq!((home.status, home.location()), (303, "/signin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_returns_to_sign_in_and_then_to_the_page_asked_for() {
    // Every request renews the access token: an ended session is out at the next one.
    let stack = Stack::start(Duration::ZERO).await;
    let identity = stack.channel(Service::Identity).await;
    let chain = onboard::onboard(&identity, "web-session").await;
    let mut browser = Browser::new(stack.web);
    browser.language = "en-GB,en;q=0.9";
    activate(&mut browser, &chain).await;
    let week = browser.get("/week?week=2026-W50").await;
    assert_eq!(week.status, 200, "{}", week.body);
    let week = browser.get("/week?week=2026-W50").await;
    assert_eq!(week.status, 200, "renewed and rotated twice: {}", week.body);

    // HQ ends every session of the person (as "sign out elsewhere" will).
    let mut auth = AuthServiceClient::new(identity.clone());
    let sessions = auth
        .list_sessions(bearer(
            &chain.hq,
            pb::ListSessionsRequest {
                parent: chain.employee.name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert!(!sessions.is_empty());
    for session in sessions {
        auth.revoke_session(bearer(
            &chain.hq,
            pb::RevokeSessionRequest {
                name: session.name,
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .unwrap();
    }
    let out = browser.get("/week?week=2026-W50").await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/signin?next=/week%3Fweek%3D2026-W50");
    assert!(
        !browser.cookies.contains_key("br_session"),
        "the refused session is cleared"
    );

    // Signing in lands on the page asked for, and only a path of the app is accepted.
    let signin = browser.get(out.location()).await;
    assert_eq!(signin.status, 200);
    assert_security_headers(&signin, "Sign in");
    assert!(signin.body.contains("Sign in"));
    let next = hidden(&signin, "next");
    assert_eq!(next, "/week?week=2026-W50");
    let login = chain.employee.email.clone();
    let back = submit(
        &mut browser,
        &signin,
        "/signin",
        &[
            ("tenant", &chain.tenant),
            ("login", &login),
            ("password", onboard::PASSWORD),
            ("next", &next),
        ],
    )
    .await;
    assert_eq!(
        (back.status, back.location()),
        (303, "/week?week=2026-W50"),
        "{}",
        back.body
    );
    let week = browser.get(back.location()).await;
    assert_eq!(week.status, 200);
    assert!(
        week.body.contains("Mijn week"),
        "the chain's language: {}",
        week.body
    );

    // A cookie that does not open (tampered, or sealed by another key) is no session.
    let mut tampered = browser.clone();
    tampered
        .cookies
        .insert("br_session".into(), "Zm9yZ2Vk".into());
    let out = tampered.get("/").await;
    assert_eq!((out.status, out.location()), (303, "/signin"));
    let mut evil = Browser::new(stack.web);
    let signin = evil.get("/signin?next=//evil.example").await;
    assert_eq!(hidden(&signin, "next"), "/");
    let wrong = submit(
        &mut evil,
        &signin,
        "/signin",
        &[
            ("tenant", &chain.tenant),
            ("login", &login),
            ("password", "wrong password here"),
            ("next", "https://evil.example"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("password is not right"),
        "{}",
        wrong.body
    );
    let right = submit(
        &mut evil,
        &signin,
        "/signin",
        &[
            ("tenant", &chain.tenant),
            ("login", &login),
            ("password", onboard::PASSWORD),
            ("next", "https://evil.example"),
        ],
    )
    .await;
    assert_eq!((right.status, right.location()), (303, "/"));
}
