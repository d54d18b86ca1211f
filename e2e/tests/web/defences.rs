//! The app's defences, checked on a signed-in session: what feed refuses is shown with its
//! reason, what it accepts renders inert, CSRF, other chains' and stores' posts, and the
//! static files, manifest and service worker.

use std::net::SocketAddr;

use crate::{
    assert_security_headers,
    browser::{Browser, Page, path_of, submit},
    inert::assert_inert,
};

/// What the checks need from the flow before them.
pub struct Context<'a> {
    pub web: SocketAddr,
    pub tenant: &'a str,
    /// The new-post form.
    pub compose: &'a Page,
    /// A post page (with its forms).
    pub post: &'a Page,
    pub post_path: &'a str,
    /// The store group the person may post in.
    pub group: &'a str,
    /// Another chain's post.
    pub foreign: &'a str,
    /// A post of another store of the chain.
    pub other_store: &'a str,
}

pub async fn check(browser: &mut Browser, c: Context<'_>) {
    // A body feed refuses is shown again with the reason next to the field.
    let refused = submit(
        browser,
        c.compose,
        "/new",
        &[("group", c.group), ("body", "<script>alert(1)</script>")],
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
            browser,
            c.compose,
            "/new",
            &[("group", c.group), ("body", body)],
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
    assert!(home.body.len() < 30 * 1024, "Home stays within its budget");
    eprintln!(
        "Home HTML with the corpus posted (10 posts): {} bytes",
        home.body.len()
    );

    // CSRF: without the token, and from another origin, nothing changes.
    let no_token = browser.post(&format!("{}/react", c.post_path), &[]).await;
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    let token = c.post.csrf();
    let foreign_origin = browser
        .post_from(
            &format!("{}/react", c.post_path),
            &[("csrf", &token)],
            "https://evil.example",
        )
        .await;
    assert_eq!(foreign_origin.status, 403);
    let unchanged = browser.get(c.post_path).await;
    assert!(unchanged.body.contains("Like (1)"), "{}", unchanged.body);
    let mut stranger = Browser::new(c.web);
    let signin = stranger.get("/signin").await;
    let forged = stranger
        .post_from(
            "/signin",
            &[
                ("csrf", &signin.csrf()),
                ("tenant", c.tenant),
                ("login", "x@y.z"),
                ("password", "p"),
            ],
            "https://evil.example",
        )
        .await;
    assert_eq!(forged.status, 403);

    // Another chain's post by URL is the same 404 as a missing one.
    let other = browser.get(&path_of(c.foreign)).await;
    assert_eq!(other.status, 404, "{}", other.body);
    assert_security_headers(&other, "404");
    assert!(other.body.contains("We could not find that page"));
    let elsewhere = browser.get(&path_of(c.other_store)).await;
    assert_eq!(
        elsewhere.status, 404,
        "another store's post: {}",
        elsewhere.body
    );
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
    let icons = manifest["icons"].as_array().unwrap();
    assert!(icons.iter().any(|i| i["purpose"] == "maskable"));
    for size in ["192x192", "512x512"] {
        let icon = icons
            .iter()
            .find(|i| i["sizes"] == size && i["type"] == "image/png")
            .unwrap();
        let png = browser.get(icon["src"].as_str().unwrap()).await;
        assert_eq!((png.status, png.header("content-type")), (200, "image/png"));
        assert!(png.body.contains("PNG") && png.body.contains("IHDR"));
    }
    let sw = browser.get("/sw.js").await;
    assert!(sw.body.contains("showNotification") && sw.body.contains("notificationclick"));
    assert_eq!(sw.header("cache-control"), "no-cache");
    let messages = browser.get("/push-messages.json").await;
    assert!(
        messages.body.contains("Your roster is out"),
        "{}",
        messages.body
    );
}
