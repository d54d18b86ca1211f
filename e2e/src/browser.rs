//! A real browser for the browser tests: Debian's `chromium` and `chromium-driver`,
//! installed with apt-get where missing (as `infra` does for NATS and PostgreSQL), and a
//! chromedriver of the test's own on a free loopback port, stopped with the test.
//!
//! The tests speak WebDriver to it (`tests/browser/webdriver.rs`) and, for what only the
//! DevTools protocol can do, to Chromium's DevTools endpoint that chromedriver reports.

use std::{
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`), the same version as Chromium.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Installs `chromium` and `chromium-driver` when either binary is missing. Needs root
/// (CI runs as root on a fresh Debian machine); otherwise says what to run.
pub fn ensure_installed() -> anyhow::Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    eprintln!("installing chromium and chromium-driver (Debian packages)...");
    // Tests of one run may get here together: apt waits for the other's lock.
    let lock = ["-o", "DPkg::Lock::Timeout=600"];
    let steps: [&[&str]; 2] = [
        &["update", "-q"],
        &[
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
            "fonts-dejavu-core",
        ],
    ];
    for step in steps {
        let output = Command::new("apt-get")
            .args(lock)
            .args(step)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output();
        match output {
            Ok(o) if o.status.success() => {}
            Ok(o) => bail!(
                "apt-get {} failed: {}\nInstall the browser by hand: \
                 sudo apt-get install chromium chromium-driver",
                step.join(" "),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => bail!(
                "could not run apt-get ({e}); the browser tests need Debian's chromium and \
                 chromium-driver at {CHROMIUM} and {CHROMEDRIVER}"
            ),
        }
    }
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        bail!("apt-get installed chromium-driver, but {CHROMIUM} or {CHROMEDRIVER} is missing");
    }
    Ok(())
}

/// A running chromedriver; stopped (with the browsers it started) when dropped.
#[derive(Debug)]
pub struct ChromeDriver {
    /// Its own process group, so the browsers it starts stop with it.
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: std::net::SocketAddr,
}

impl ChromeDriver {
    /// Installs the browser where missing, starts chromedriver and waits until it is ready.
    pub async fn start() -> anyhow::Result<Self> {
        tokio::task::spawn_blocking(ensure_installed)
            .await
            .context("installing chromium")??;
        // A free port, asked of the kernel; chromedriver binds it a moment later.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {CHROMEDRIVER}"))?;
        let driver = Self {
            child,
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if driver.ready().await {
                return Ok(driver);
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not answer on port {port} within 20 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether `GET /status` says ready (read as it comes: chromedriver may keep the
    /// connection open).
    async fn ready(&self) -> bool {
        let ask = async {
            let mut stream = tokio::net::TcpStream::connect(self.addr).await.ok()?;
            let request = format!(
                "GET /status HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            );
            stream.write_all(request.as_bytes()).await.ok()?;
            let mut answer = Vec::new();
            let mut chunk = [0u8; 1024];
            loop {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                answer.extend_from_slice(&chunk[..n]);
                if String::from_utf8_lossy(&answer).contains("\"ready\":true") {
                    return Some(());
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(2), ask)
            .await
            .ok()
            .flatten()
            .is_some()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium processes it started.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}
