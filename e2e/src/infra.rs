//! NATS and PostgreSQL for local runs, tests and CI: reuse what answers, otherwise
//! install the Debian packages (`nats-server`, `postgresql`) and start them.

use std::{
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

const NATS: ([u8; 4], u16) = ([127, 0, 0, 1], 4222);
const POSTGRES: ([u8; 4], u16) = ([127, 0, 0, 1], 5432);

/// Ensures both servers answer.
pub fn ensure() -> anyhow::Result<()> {
    ensure_nats()?;
    ensure_postgres()?;
    println!("NATS        nats://127.0.0.1:4222 (JetStream)");
    println!("PostgreSQL  postgres://postgres@127.0.0.1:5432");
    Ok(())
}

fn answers(addr: ([u8; 4], u16)) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from(addr), Duration::from_millis(500)).is_ok()
}

fn wait_until(
    what: &str,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while !ready() {
        if Instant::now() > deadline {
            bail!("{what} did not come up within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("running {program}"))?;
    if !status.success() {
        bail!("{program} {} failed: {status}", args.join(" "));
    }
    Ok(())
}

fn find(binary: &str, also: &[&str]) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .map(|dir| dir.join(binary))
        .chain(also.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

fn apt_install(package: &str) -> anyhow::Result<()> {
    println!("installing {package} (Debian package)…");
    let as_root = std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0"))
            .unwrap_or(false);
    let (program, prefix): (&str, &[&str]) = if as_root {
        ("apt-get", &[])
    } else {
        ("sudo", &["apt-get"])
    };
    run(program, &[prefix, &["update", "-qq"]].concat())?;
    let status = Command::new(program)
        .args(prefix)
        .args(["install", "-y", "-qq", package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if !status.success() {
        bail!("apt-get install {package} failed");
    }
    Ok(())
}

fn ensure_nats() -> anyhow::Result<()> {
    if answers(NATS) {
        return Ok(());
    }
    let binary = match find(
        "nats-server",
        &["/usr/sbin/nats-server", "/usr/bin/nats-server"],
    ) {
        Some(binary) => binary,
        None => {
            apt_install("nats-server")?;
            find(
                "nats-server",
                &["/usr/sbin/nats-server", "/usr/bin/nats-server"],
            )
            .context("nats-server still missing after install")?
        }
    };
    let state = state_dir("nats")?;
    println!(
        "starting {} (JetStream, store in {})",
        binary.display(),
        state.display()
    );
    let log = std::fs::File::create(state.join("nats-server.log"))?;
    Command::new(&binary)
        .args(["-js", "-a", "127.0.0.1", "-p", "4222", "-sd"])
        .arg(&state)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting nats-server")?;
    wait_until("NATS", Duration::from_secs(20), || answers(NATS))
}

fn ensure_postgres() -> anyhow::Result<()> {
    if answers(POSTGRES) && psql_works() {
        return Ok(());
    }
    if !Path::new("/etc/postgresql").is_dir() {
        apt_install("postgresql")?;
    }
    let version = std::fs::read_dir("/etc/postgresql")
        .context("no PostgreSQL cluster under /etc/postgresql")?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
        .context("no PostgreSQL version installed")?;
    if !answers(POSTGRES) {
        println!("starting PostgreSQL {version}");
        run(
            "pg_ctlcluster",
            &["--skip-systemctl-redirect", &version, "main", "start"],
        )
        .or_else(|_| run("pg_ctlcluster", &[&version, "main", "start"]))?;
        wait_until("PostgreSQL", Duration::from_secs(30), || answers(POSTGRES))?;
    }
    if !psql_works() {
        // Breakroom's default DATABASE_URL has no password: trust local TCP connections.
        let hba = format!("/etc/postgresql/{version}/main/pg_hba.conf");
        let current = std::fs::read_to_string(&hba).with_context(|| format!("reading {hba}"))?;
        let trust = "host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n";
        std::fs::write(&hba, format!("{trust}{current}"))
            .with_context(|| format!("writing {hba}"))?;
        run(
            "pg_ctlcluster",
            &["--skip-systemctl-redirect", &version, "main", "reload"],
        )
        .or_else(|_| run("pg_ctlcluster", &[&version, "main", "reload"]))?;
        wait_until(
            "PostgreSQL trust authentication",
            Duration::from_secs(10),
            psql_works,
        )?;
    }
    Ok(())
}

fn psql_works() -> bool {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            "SELECT 1",
        ])
        .env("PGCONNECT_TIMEOUT", "3")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `.dev/<name>` in the workspace (ignored by git).
fn state_dir(name: &str) -> anyhow::Result<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(".dev")
        .join(name);
    std::fs::create_dir_all(&root)?;
    Ok(root)
}
