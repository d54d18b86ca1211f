//! The web app in a real browser: Debian's Chromium, headless at phone size (360×780),
//! driven through chromedriver (WebDriver) and the DevTools protocol, against the four
//! services as processes and the web app in-process (as in the HTTP suite, `tests/web`).
//!
//! - `employee`: activation, Home, My week, a change notice, a must-read, a post, a comment
//!   and a like, all by clicks and typing.
//! - `worker`: the service worker registers, a push delivered through DevTools shows a
//!   notification titled in the reader's language, and My week reads offline with its banner.
//! - `manager`: what a manager can do in the app today; the managers' screens come here.
//! - `screens`: every main screen, in Dutch and English, checked by axe-core (no serious or
//!   critical violation) and, with `BREAKROOM_SCREENS=<folder>`, photographed into it
//!   (`cargo dev screens` writes docs/screens).
//!
//! Chromium and chromedriver are installed with apt-get where missing; axe-core with npm
//! into target/e2e-tools. Needs the service binaries built (`cargo dev test` builds them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod devtools;
mod employee;
mod manager;
#[allow(dead_code)]
#[path = "../web/onboard.rs"]
mod onboard;
mod screens;
mod webdriver;
mod worker;

use std::time::Duration;

use breakroom_e2e::{
    browser::ChromeDriver,
    platform::{Platform, Service},
};
use breakroom_web::{Application, WebConfig};

use crate::webdriver::{By, Session};

/// The four services as processes, the web app in-process, and a chromedriver.
pub struct Stack {
    pub platform: Platform,
    pub web: std::net::SocketAddr,
    pub driver: ChromeDriver,
    /// Kept for the test's lifetime: its namespace and databases.
    _env: breakroom_testing::TestEnv,
}

impl Stack {
    pub async fn start() -> Self {
        let env = breakroom_testing::TestEnv::new().await;
        let wiring = breakroom_e2e::platform::Wiring::in_namespace(
            env.namespace.as_str(),
            &env.nats_url,
            |s| env.database_url(s),
        );
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
        config.session_check = Duration::from_secs(60);
        let app = Application::build(config).await.unwrap();
        let web = std::net::SocketAddr::from(([127, 0, 0, 1], app.port()));
        tokio::spawn(app.run_until_stopped());
        let driver = ChromeDriver::start().await.unwrap();
        Self {
            platform,
            web,
            driver,
            _env: env,
        }
    }

    pub async fn channel(&self, service: Service) -> tonic::transport::Channel {
        self.platform.channel(service).await.unwrap()
    }

    /// A fresh browser whose languages are `lang`.
    pub async fn browser(&self, lang: &str) -> Session {
        Session::start(&self.driver, self.web, lang).await
    }
}

/// Clicks the submit button of the form posting to `action`.
pub async fn submit(browser: &Session, action: &str) {
    browser
        .wait_for(By::Css(&format!(
            "form[action='{action}'] button[type='submit']"
        )))
        .await
        .click()
        .await;
}

/// Activates the chain's invited employee by typing the invite code into /activate;
/// waits for Home.
pub async fn activate(browser: &Session, chain: &onboard::Chain) {
    browser.goto("/activate").await;
    browser.fill("tenant", &chain.tenant).await;
    browser.fill("code", &chain.invite_code).await;
    browser.fill("password", onboard::PASSWORD).await;
    submit(browser, "/activate").await;
    webdriver::until("Home after activation", || async move {
        (browser.path().await == "/").then_some(())
    })
    .await;
}

/// Signs in by typing the chain, e-mail and password into /signin; waits for Home.
pub async fn sign_in(browser: &Session, tenant: &str, email: &str) {
    browser.goto("/signin").await;
    browser.fill("tenant", tenant).await;
    browser.fill("login", email).await;
    browser.fill("password", onboard::PASSWORD).await;
    submit(browser, "/signin").await;
    webdriver::until("Home after signing in", || async move {
        (browser.path().await == "/").then_some(())
    })
    .await;
}
