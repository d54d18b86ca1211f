//! Lighthouse audits of the web app as a signed-in person sees it: the four category
//! scores and the PWA installability checks of Home and My week.
//!
//! Lighthouse comes from npm into `target/e2e-tools/lighthouse` (once; later runs reuse
//! it) and drives Debian's Chromium (`apt-get install chromium` where missing), headless, with its
//! default mobile emulation (a mid-range phone's screen, 4x CPU slowdown, simulated slow
//! 4G). It is pinned to the 11.x line: Lighthouse 12 removed the PWA category and its
//! `installable-manifest` audit, which 11 still runs.
//!
//! The session is the app's own cookie: `sign_in` posts the sign-in form (plain HTTP/1.1
//! over a blocking socket, so this module needs no HTTP client crate) and the cookie reaches every
//! request Lighthouse makes through `--extra-headers`. A cookie is good for one audit:
//! once the app renews the session (after `BREAKROOM_WEB_SESSION_CHECK_SECS`) the old
//! refresh token inside it is spent, so sign in again before the next page.

use std::{
    collections::BTreeMap,
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

/// The Lighthouse release the audits use: the last major line with the PWA category.
pub const LIGHTHOUSE: &str = "lighthouse@11.7.1";

/// Debian's Chromium, which Lighthouse drives.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The categories reported, as Lighthouse names them.
const CATEGORIES: [&str; 4] = ["performance", "accessibility", "best-practices", "pwa"];

/// What one audit found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The page audited.
    pub url: String,
    /// Category id -> score 0..100 (`None`: Lighthouse could not score it).
    pub scores: BTreeMap<String, Option<u32>>,
    /// The PWA category's audits: (id, passed, Lighthouse's title or explanation).
    pub pwa_audits: Vec<(String, Option<bool>, String)>,
    /// Lab metrics of the mobile run: (title, displayed value).
    pub metrics: Vec<(String, String)>,
    /// The URL Lighthouse ended on (a redirect to `/signin` means the cookie was refused).
    pub final_url: String,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Lighthouse ({LIGHTHOUSE}, mobile) {}", self.url)?;
        if self.final_url != self.url {
            writeln!(f, "  ended on {} (not the page asked for)", self.final_url)?;
        }
        for (category, score) in &self.scores {
            let score = score.map_or("n/a".to_owned(), |s| s.to_string());
            writeln!(f, "  {category:<15} {score}")?;
        }
        for (title, value) in &self.metrics {
            writeln!(f, "  {title:<26} {value}")?;
        }
        for (id, passed, note) in &self.pwa_audits {
            let verdict = match passed {
                Some(true) => "pass",
                Some(false) => "FAIL",
                None => "n/a",
            };
            writeln!(f, "  pwa {id:<22} {verdict:<4} {note}")?;
        }
        Ok(())
    }
}

/// Lighthouse's CLI script, installed first from npm when missing (needs `npm` and Node).
pub fn install() -> anyhow::Result<PathBuf> {
    let prefix = target_dir()?.join("e2e-tools").join("lighthouse");
    let cli = prefix
        .join("node_modules")
        .join("lighthouse")
        .join("cli")
        .join("index.js");
    let marker = prefix.join("installed");
    if cli.exists() && std::fs::read_to_string(&marker).is_ok_and(|m| m == LIGHTHOUSE) {
        return Ok(cli);
    }
    std::fs::create_dir_all(&prefix).context("creating target/e2e-tools/lighthouse")?;
    let output = Command::new("npm")
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--no-package-lock",
            "--silent",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(LIGHTHOUSE)
        .output()
        .context("running npm (is it installed?)")?;
    if !output.status.success() {
        bail!(
            "npm install {LIGHTHOUSE} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(&marker, LIGHTHOUSE).context("marking lighthouse installed")?;
    Ok(cli)
}

/// Installs Debian's `chromium` with apt-get when it is missing (needs root).
fn ensure_chromium() -> anyhow::Result<()> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    for step in [
        &["update", "-q"][..],
        &["install", "-y", "-q", "--no-install-recommends", "chromium"],
    ] {
        let status = Command::new("apt-get")
            .args(["-o", "DPkg::Lock::Timeout=600"])
            .args(step)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        if !status.success() {
            bail!(
                "apt-get {} failed: install chromium by hand",
                step.join(" ")
            );
        }
    }
    Ok(())
}

/// Audits `url` with `cookie` (a `Cookie` header value) sent on every request.
pub fn audit(url: &str, cookie: &str) -> anyhow::Result<Report> {
    let cli = install()?;
    ensure_chromium()?;
    let out = std::env::temp_dir().join(format!("lighthouse-{}.json", uuid::Uuid::new_v4()));
    let headers = serde_json::json!({ "Cookie": cookie }).to_string();
    let output = Command::new("node")
        .arg(&cli)
        .arg(url)
        .arg(format!("--only-categories={}", CATEGORIES.join(",")))
        .args(["--output=json", "--quiet"])
        .arg(format!("--output-path={}", out.display()))
        .arg(format!("--extra-headers={headers}"))
        // Root in CI needs --no-sandbox; /dev/shm is small in containers.
        .arg("--chrome-flags=--headless=new --no-sandbox --disable-dev-shm-usage")
        .env("CHROME_PATH", CHROMIUM)
        .output()
        .context("running lighthouse with node")?;
    let json = std::fs::read_to_string(&out);
    let _ = std::fs::remove_file(&out);
    if !output.status.success() {
        bail!(
            "lighthouse {url} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse(url, &json.context("reading lighthouse's report")?)
}

/// The figures of a Lighthouse JSON report (`lhr`).
fn parse(url: &str, json: &str) -> anyhow::Result<Report> {
    let lhr: serde_json::Value = serde_json::from_str(json).context("lighthouse's JSON")?;
    let scores = CATEGORIES
        .iter()
        .map(|c| {
            let score = lhr["categories"][c]["score"]
                .as_f64()
                .map(|s| (s * 100.0).round() as u32);
            ((*c).to_owned(), score)
        })
        .collect();
    let audit = |id: &str| &lhr["audits"][id];
    let pwa_audits = lhr["categories"]["pwa"]["auditRefs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .map(|id| {
            let a = audit(id);
            let passed = a["score"].as_f64().map(|s| s >= 0.9);
            let note = a["explanation"]
                .as_str()
                .filter(|e| !e.is_empty())
                .or_else(|| a["title"].as_str())
                .unwrap_or_default()
                .to_owned();
            (id.to_owned(), passed, note)
        })
        .collect();
    let metrics = [
        "first-contentful-paint",
        "largest-contentful-paint",
        "total-blocking-time",
        "cumulative-layout-shift",
        "speed-index",
    ]
    .iter()
    .map(|id| {
        let a = audit(id);
        (
            a["title"].as_str().unwrap_or(id).to_owned(),
            a["displayValue"].as_str().unwrap_or("n/a").to_owned(),
        )
    })
    .collect();
    Ok(Report {
        url: url.to_owned(),
        scores,
        pwa_audits,
        metrics,
        final_url: lhr["finalDisplayedUrl"].as_str().unwrap_or(url).to_owned(),
    })
}

/// Signs in through the app's form at `base` (`http://host:port`) and returns the
/// `Cookie` header value of the new session.
pub fn sign_in(base: &str, tenant: &str, login: &str, password: &str) -> anyhow::Result<String> {
    let authority = base
        .strip_prefix("http://")
        .context("a plain http:// base URL")?
        .trim_end_matches('/');
    let mut cookies = BTreeMap::new();
    let form = exchange(authority, "GET", "/signin", &cookies, None)?;
    form.keep_cookies(&mut cookies);
    let marker = r#"name="csrf" value=""#;
    let start = form.body.find(marker).context("no CSRF token on /signin")? + marker.len();
    let csrf = &form.body[start..start + form.body[start..].find('"').unwrap_or(0)];
    let body = [
        ("csrf", csrf),
        ("tenant", tenant),
        ("login", login),
        ("password", password),
        ("next", "/"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", form_encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    let done = exchange(authority, "POST", "/signin", &cookies, Some(&body))?;
    done.keep_cookies(&mut cookies);
    if done.status != 303 || !cookies.contains_key("br_session") {
        bail!("sign-in refused: HTTP {}", done.status);
    }
    Ok(cookie_header(&cookies))
}

/// `name=value; ...` of a cookie jar.
pub fn cookie_header(cookies: &BTreeMap<String, String>) -> String {
    cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

struct Answer {
    status: u16,
    set_cookies: Vec<String>,
    body: String,
}

impl Answer {
    /// Applies the answer's `Set-Cookie` headers to `jar` (an expired one removes).
    fn keep_cookies(&self, jar: &mut BTreeMap<String, String>) {
        for line in &self.set_cookies {
            apply_set_cookie(jar, line);
        }
    }
}

/// Applies one `Set-Cookie` value to `jar`: stores it, or removes it when it expires.
pub fn apply_set_cookie(jar: &mut BTreeMap<String, String>, line: &str) {
    let mut attributes = line.split(';');
    let Some((name, value)) = attributes.next().and_then(|p| p.trim().split_once('=')) else {
        return;
    };
    let expired = attributes.any(|a| {
        let a = a.trim().to_ascii_lowercase();
        a == "max-age=0" || a.starts_with("max-age=-") || a.starts_with("expires=thu, 01 jan 1970")
    });
    if expired || value.is_empty() {
        jar.remove(name);
    } else {
        jar.insert(name.to_owned(), value.to_owned());
    }
}

/// One HTTP/1.1 request on a connection of its own (`Connection: close`).
fn exchange(
    authority: &str,
    method: &str,
    path: &str,
    cookies: &BTreeMap<String, String>,
    form: Option<&str>,
) -> anyhow::Result<Answer> {
    let mut stream =
        TcpStream::connect(authority).with_context(|| format!("connecting to {authority}"))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nOrigin: http://{authority}\r\n"
    );
    if !cookies.is_empty() {
        request.push_str(&format!("Cookie: {}\r\n", cookie_header(cookies)));
    }
    let body = form.unwrap_or_default();
    if form.is_some() {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").context("no HTTP header")?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    let set_cookies = lines
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.trim().to_owned())
        .collect();
    Ok(Answer {
        status,
        set_cookies,
        body: body.to_owned(),
    })
}

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
fn target_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(PathBuf::from(dir));
    }
    Ok(Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the e2e crate lies in the workspace")?
        .join("target"))
}

/// `breakroom-dev lighthouse [base-url [tenant login password]]`: audits Home and My week
/// of a running app (default: `cargo dev up`'s, signed in as a demo employee).
pub fn command(args: &[String]) -> anyhow::Result<()> {
    let base = args.first().map_or("http://127.0.0.1:8080", String::as_str);
    let demo_login = format!(
        "employee01.{}@demo.example",
        breakroom_e2e::demo::STORES[0].code
    );
    let (tenant, login, password) = match args {
        [_, tenant, login, password, ..] => (tenant.as_str(), login.as_str(), password.as_str()),
        _ => (
            breakroom_e2e::demo::TENANT,
            demo_login.as_str(),
            breakroom_e2e::demo::PASSWORD,
        ),
    };
    for path in ["/", "/week"] {
        // A fresh session per page: see the module's header.
        let cookie = sign_in(base, tenant, login, password)
            .with_context(|| format!("signing in as {login} at {base}"))?;
        let url = format!("{}{path}", base.trim_end_matches('/'));
        print!("{}", audit(&url, &cookie)?);
    }
    Ok(())
}
