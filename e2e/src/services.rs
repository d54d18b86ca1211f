//! Starts every Breakroom service as its own process and waits until each is SERVING.

use std::{process::Stdio, time::Duration};

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

/// Builds and starts the services, prints where they are, seeds (or reuses) the demo
/// chain when `seed`, and waits for Ctrl-C.
pub async fn up(seed: bool) -> anyhow::Result<()> {
    let mut build = tokio::process::Command::new(env!("CARGO"));
    build.args(["build", "--release"]);
    for service in SERVICES {
        build.args(["-p", service.package]);
    }
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
    println!("operator token (local only): {DEV_OPERATOR_TOKEN}");
    if seed {
        let addrs = breakroom_e2e::demo::Addrs {
            identity: IDENTITY_ADDR.into(),
            scheduling: SCHEDULING_ADDR.into(),
            feed: FEED_ADDR.into(),
            notifications: NOTIFICATIONS_ADDR.into(),
        };
        breakroom_e2e::demo::ensure(&addrs, DEV_OPERATOR_TOKEN).await?;
    }
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    Ok(())
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
