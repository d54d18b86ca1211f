//! A small WebDriver client (W3C WebDriver over HTTP/1.1 with hyper, JSON with serde_json)
//! for the few commands the tests use: navigate, find, click, type, run a script, take a
//! screenshot, and chromedriver's `goog/cdp/execute` for DevTools commands on the page.
//!
//! Waiting is always for a condition with a deadline (`until`), never a fixed sleep.

use std::{
    future::Future,
    net::SocketAddr,
    time::{Duration, Instant},
};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use breakroom_e2e::browser::{CHROMIUM, ChromeDriver};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a condition may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Phone size: the viewport every test and screenshot uses.
pub const WIDTH: u32 = 360;
pub const HEIGHT: u32 = 780;

/// Polls `check` every 100 ms until it yields a value; panics with `what` after `PATIENCE`.
pub async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A WebDriver error (`no such element`, `javascript error`, ...).
#[derive(Debug)]
pub struct WebDriverError(pub String);

/// One browser session (a Chromium of its own, fresh profile) on the app at `origin`.
#[derive(Debug, Clone)]
pub struct Session {
    driver: SocketAddr,
    id: String,
    /// The app, `http://127.0.0.1:<port>`.
    pub origin: String,
    /// Chromium's DevTools endpoint (`localhost:<port>`), for `devtools::DevTools`.
    pub debugger: String,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element {
    session: Session,
    id: String,
}

async fn call(
    driver: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, WebDriverError> {
    let stream = tokio::net::TcpStream::connect(driver)
        .await
        .map_err(|e| WebDriverError(format!("chromedriver: {e}")))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| WebDriverError(format!("chromedriver: {e}")))?;
    tokio::spawn(connection);
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, driver.to_string())
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| WebDriverError(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| WebDriverError(format!("chromedriver: {e}")))?;
    let ok = response.status().is_success();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| WebDriverError(e.to_string()))?
        .to_bytes();
    let mut answer: Value =
        serde_json::from_slice(&bytes).map_err(|e| WebDriverError(e.to_string()))?;
    let value = answer["value"].take();
    if ok {
        Ok(value)
    } else {
        Err(WebDriverError(format!(
            "{}: {}",
            value["error"].as_str().unwrap_or("error"),
            value["message"].as_str().unwrap_or_default()
        )))
    }
}

/// A CSS selector or an XPath expression.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    Css(&'a str),
    XPath(&'a str),
}

impl By<'_> {
    fn json(self) -> Value {
        match self {
            By::Css(css) => json!({ "using": "css selector", "value": css }),
            By::XPath(xpath) => json!({ "using": "xpath", "value": xpath }),
        }
    }
}

impl std::fmt::Display for By<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            By::Css(css) => write!(f, "{css}"),
            By::XPath(xpath) => write!(f, "{xpath}"),
        }
    }
}

/// XPath of a button or link whose visible text is `text` (no `'` in it).
fn labelled(element: &str, text: &str) -> String {
    assert!(!text.contains('\''), "a label without quotes: {text}");
    format!("//{element}[normalize-space()='{text}']")
}

impl Session {
    /// Starts headless Chromium at phone size (360×780) whose languages are `lang`
    /// (`Accept-Language`), on the app at `app`.
    pub async fn start(driver: &ChromeDriver, app: SocketAddr, lang: &str) -> Self {
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-gpu".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--password-store=basic".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--force-device-scale-factor=1".to_owned(),
            format!("--window-size={WIDTH},{HEIGHT}"),
            format!("--lang={lang}"),
        ];
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "timeouts": { "implicit": 0, "pageLoad": 30000, "script": 30000 },
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": args,
                    "prefs": { "intl.accept_languages": lang },
                },
            }}
        });
        let created = call(driver.addr, "POST", "/session", Some(capabilities))
            .await
            .unwrap_or_else(|e| panic!("starting Chromium through chromedriver: {}", e.0));
        let session = Self {
            driver: driver.addr,
            id: created["sessionId"].as_str().unwrap().to_owned(),
            origin: format!("http://{app}"),
            debugger: created["capabilities"]["goog:chromeOptions"]["debuggerAddress"]
                .as_str()
                .unwrap()
                .to_owned(),
        };
        // The viewport itself at phone size (the window's size includes no browser chrome
        // in headless mode, but a mobile viewport also honours the page's meta viewport).
        session
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": true }),
            )
            .await;
        session
    }

    async fn command(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        call(
            self.driver,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )
        .await
    }

    /// Opens `path` of the app (or a full URL) and waits for it to load.
    pub async fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.origin)
        };
        self.command("POST", "/url", Some(json!({ "url": url })))
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {}", e.0));
    }

    /// The current page's path and query.
    pub async fn path(&self) -> String {
        let url = self.command("GET", "/url", None).await.unwrap();
        let url = url.as_str().unwrap_or_default();
        url.strip_prefix(&self.origin).unwrap_or(url).to_owned()
    }

    /// The first element `by` finds now.
    pub async fn find(&self, by: By<'_>) -> Result<Element, WebDriverError> {
        let found = self.command("POST", "/element", Some(by.json())).await?;
        Ok(Element {
            session: self.clone(),
            id: found[ELEMENT].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// The first element `by` finds, waiting for it to appear.
    pub async fn wait_for(&self, by: By<'_>) -> Element {
        let what = format!("an element {by} on {}", self.path().await);
        until(&what, || async move { self.find(by).await.ok() }).await
    }

    /// Clicks the button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        self.wait_for(By::XPath(&labelled("button", text)))
            .await
            .click()
            .await;
    }

    /// Clicks the link whose text is `text`.
    pub async fn click_link(&self, text: &str) {
        self.wait_for(By::XPath(&labelled("a", text)))
            .await
            .click()
            .await;
    }

    /// Types `text` into the field with id `id`, replacing what was there.
    pub async fn fill(&self, id: &str, text: &str) {
        let field = self.wait_for(By::Css(&format!("#{id}"))).await;
        field.clear().await;
        field.type_text(text).await;
    }

    /// Chooses the option with value `value` in the select with id `id`.
    pub async fn choose(&self, id: &str, value: &str) {
        self.wait_for(By::Css(&format!("#{id} option[value='{value}']")))
            .await
            .click()
            .await;
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.execute(
            "return document.body ? document.body.innerText : '';",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Waits until the page's visible text contains `needle`; returns that text.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let mut last = String::new();
        let found = tokio::time::timeout(PATIENCE, async {
            loop {
                last = self.text().await;
                if last.contains(needle) {
                    return last.clone();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("waited {PATIENCE:?} for {needle:?} on the page:\n{last}"))
    }

    /// Reloads `path` until its text contains `needle` (for what the services project
    /// behind the log); returns that text.
    pub async fn reload_until(&self, path: &str, needle: &str) -> String {
        until(&format!("{needle:?} on {path}"), || async move {
            self.goto(path).await;
            let text = self.text().await;
            text.contains(needle).then_some(text)
        })
        .await
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.try_execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {}", e.0))
    }

    pub async fn try_execute(&self, script: &str, args: Value) -> Result<Value, WebDriverError> {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Runs `script`, which calls its last argument with the answer.
    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
        .unwrap_or_else(|e| panic!("async script failed: {}", e.0))
    }

    /// A DevTools command on the page's target, through chromedriver.
    pub async fn cdp(&self, method: &str, params: Value) -> Value {
        self.command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": method, "params": params })),
        )
        .await
        .unwrap_or_else(|e| panic!("{method}: {}", e.0))
    }

    /// The viewport as PNG.
    pub async fn screenshot(&self) -> Vec<u8> {
        let encoded = self.command("GET", "/screenshot", None).await.unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .unwrap()
    }

    /// Ends the session (and its Chromium).
    pub async fn quit(self) {
        let _ = self.command("DELETE", "", None).await;
    }
}

impl Element {
    async fn command(
        &self,
        method: &str,
        what: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        self.session
            .command(method, &format!("/element/{}{what}", self.id), body)
            .await
    }

    /// Clicks it, scrolled to the middle of the screen first as a person would (WebDriver
    /// alone scrolls it just into view, where the fixed bottom navigation may cover it).
    pub async fn click(&self) {
        self.session
            .execute(
                "arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' });",
                json!([{ ELEMENT: self.id }]),
            )
            .await;
        self.command("POST", "/click", Some(json!({})))
            .await
            .unwrap_or_else(|e| panic!("click: {}", e.0));
    }

    pub async fn clear(&self) {
        self.command("POST", "/clear", Some(json!({})))
            .await
            .unwrap_or_else(|e| panic!("clear: {}", e.0));
    }

    /// Types `text` key by key.
    pub async fn type_text(&self, text: &str) {
        self.command("POST", "/value", Some(json!({ "text": text })))
            .await
            .unwrap_or_else(|e| panic!("typing: {}", e.0));
    }

    /// Its visible text.
    pub async fn text(&self) -> String {
        self.command("GET", "/text", None)
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An attribute's value (empty when absent).
    pub async fn attribute(&self, name: &str) -> String {
        self.command("GET", &format!("/attribute/{name}"), None)
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether it is shown.
    pub async fn displayed(&self) -> bool {
        self.command("GET", "/displayed", None)
            .await
            .map(|v| v.as_bool().unwrap_or(false))
            .unwrap_or(false)
    }
}
