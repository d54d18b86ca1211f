//! An employee's day in the app, by clicks and typing only: activation with the invite
//! code, Home, My week and its change notice, the must-read, a post, a comment and a like.

use breakroom_e2e::platform::Service;

use crate::{
    Stack, activate, onboard, submit,
    webdriver::{By, until},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_activates_reads_acknowledges_posts_comments_and_likes_by_clicks_and_typing() {
    let stack = Stack::start().await;
    let identity = stack.channel(Service::Identity).await;
    let scheduling = stack.channel(Service::Scheduling).await;
    let feed = stack.channel(Service::Feed).await;
    let chain = onboard::onboard(&identity, "browser-chain").await;
    let browser = stack.browser("nl").await;

    // The invite code typed into the activation form signs the person in; the chain's
    // locale (nl-NL) makes the app Dutch.
    activate(&browser, &chain).await;
    onboard::publish_next_week(&scheduling, &chain).await;
    onboard::must_read(&feed, &chain, "Nieuwe kassaprocedure").await;

    // Home: the next shift and the must-read, once scheduling and feed have projected them.
    let home = browser.reload_until("/", "Nieuwe kassaprocedure").await;
    assert!(home.contains("Hallo Sanne de Vries"), "{home}");
    assert!(home.contains("Je volgende dienst"), "{home}");
    browser.wait_for_text("09:00–13:30").await;

    // My week from the bottom navigation, then next week: the shifts and the roster's
    // change notice, acknowledged with its button.
    browser.click_link("Mijn week").await;
    browser.wait_for_text("Vorige week").await;
    browser.click_link("Volgende week").await;
    let (week, _) = onboard::next_week();
    let (browser_ref, week_ref) = (&browser, week.as_str());
    until("next week's page", || async move {
        browser_ref.path().await.contains(week_ref).then_some(())
    })
    .await;
    let week_path = browser.path().await;
    let my_week = browser.reload_until(&week_path, "Gezien").await;
    assert!(
        my_week.contains("09:00–13:30") && my_week.contains("14:00–18:00"),
        "{my_week}"
    );
    assert!(my_week.contains("Totaal betaald: 8 u 00 min"), "{my_week}");
    browser.click_button("Gezien").await;
    let acknowledged = browser.wait_for_text("Bevestigd").await;
    assert!(
        browser
            .find(By::XPath("//button[normalize-space()='Gezien']"))
            .await
            .is_err(),
        "the notice is acknowledged: {acknowledged}"
    );

    // The must-read: opened from Home by its title, read, confirmed.
    browser.click_link("Start").await;
    browser.click_link("Nieuwe kassaprocedure").await;
    let post = browser.wait_for_text("two people").await;
    assert!(post.contains("Gelezen en begrepen"), "{post}");
    let bold = browser
        .wait_for(By::Css("article.post .body strong"))
        .await
        .text()
        .await;
    assert_eq!(bold, "two people", "rendered markdown");
    browser.click_button("Gelezen en begrepen").await;
    browser.wait_for_text("Bevestigd").await;
    browser.click_link("Start").await;
    let home = browser.wait_for_text("Hallo Sanne de Vries").await;
    assert!(
        !home.contains("Gelezen en begrepen"),
        "no must-read left on Home: {home}"
    );

    // A post in the store's group, typed into New post.
    browser.click_link("Nieuw bericht").await;
    browser.fill("title", "Koffie").await;
    browser
        .fill(
            "body",
            "Hallo *team*, de nieuwe koffiemachine staat in de kantine.",
        )
        .await;
    submit(&browser, "/new").await;
    until("the new post's page", || async move {
        browser_ref
            .path()
            .await
            .starts_with("/posts/")
            .then_some(())
    })
    .await;
    browser.wait_for_text("de nieuwe koffiemachine").await;
    let emphasis = browser
        .wait_for(By::Css("article.post .body em"))
        .await
        .text()
        .await;
    assert_eq!(emphasis, "team");

    // A comment, then a like.
    browser.fill("body", "**Top**, dank je!").await;
    browser.click_button("Reactie plaatsen").await;
    let commented = browser.wait_for_text("1 reactie").await;
    assert!(commented.contains("dank je!"), "{commented}");
    let strong = browser
        .wait_for(By::Css("article.comment .body strong"))
        .await
        .text()
        .await;
    assert_eq!(strong, "Top");
    browser.click_button("Leuk").await;
    let liked = browser
        .wait_for(By::XPath("//button[normalize-space()='Leuk (1)']"))
        .await;
    assert_eq!(liked.attribute("aria-pressed").await, "true");

    // The post is on Home for the colleague's store group, with its like and comment.
    browser.click_link("Start").await;
    let home = browser.wait_for_text("Koffie").await;
    assert!(
        home.contains("Leuk (1)") && home.contains("1 reactie"),
        "{home}"
    );
    browser.quit().await;
}
