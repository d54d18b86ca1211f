//! A manager in the app. Today that is what every signed-in person can do, with the
//! rights of the role: the chain's HQ admin signs in and posts to the chain's news group,
//! which employees cannot.
//!
//! MANAGERS' SCREENS GO HERE: the store manager's flows (the roster, open shifts, claims,
//! swaps and time off to decide, who has read a must-read), by clicks and typing as in
//! `employee.rs`, and their entries in `screens::SCREENS` (with a `Who::Manager`).

use breakroom_e2e::platform::Service;

use crate::{
    Stack, onboard, sign_in, submit,
    webdriver::{By, until},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hq_admin_signs_in_and_posts_chain_news_by_clicks_and_typing() {
    let stack = Stack::start().await;
    let identity = stack.channel(Service::Identity).await;
    let chain = onboard::onboard(&identity, "browser-hq").await;
    let browser = stack.browser("nl").await;

    sign_in(
        &browser,
        &chain.tenant,
        &format!("hq@{}.example", chain.tenant),
    )
    .await;
    browser.wait_for_text("Hallo HQ").await;

    browser.click_link("Nieuw bericht").await;
    let news = format!("tenants/{}/groups/news", chain.tenant);
    // Feed learns the chain's news group from identity's events; reload until offered.
    let browser_ref = &browser;
    let selector = format!("#group option[value='{news}']");
    let selector = selector.as_str();
    until("the news group offered in New post", || async move {
        browser_ref.goto("/new").await;
        browser_ref.find(By::Css(selector)).await.ok()
    })
    .await;
    browser.choose("group", &news).await;
    browser.fill("title", "Openingstijden met Pasen").await;
    browser
        .fill(
            "body",
            "Alle winkels zijn op **tweede paasdag** open van 10 tot 17 uur.",
        )
        .await;
    submit(&browser, "/new").await;
    until("the news post's page", || async move {
        browser_ref
            .path()
            .await
            .starts_with("/posts/news/")
            .then_some(())
    })
    .await;
    let post = browser.wait_for_text("Openingstijden met Pasen").await;
    assert!(post.contains("tweede paasdag"), "{post}");
    browser.quit().await;
}
