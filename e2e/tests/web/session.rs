//! The session's end: renewal refused, back to sign-in and on to the page asked for.

use std::time::Duration;

use breakroom_e2e::platform::Service;
use breakroom_proto::identity::v1::{self as pb, auth_service_client::AuthServiceClient};
use breakroom_testing::bearer;

use crate::{
    Stack, activate, assert_security_headers,
    browser::{Browser, hidden, submit},
    onboard,
};

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

    // Two requests renewing at once (two tabs) are one exchange, not a reuse that would
    // end the session: both answer, and either's cookie goes on working.
    let (mut tab1, mut tab2) = (browser.clone(), browser.clone());
    let (one, two) = tokio::join!(
        tab1.get("/week?week=2026-W50"),
        tab2.get("/week?week=2026-W50")
    );
    assert_eq!((one.status, two.status), (200, 200), "{}", two.body);
    assert!(!tab1.cookies["br_session"].is_empty());
    let again = tab2.get("/week?week=2026-W50").await;
    assert_eq!(again.status, 200, "{}", again.body);
    let again = tab1.get("/week?week=2026-W50").await;
    assert_eq!(again.status, 200, "{}", again.body);
    browser = tab1;

    // A refused POST (no CSRF token) still hands over the renewed session: its old
    // refresh token is spent, and the next page must not find the session ended.
    let refused = browser.post("/settings/language", &[("lang", "en")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(browser.get("/week?week=2026-W50").await.status, 200);

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

    // "Sign out everywhere else" in Settings ends the other browser's session, not this one.
    let mut phone = Browser::new(stack.web);
    let signin = phone.get("/signin").await;
    let signed_in = submit(
        &mut phone,
        &signin,
        "/signin",
        &[
            ("tenant", &chain.tenant),
            ("login", &chain.employee.email),
            ("password", onboard::PASSWORD),
            ("next", "/week"),
        ],
    )
    .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(phone.get("/week").await.status, 200);
    let settings = browser.get("/settings").await;
    assert!(
        settings.body.contains("Overal anders afmelden") && settings.body.contains("deze browser"),
        "{}",
        settings.body
    );
    let ended = submit(
        &mut browser,
        &settings,
        "/settings/sessions/end-others",
        &[],
    )
    .await;
    assert_eq!(
        (ended.status, ended.location()),
        (303, "/settings"),
        "{}",
        ended.body
    );
    let out = phone.get("/week").await;
    assert_eq!((out.status, out.location()), (303, "/signin?next=/week"));
    assert_eq!(browser.get("/week").await.status, 200);

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

#[tokio::test]
async fn with_identity_unreachable_sign_in_answers_a_friendly_page_in_the_persons_language() {
    // Nothing listens on these ports: every service is "down".
    let closed = |_| {
        format!(
            "http://127.0.0.1:{}",
            breakroom_e2e::platform::free_port().unwrap()
        )
    };
    let mut config = breakroom_web::WebConfig::local();
    config.listen_addr = "127.0.0.1:0".parse().unwrap();
    config.identity_url = closed(());
    config.scheduling_url = closed(());
    config.feed_url = closed(());
    config.notifications_url = closed(());
    config.insecure_cookies = true;
    let app = breakroom_web::Application::build(config).await.unwrap();
    let mut browser = Browser::new(std::net::SocketAddr::from(([127, 0, 0, 1], app.port())));
    tokio::spawn(app.run_until_stopped());
    browser.language = "nl-NL,nl;q=0.9,en;q=0.5";

    let signin = browser.get("/signin").await;
    assert_eq!(signin.status, 200);
    assert!(signin.body.contains("Aanmelden"), "{}", signin.body);
    let answer = submit(
        &mut browser,
        &signin,
        "/signin",
        &[
            ("tenant", "demo"),
            ("login", "a@b.example"),
            ("password", "whatever it is"),
            ("next", "/"),
        ],
    )
    .await;
    assert_eq!(answer.status, 503);
    assert!(
        answer.body.contains("Breakroom is nu niet bereikbaar"),
        "{}",
        answer.body
    );
    assert!(!answer.body.contains("transport error") && !answer.body.contains("tonic"));
    assert_security_headers(&answer, "sign-in refused");
}
