//! `breakroom-dev`: runs Breakroom on a developer machine.
//!
//! - `breakroom-dev infra`: makes sure NATS (with JetStream) and PostgreSQL answer on
//!   their default ports, installing (Debian packages) and starting them when they don't.
//! - `breakroom-dev up`: `infra`, then builds and starts every service, waits until each
//!   reports SERVING, prints the addresses and keeps running until Ctrl-C.
//!   Then it seeds the demo chain (`demo`) through the public APIs, or reuses it, and
//!   prints how to log in and call the APIs; `--no-demo` skips that.
//! - `breakroom-dev token <e-mail>`: an access token of a demo person (for grpcurl).
//! - `breakroom-dev nats-cluster`: a three-node NATS JetStream cluster on free loopback
//!   ports, its `NATS_URL` printed, until Ctrl-C (for replicated streams:
//!   `BREAKROOM_STREAM_REPLICAS=3`).
//! - `breakroom-dev test`: `infra`, then builds the service binaries (the end-to-end
//!   suite starts them as processes) and runs every test, with `cargo nextest` when it is
//!   installed and `cargo test` otherwise.
//! - `breakroom-dev lighthouse [base-url [tenant login password]]`: Lighthouse (npm, with
//!   Debian's Chromium, mobile) on Home and My week of a running app, signed in (default:
//!   `up`'s app as a demo employee); prints the four category scores and the PWA checks.
//! - `breakroom-dev screens`: `infra`, then the browser suite's screen test with
//!   `BREAKROOM_SCREENS` set: every main screen at 360×780 in Dutch and English, written to
//!   `docs/screens/<screen>.<lang>.png` (the list: `e2e/tests/browser/screens.rs`).
//!
//! `cargo dev <command>` is an alias for it (`.cargo/config.toml`).

mod infra;
mod lighthouse;
mod services;
mod tests;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_default();
    match command.as_str() {
        "infra" => infra::ensure(),
        "up" => {
            infra::ensure()?;
            let seed = !std::env::args().any(|a| a == "--no-demo");
            let runtime = tokio::runtime::Runtime::new().context("tokio runtime")?;
            runtime.block_on(services::up(seed))
        }
        "token" => {
            let email = std::env::args()
                .nth(2)
                .context("usage: breakroom-dev token <e-mail of a demo person>")?;
            let runtime = tokio::runtime::Runtime::new().context("tokio runtime")?;
            println!(
                "{}",
                runtime.block_on(breakroom_e2e::demo::login(services::IDENTITY_ADDR, &email))?
            );
            Ok(())
        }
        "nats-cluster" => {
            let runtime = tokio::runtime::Runtime::new().context("tokio runtime")?;
            runtime.block_on(async {
                let cluster = breakroom_e2e::private::NatsCluster::start(3).await?;
                println!("NATS_URL={}", cluster.url());
                println!("BREAKROOM_STREAM_REPLICAS=3");
                // Stopped by Ctrl-C or SIGTERM alike, so the servers and their folders go too.
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                tokio::select! {
                    stopped = tokio::signal::ctrl_c() => stopped?,
                    _ = term.recv() => {}
                }
                drop(cluster);
                Ok(())
            })
        }
        "lighthouse" => lighthouse::command(&std::env::args().skip(2).collect::<Vec<_>>()),
        "test" => {
            infra::ensure()?;
            tests::run(std::env::args().skip(2).collect())
        }
        "screens" => {
            infra::ensure()?;
            screens()
        }
        _ => bail!(
            "usage: breakroom-dev <infra | up [--no-demo] | token <e-mail> | nats-cluster | test [filters...] | screens | lighthouse [base-url [tenant login password]]>"
        ),
    }
}

/// Builds the service binaries, then runs the browser suite's screen test, which writes its
/// screenshots where `BREAKROOM_SCREENS` says: docs/screens of this workspace.
fn screens() -> anyhow::Result<()> {
    let cargo = env!("CARGO");
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the e2e crate lies in the workspace")?;
    let services = [
        "breakroom-identity",
        "breakroom-scheduling",
        "breakroom-feed",
        "breakroom-notifications",
    ];
    let mut build = std::process::Command::new(cargo);
    build.args(["build", "-q", "--bins"]);
    for service in services {
        build.args(["-p", service]);
    }
    if !build.status().context("cargo build")?.success() {
        bail!("building the service binaries failed");
    }
    let out = workspace.join("docs").join("screens");
    let status = std::process::Command::new(cargo)
        .args(["test", "-q", "-p", "breakroom-e2e", "--test", "browser"])
        .args(["--", "screens::", "--nocapture"])
        .env("BREAKROOM_SCREENS", &out)
        .status()
        .context("running the screen test")?;
    if !status.success() {
        bail!("the screen test failed");
    }
    println!("screenshots in {}", out.display());
    Ok(())
}
