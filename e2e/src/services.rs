//! Starts every Breakroom service as its own process and waits until each is SERVING,
//! then the web app in front of them and waits until it answers; stops them all again,
//! each with SIGTERM so it drains, on Ctrl-C or SIGTERM.

use std::{
    io::{Read, Write},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};

/// A service binary, its package, its default gRPC address and local-only settings.
struct Service {
    name: &'static str,
    package: &'static str,
    addr: &'static str,
    env: &'static [(&'static str, &'static str)],
}

/// The platform operator token of local runs (never use it anywhere else).
pub const DEV_OPERATOR_TOKEN: &str = "dev-operator-token";

/// identity's local address.
pub const IDENTITY_ADDR: &str = "127.0.0.1:50051";
/// scheduling's local address.
pub const SCHEDULING_ADDR: &str = "127.0.0.1:50052";
/// feed's local address.
pub const FEED_ADDR: &str = "127.0.0.1:50053";
/// notifications' local address.
pub const NOTIFICATIONS_ADDR: &str = "127.0.0.1:50054";
/// The web app's local HTTP address (its own default).
pub const WEB_ADDR: &str = "127.0.0.1:8080";

/// The services that exist so far; each new service adds a line.
const SERVICES: &[Service] = &[
    Service {
        name: "identity",
        package: "breakroom-identity",
        addr: IDENTITY_ADDR,
        env: &[("BREAKROOM_OPERATOR_TOKEN", DEV_OPERATOR_TOKEN)],
    },
    Service {
        name: "scheduling",
        package: "breakroom-scheduling",
        addr: SCHEDULING_ADDR,
        env: &[],
    },
    Service {
        name: "feed",
        package: "breakroom-feed",
        addr: FEED_ADDR,
        env: &[],
    },
    Service {
        name: "notifications",
        package: "breakroom-notifications",
        addr: NOTIFICATIONS_ADDR,
        env: &[],
    },
];

/// Builds and starts the services and the web app, prints where they are, seeds (or
/// reuses) the demo chain when `seed`, and waits for Ctrl-C or SIGTERM.
pub async fn up(seed: bool) -> anyhow::Result<()> {
    let mut build = tokio::process::Command::new(env!("CARGO"));
    build.args(["build", "--release"]);
    for service in SERVICES {
        build.args(["-p", service.package]);
    }
    build.args(["-p", "breakroom-web"]);
    if !build.status().await?.success() {
        bail!("building the services failed");
    }
    let target = target_dir().await?.join("release");
    let mut children = Vec::new();
    for service in SERVICES {
        let child = tokio::process::Command::new(target.join(service.name))
            .env("GRPC_LISTEN_ADDR", service.addr)
            .envs(service.env.iter().copied())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", service.name))?;
        children.push(child);
    }
    for service in SERVICES {
        wait_serving(service.addr)
            .await
            .with_context(|| service.name)?;
        println!("{:<14} grpc://{}  (SERVING)", service.name, service.addr);
    }
    let mut web = start_web(&target, seed)?;
    wait_healthy(WEB_ADDR, &mut web).await.context("web")?;
    children.push(web);
    println!("{:<14} http://{WEB_ADDR}  (GET /healthz: ok)", "web");
    println!("operator token (local only): {DEV_OPERATOR_TOKEN}");
    let web_url = format!("http://{WEB_ADDR}");
    if seed {
        let addrs = breakroom_e2e::demo::Addrs {
            identity: IDENTITY_ADDR.into(),
            scheduling: SCHEDULING_ADDR.into(),
            feed: FEED_ADDR.into(),
            notifications: NOTIFICATIONS_ADDR.into(),
        };
        breakroom_e2e::demo::ensure(&addrs, DEV_OPERATOR_TOKEN).await?;
        breakroom_e2e::demo::print_browser_guide(&web_url);
    } else {
        println!(
            "\nThe app: {web_url}/ (no demo chain: sign in with a person of a chain you \
             created, or activate an invited one at {web_url}/activate)"
        );
    }
    println!("press Ctrl-C to stop");
    stopped().await?;
    // The web app first, so nothing calls a service that is already gone.
    while let Some(child) = children.pop() {
        stop(child).await;
    }
    Ok(())
}

/// The web app in front of the local services: plain HTTP, so cookies without
/// `Secure` (its local-only setting); the demo chain proposed on the sign-in form.
fn start_web(target: &std::path::Path, seed: bool) -> anyhow::Result<tokio::process::Child> {
    if http_status(WEB_ADDR, "/healthz").is_ok() {
        bail!("something already answers on {WEB_ADDR} (another `cargo dev up`?): stop it first");
    }
    let mut web = tokio::process::Command::new(target.join("web"));
    web.env("HTTP_LISTEN_ADDR", WEB_ADDR)
        .env("BREAKROOM_IDENTITY_URL", format!("http://{IDENTITY_ADDR}"))
        .env(
            "BREAKROOM_SCHEDULING_URL",
            format!("http://{SCHEDULING_ADDR}"),
        )
        .env("BREAKROOM_FEED_URL", format!("http://{FEED_ADDR}"))
        .env(
            "BREAKROOM_NOTIFICATIONS_URL",
            format!("http://{NOTIFICATIONS_ADDR}"),
        )
        .env("BREAKROOM_WEB_INSECURE_COOKIES", "true")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if seed {
        web.env("BREAKROOM_WEB_TENANT", breakroom_e2e::demo::TENANT);
    }
    web.spawn().context("starting web")
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn stopped() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        stopped = tokio::signal::ctrl_c() => stopped?,
        _ = term.recv() => {}
    }
    Ok(())
}

/// Stops a process as Kubernetes would: SIGTERM, time to drain, SIGKILL after 30 s.
async fn stop(mut child: tokio::process::Child) {
    if let Some(pid) = child.id() {
        // It may have gone already (Ctrl-C reaches the whole process group).
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

/// Polls `GET /healthz` until it answers 200, at most a minute, while `process` runs.
async fn wait_healthy(
    addr: &'static str,
    process: &mut tokio::process::Child,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = process.try_wait()? {
            bail!("exited ({status}) before answering on {addr}");
        }
        let answer = tokio::task::spawn_blocking(move || http_status(addr, "/healthz")).await?;
        if matches!(answer, Ok(200)) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("GET http://{addr}/healthz: no 200 within a minute (last: {answer:?})");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The status code of a plain HTTP/1.1 GET (the tool has no HTTP client of its own).
fn http_status(addr: &str, path: &str) -> anyhow::Result<u16> {
    let socket = addr.parse()?;
    let mut stream = std::net::TcpStream::connect_timeout(&socket, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    // "HTTP/1.1 200"
    let status = std::str::from_utf8(&head[9..12])?;
    Ok(status.parse()?)
}

async fn wait_serving(addr: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(channel) = tonic::transport::Channel::from_shared(format!("http://{addr}"))?
            .connect()
            .await
        {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let request = tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            };
            if let Ok(reply) = health.check(request).await
                && reply.get_ref().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            {
                return Ok(());
            }
        }
        if tokio::time::Instant::now() > deadline {
            bail!("not SERVING within a minute");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Where cargo puts the binaries: asked of cargo, so `CARGO_TARGET_DIR` or a
/// `build.target-dir` setting are honoured.
async fn target_dir() -> anyhow::Result<std::path::PathBuf> {
    target_dir_with(&[]).await
}

async fn target_dir_with(envs: &[(&str, &str)]) -> anyhow::Result<std::path::PathBuf> {
    let output = tokio::process::Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .envs(envs.iter().copied())
        .stderr(Stdio::inherit())
        .output()
        .await
        .context("cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed");
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("cargo metadata output")?;
    metadata["target_directory"]
        .as_str()
        .map(std::path::PathBuf::from)
        .context("cargo metadata names no target directory")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[tokio::test]
    async fn binaries_are_looked_for_where_cargo_puts_them() {
        let elsewhere = std::env::temp_dir().join("breakroom-elsewhere-target");
        let found = super::target_dir_with(&[("CARGO_TARGET_DIR", elsewhere.to_str().unwrap())])
            .await
            .unwrap();
        assert_eq!(found, elsewhere);
    }
}
