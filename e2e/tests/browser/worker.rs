//! The service worker in a real browser: it registers and takes control, a push delivered
//! to it through DevTools (`ServiceWorker.deliverPushMessage`, since no real push service
//! is reachable from a test) shows a notification titled in the reader's language, and
//! with the network off (DevTools emulation) My week still shows, with the offline banner.

use breakroom_e2e::platform::Service;
use serde_json::{Value, json};

use crate::{Stack, activate, devtools::DevTools, onboard, webdriver::until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_worker_shows_a_pushed_notification_and_keeps_my_week_for_offline() {
    let stack = Stack::start().await;
    let identity = stack.channel(Service::Identity).await;
    let scheduling = stack.channel(Service::Scheduling).await;
    let chain = onboard::onboard(&identity, "browser-worker").await;
    let browser = stack.browser("nl").await;
    activate(&browser, &chain).await;
    onboard::publish_next_week(&scheduling, &chain).await;

    // app.js registers /sw.js; once active it claims the page.
    let browser = &browser;
    until("the service worker controls the page", || async move {
        let state = browser
            .execute(
                "var c = navigator.serviceWorker && navigator.serviceWorker.controller; \
                 return c ? c.scriptURL + ' ' + c.state : null;",
                json!([]),
            )
            .await;
        state
            .as_str()
            .is_some_and(|s| s.ends_with("/sw.js activated"))
            .then_some(())
    })
    .await;

    // Its registration id, from DevTools' ServiceWorker domain (an event, so over the
    // browser's websocket rather than chromedriver).
    let origin = browser.origin.clone();
    let mut devtools = DevTools::connect(&browser.debugger).await;
    let page = devtools.attach("page", &origin).await;
    devtools
        .send(Some(&page), "ServiceWorker.enable", json!({}))
        .await;
    let scope = format!("{origin}/");
    let registration = devtools
        .event("the app's service worker registration", |event| {
            if event["method"] != "ServiceWorker.workerRegistrationUpdated" {
                return None;
            }
            event["params"]["registrations"]
                .as_array()?
                .iter()
                .find(|r| r["scopeURL"] == scope.as_str() && r["isDeleted"] == false)
                .and_then(|r| r["registrationId"].as_str().map(str::to_owned))
        })
        .await;

    // Its version activated (and so ready for push events), as DevTools sees it.
    devtools
        .event("the registration's active version", |event| {
            if event["method"] != "ServiceWorker.workerVersionUpdated" {
                return None;
            }
            event["params"]["versions"]
                .as_array()?
                .iter()
                .any(|v| v["registrationId"] == registration.as_str() && v["status"] == "activated")
                .then_some(())
        })
        .await;

    // A push in the notifications service's format (kind, fields, key): an announcement.
    devtools
        .send(
            None,
            "Browser.grantPermissions",
            json!({ "permissions": ["notifications"], "origin": origin }),
        )
        .await;
    let post = format!("tenants/{}/groups/news/posts/p1", chain.tenant);
    let payload = json!({
        "id": "0195f3c2-0000-7000-8000-000000000001",
        "kind": "KIND_ANNOUNCEMENT",
        "fields": { "post": post, "post_title": "Nieuwe kassaprocedure" },
        "urgent": false,
        "count": 1,
        "key": "0195f3c2-0000-7000-8000-000000000002",
    });
    // The worker's own DevTools session: its console and exceptions explain a failure, and
    // its network is switched off below.
    let worker = devtools
        .attach("service_worker", &format!("{origin}/sw.js"))
        .await;
    devtools
        .send(Some(&worker), "Runtime.enable", json!({}))
        .await;
    // Chromium drops a stored notification that a getNotifications() call made before the
    // platform displayed it does not find displayed; so the test asks only once the
    // worker's showNotification() has settled, which it learns by wrapping that method.
    devtools
        .send(
            Some(&worker),
            "Runtime.evaluate",
            json!({ "expression": WATCH_SHOW_NOTIFICATION, "returnByValue": true }),
        )
        .await;
    devtools
        .send(
            Some(&page),
            "ServiceWorker.deliverPushMessage",
            json!({
                "origin": origin,
                "registrationId": registration,
                "data": payload.to_string(),
            }),
        )
        .await;
    let settled = tokio::time::timeout(crate::webdriver::PATIENCE, async {
        loop {
            let watched = devtools
                .send(
                    Some(&worker),
                    "Runtime.evaluate",
                    json!({ "expression": "JSON.stringify(self.__shown || [])", "returnByValue": true }),
                )
                .await;
            let list: Value =
                serde_json::from_str(watched["result"]["value"].as_str().unwrap_or("[]")).unwrap();
            if let Some(done) = list
                .as_array()
                .and_then(|l| l.iter().find(|e| e["state"] != "pending"))
            {
                return done.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await;
    let settled = match settled {
        Ok(settled) => settled,
        Err(_) => {
            let said: Vec<String> = devtools
                .events
                .iter()
                .filter(|e| e["sessionId"] == worker.as_str())
                .map(Value::to_string)
                .collect();
            panic!(
                "the push showed no notification; the worker said:\n{}",
                said.join("\n")
            );
        }
    };
    assert_eq!(settled["state"], "shown", "{settled}");
    let shown = until("the notification in getNotifications()", || async move {
        let shown = browser
            .execute_async(
                "var done = arguments[arguments.length - 1];\
                 navigator.serviceWorker.ready\
                   .then(function (r) { return r.getNotifications(); })\
                   .then(function (ns) { done(ns.map(function (n) {\
                     return { title: n.title, body: n.body, tag: n.tag, data: n.data };\
                   })); }, function (e) { done(String(e)); });",
                json!([]),
            )
            .await;
        shown.as_array().and_then(|l| l.first().cloned())
    })
    .await;
    // Titled from /push-messages.json in the reader's language (the chain's: Dutch).
    assert_eq!(shown["title"], "Nieuwe mededeling", "{shown}");
    assert_eq!(shown["body"], "Nieuwe kassaprocedure", "{shown}");
    assert_eq!(shown["tag"], payload["key"], "{shown}");
    assert_eq!(shown["data"]["url"], "/posts/news/p1", "{shown}");

    // My week (next week, with shifts) while online: the worker keeps a copy.
    let (week, _) = onboard::next_week();
    let week_path = format!("/week?week={week}");
    let online = browser.reload_until(&week_path, "09:00–13:30").await;
    assert!(!online.contains("Offline"), "{online}");
    // Kept under its own address: each week is its own page.
    let kept_path = week_path.clone();
    until("My week kept by the service worker", || {
        let kept_path = kept_path.clone();
        async move {
            let kept = browser
                .execute_async(
                    "var done = arguments[arguments.length - 1];\
                     var key = arguments[0];\
                     caches.open('breakroom-pages-v1')\
                       .then(function (c) { return c.match(key); })\
                       .then(function (r) { return r ? r.text() : ''; })\
                       .then(function (t) { done(t.indexOf('09:00') >= 0); }, function () { done(false); });",
                    json!([kept_path]),
                )
                .await;
            (kept == true).then_some(())
        }
    })
    .await;

    // Offline: the page's network and the worker's own (DevTools emulation applies per
    // target, and the worker fetches for the page).
    let offline = json!({
        "offline": true,
        "latency": 0,
        "downloadThroughput": -1,
        "uploadThroughput": -1,
    });
    browser
        .cdp("Network.emulateNetworkConditions", offline.clone())
        .await;
    devtools
        .send(Some(&worker), "Network.enable", json!({}))
        .await;
    devtools
        .send(Some(&worker), "Network.emulateNetworkConditions", offline)
        .await;

    browser.goto(&week_path).await;
    let text = browser.wait_for_text("Offline — stand van").await;
    assert!(text.contains("09:00–13:30"), "My week offline: {text}");
    let from_cache = browser
        .execute("return document.body.dataset.fromCache || '';", json!([]))
        .await;
    assert_eq!(from_cache, "true", "served by the worker from its cache");
    let banner = browser
        .execute(
            "var b = document.getElementById('offline-banner'); \
             return b.hidden ? '' : b.textContent;",
            json!([]),
        )
        .await;
    let banner = banner.as_str().unwrap_or_default();
    let time = banner
        .trim()
        .strip_prefix("Offline — stand van ")
        .unwrap_or("");
    assert!(
        time.len() == 5
            && time.as_bytes()[2] == b':'
            && time.replace(':', "").bytes().all(|b| b.is_ascii_digit()),
        "the banner says as of when (HH:MM): {banner:?}"
    );
    browser.clone().quit().await;
}

/// Run in the worker: records each showNotification() call and how it settled.
const WATCH_SHOW_NOTIFICATION: &str = "(function () {\
  var show = ServiceWorkerRegistration.prototype.showNotification;\
  self.__shown = [];\
  ServiceWorkerRegistration.prototype.showNotification = function (title, options) {\
    var entry = { title: title, state: 'pending' };\
    self.__shown.push(entry);\
    return show.call(this, title, options).then(\
      function (v) { entry.state = 'shown'; return v; },\
      function (e) { entry.state = 'failed: ' + e; throw e; });\
  };\
  return 'watching';\
})()";
