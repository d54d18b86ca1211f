//! The operator as Kubernetes stops it: SIGTERM ends the process cleanly (exit 0) instead
//! of the kill at the end of the grace period.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// A kubeconfig naming an API server nobody listens on: the operator starts, its watch
/// keeps failing and retrying, as in a cluster whose API is briefly unreachable.
const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: none
  cluster:
    server: https://127.0.0.1:9
contexts:
- name: none
  context:
    cluster: none
    user: none
current-context: none
users:
- name: none
  user:
    token: not-a-token
";

#[test]
fn sigterm_stops_the_operator_cleanly_within_seconds() {
    let dir = std::env::temp_dir().join(format!("breakroom-operator-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, KUBECONFIG).unwrap();
    let mut operator = Command::new(env!("CARGO_BIN_EXE_operator"))
        .env("KUBECONFIG", &kubeconfig)
        .env("BREAKROOM_OPERATOR_TOKEN", "token")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Started: it listens for SIGTERM from then on.
    let mut log = std::io::BufReader::new(operator.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let read = std::io::BufRead::read_line(&mut log, &mut line).unwrap();
        assert!(read > 0, "the operator ended before it started");
        if line.contains("operator started") {
            break;
        }
    }
    assert!(operator.try_wait().unwrap().is_none(), "the operator runs");
    // Its further log must not fill the pipe while it stops.
    std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));

    let sent = Command::new("kill")
        .args(["-TERM", &operator.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let asked = Instant::now();
    let status = loop {
        if let Some(status) = operator.try_wait().unwrap() {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        status.success(),
        "SIGTERM ends the operator with exit 0, not by the signal: {status:?}"
    );
}
