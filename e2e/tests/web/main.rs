//! The web app over HTTP against the real services: identity, scheduling, feed and
//! notifications run as processes, the app in-process on port 0, a chain onboarded through
//! the gRPC APIs, and a small hand-made browser (cookies, forms, CSRF token, Origin).
//!
//! Needs the service binaries built (`cargo dev test` builds them first).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod defences;
mod flows;
mod groups;
mod inert;
mod manager;
mod onboard;
mod session;

use breakroom_e2e::platform::{Platform, Service, Wiring};
use breakroom_web::{Application, WebConfig};

use crate::browser::{Browser, Page};

/// The four services as processes and the web app in-process, pointed at them.
pub struct Stack {
    pub env: breakroom_testing::TestEnv,
    pub platform: Platform,
    pub web: std::net::SocketAddr,
}

impl Stack {
    /// Starts everything; `session_check` is the app's renewal interval.
    pub async fn start(session_check: std::time::Duration) -> Self {
        let env = breakroom_testing::TestEnv::new().await;
        let wiring = Wiring::in_namespace(env.namespace.as_str(), &env.nats_url, |s| {
            env.database_url(s)
        });
        let mut platform = Platform::new(wiring);
        for service in [
            Service::Identity,
            Service::Scheduling,
            Service::Feed,
            Service::Notifications,
        ] {
            platform.start(service, &service.test_env()).await.unwrap();
        }
        let url = |s: Service| format!("http://{}", platform.addr(s));
        let mut config = WebConfig::local();
        config.listen_addr = "127.0.0.1:0".parse().unwrap();
        config.identity_url = url(Service::Identity);
        config.scheduling_url = url(Service::Scheduling);
        config.feed_url = url(Service::Feed);
        config.notifications_url = url(Service::Notifications);
        config.insecure_cookies = true;
        config.session_check = session_check;
        let app = Application::build(config).await.unwrap();
        let web = std::net::SocketAddr::from(([127, 0, 0, 1], app.port()));
        tokio::spawn(app.run_until_stopped());
        Self { env, platform, web }
    }

    pub async fn channel(&self, service: Service) -> tonic::transport::Channel {
        self.platform.channel(service).await.unwrap()
    }
}

/// The headers every answer carries.
fn assert_security_headers(page: &Page, what: &str) {
    let csp = page.header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP lacks {directive}: {csp}"
        );
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(page.header("referrer-policy"), "same-origin", "{what}");
    assert!(
        !page.header("cache-control").is_empty(),
        "{what}: no cache-control"
    );
}

/// Activates the chain's employee through the web app; the browser is then signed in.
async fn activate(browser: &mut Browser, chain: &onboard::Chain) {
    let form = browser.get("/activate").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let done = browser
        .post(
            "/activate",
            &[
                ("csrf", &form.csrf()),
                ("tenant", &chain.tenant),
                ("code", &chain.invite_code),
                ("password", onboard::PASSWORD),
                ("lang", ""),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/");
    assert!(browser.cookies.contains_key("br_session"));
}
