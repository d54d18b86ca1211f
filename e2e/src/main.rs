//! `breakroom-dev`: runs Breakroom on a developer machine.
//!
//! - `breakroom-dev infra`: makes sure NATS (with JetStream) and PostgreSQL answer on
//!   their default ports, installing (Debian packages) and starting them when they don't.
//! - `breakroom-dev up`: `infra`, then builds and starts every service, waits until each
//!   reports SERVING, prints the addresses and keeps running until Ctrl-C.

mod infra;
mod services;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_default();
    match command.as_str() {
        "infra" => infra::ensure(),
        "up" => {
            infra::ensure()?;
            let runtime = tokio::runtime::Runtime::new().context("tokio runtime")?;
            runtime.block_on(services::up())
        }
        _ => bail!("usage: breakroom-dev <infra|up>"),
    }
}
