//! Servers of a test's own, so that a fault test can stop and restart them without
//! touching the machine's shared NATS and PostgreSQL (which other tests use in parallel).

use std::{path::PathBuf, process::Stdio, time::Duration};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::platform::free_port;

/// A `nats-server -js` on a port and storage folder of its own; restarts keep both.
pub struct PrivateNats {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// Its place in a `NatsCluster`, if it is a member of one.
    member: Option<Member>,
}

/// What a cluster member needs besides a single server's settings.
struct Member {
    /// `server_name`: JetStream names stream leaders by it.
    name: String,
    /// The port the other members' routes connect to.
    cluster_port: u16,
    /// Every member's cluster port (its own included; the server skips itself).
    routes: Vec<u16>,
}

impl PrivateNats {
    /// Starts one (the binary from `NATS_SERVER_BIN`, else `nats-server` on PATH, else
    /// Debian's `/usr/sbin/nats-server`).
    pub async fn start() -> anyhow::Result<Self> {
        let mut nats = Self::new(free_port()?, None);
        nats.resume().await?;
        Ok(nats)
    }

    fn new(port: u16, member: Option<Member>) -> Self {
        let dir =
            std::env::temp_dir().join(format!("breakroom-nats-{port}-{}", std::process::id()));
        Self {
            port,
            dir,
            child: None,
            member,
        }
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGKILL: no goodbye to the clients).
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Starts the server again on the same port and storage, and waits until it accepts.
    pub async fn resume(&mut self) -> anyhow::Result<()> {
        self.spawn()?;
        wait_port(self.port).await
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let binary = std::env::var("NATS_SERVER_BIN").ok().unwrap_or_else(|| {
            if std::path::Path::new("/usr/sbin/nats-server").exists() {
                "/usr/sbin/nats-server".into()
            } else {
                "nats-server".into()
            }
        });
        let mut command = Command::new(binary);
        command
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.dir);
        if let Some(member) = &self.member {
            let routes: Vec<String> = member
                .routes
                .iter()
                .map(|port| format!("nats://127.0.0.1:{port}"))
                .collect();
            command
                .args(["--server_name", &member.name, "--cluster_name", "breakroom"])
                .arg("--cluster")
                .arg(format!("nats://127.0.0.1:{}", member.cluster_port))
                .arg("--routes")
                .arg(routes.join(","));
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("nats-server (set NATS_SERVER_BIN)")?;
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A JetStream cluster of private servers on loopback ports, for replicated streams.
pub struct NatsCluster {
    nodes: Vec<PrivateNats>,
}

impl NatsCluster {
    /// Starts `size` clustered servers and waits until each accepts clients (JetStream
    /// elects its meta leader a few seconds later; services retry until it has).
    pub async fn start(size: usize) -> anyhow::Result<Self> {
        let cluster_ports = (0..size)
            .map(|_| free_port())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut nodes = Vec::with_capacity(size);
        for (index, cluster_port) in cluster_ports.iter().enumerate() {
            let member = Member {
                name: format!("n{index}"),
                cluster_port: *cluster_port,
                routes: cluster_ports.clone(),
            };
            nodes.push(PrivateNats::new(free_port()?, Some(member)));
        }
        for node in &mut nodes {
            node.spawn()?;
        }
        for node in &nodes {
            wait_port(node.port).await?;
        }
        Ok(Self { nodes })
    }

    /// Every member's URL, comma-separated, as `NATS_URL` takes them.
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(PrivateNats::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The member whose `server_name` is `name` (`n0`, `n1`, ...).
    pub fn node(&mut self, name: &str) -> Option<&mut PrivateNats> {
        self.nodes
            .iter_mut()
            .find(|n| n.member.as_ref().is_some_and(|m| m.name == name))
    }
}

/// A PostgreSQL cluster of a test's own (Debian's server binaries), trust auth, user
/// `postgres`. As root, its commands run as the `postgres` user, as PostgreSQL requires.
pub struct PrivatePostgres {
    port: u16,
    dir: PathBuf,
    bin: PathBuf,
    /// Whether commands must run as `postgres` (PostgreSQL refuses to run as root).
    as_postgres: bool,
}

impl PrivatePostgres {
    /// Creates the cluster in a temporary folder and starts it.
    pub async fn start() -> anyhow::Result<Self> {
        let bin = server_binaries()?;
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("breakroom-pg-{port}-{}", std::process::id()));
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .await
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let pg = Self {
            port,
            dir,
            bin,
            as_postgres,
        };
        pg.run(
            "initdb",
            &[
                "-D",
                path(&pg.dir)?,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )
        .await?;
        pg.resume().await?;
        Ok(pg)
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server at once (`immediate`: connections are cut as in a crash).
    pub async fn stop(&self) -> anyhow::Result<()> {
        self.run(
            "pg_ctl",
            &["-D", path(&self.dir)?, "-m", "immediate", "-w", "stop"],
        )
        .await
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub async fn resume(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            path(&self.dir)?
        );
        let log = self.dir.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path(&self.dir)?,
                "-o",
                &options,
                "-l",
                path(&log)?,
                "-w",
                "start",
            ],
        )
        .await?;
        wait_port(self.port).await
    }

    async fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bin.join(program);
        let output = Command::from(self.command(&program))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("{}", program.display()))?;
        if !output.status.success() {
            bail!(
                "{} {args:?}: {}",
                program.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

impl PrivatePostgres {
    /// A command running `program` as the right user.
    fn command(&self, program: &std::path::Path) -> std::process::Command {
        if self.as_postgres {
            let mut command = std::process::Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            std::process::Command::new(program)
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if let Ok(dir) = path(&self.dir) {
            let _ = self
                .command(&self.bin.join("pg_ctl"))
                .args(["-D", dir, "-m", "immediate", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The newest of Debian's `/usr/lib/postgresql/<version>/bin`, or `PG_BIN`.
fn server_binaries() -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL server binaries (Debian package `postgresql`, or set PG_BIN)")?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .context("no initdb under /usr/lib/postgresql")
}

fn path(path: &std::path::Path) -> anyhow::Result<&str> {
    path.to_str().context("temporary folder is not UTF-8")
}

async fn wait_port(port: u16) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if tokio::time::Instant::now() > deadline {
            bail!("nothing listens on port {port} after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
