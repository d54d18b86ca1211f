//! `breakroom-dev test`: every test of the workspace against the real NATS and PostgreSQL
//! that `infra` made sure of.

use std::process::Command;

use anyhow::{Context, bail};

/// Builds the service binaries, then runs the suite; `filters` go to the test runner.
pub fn run(filters: Vec<String>) -> anyhow::Result<()> {
    let cargo = env!("CARGO");
    // The end-to-end suite starts the services as separate processes from these binaries.
    let built = Command::new(cargo)
        .args(["build", "-q", "--workspace", "--bins"])
        .status()
        .context("cargo build")?;
    if !built.success() {
        bail!("building the service binaries failed");
    }
    let nextest = Command::new(cargo)
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    let mut command = Command::new(cargo);
    if nextest {
        command.args(["nextest", "run", "--workspace"]);
    } else {
        command.args(["test", "--workspace"]);
    }
    if !filters.is_empty() {
        if !nextest {
            command.arg("--");
        }
        command.args(&filters);
    }
    let status = command.status().context("running the tests")?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}
