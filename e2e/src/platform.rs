//! The service binaries as separate processes: one `Platform` per test, each service on a
//! port of its own, all in the test's namespace and databases.

use std::{
    collections::BTreeMap,
    net::{SocketAddr, TcpListener},
    path::PathBuf,
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use tonic::transport::Channel;

/// The operator token every test platform's identity accepts.
pub const OPERATOR_TOKEN: &str = "e2e-operator";

/// A service the platform can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    /// Chains, stores, people, login.
    Identity,
    /// Rosters.
    Scheduling,
    /// Groups, posts, announcements, cards.
    Feed,
    /// Devices, inbox, pushes.
    Notifications,
}

impl Service {
    /// Variables the service needs in a test platform beyond the shared wiring: identity's
    /// operator token, a fixed signing key and cheap password hashing (sign-ins are not
    /// what a test measures), scheduling's calendar endpoint on a free port, and
    /// notifications' push to the test's plain-HTTP loopback push service with a fixed
    /// VAPID key.
    pub fn test_env(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Self::Identity => vec![
                ("BREAKROOM_OPERATOR_TOKEN", OPERATOR_TOKEN),
                (
                    "BREAKROOM_SIGNING_KEY",
                    "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
                ),
                ("BREAKROOM_ARGON2_MEMORY_KIB", "4096"),
                ("BREAKROOM_ARGON2_ITERATIONS", "1"),
            ],
            Self::Scheduling => vec![("BREAKROOM_CALENDAR_LISTEN_ADDR", "127.0.0.1:0")],
            Self::Feed => vec![],
            Self::Notifications => vec![
                ("BREAKROOM_PUSH_ALLOW_HTTP", "true"),
                (
                    "BREAKROOM_VAPID_PRIVATE_KEY",
                    "Zcg4mM9RYz3VdHxbyYxtR9M1H8dOb1Ym0e9lA4lRCyk",
                ),
            ],
        }
    }

    /// Binary (and database suffix) name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Scheduling => "scheduling",
            Self::Feed => "feed",
            Self::Notifications => "notifications",
        }
    }

    /// The gRPC service whose health tells the process is ready.
    pub fn health_name(self) -> &'static str {
        match self {
            Self::Identity => "breakroom.identity.v1.IdentityService",
            Self::Scheduling => "breakroom.scheduling.v1.SchedulingService",
            Self::Feed => "breakroom.feed.v1.FeedService",
            Self::Notifications => "breakroom.notifications.v1.NotificationService",
        }
    }
}

/// Where a platform's processes find NATS and PostgreSQL, and what they are called there.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// `BREAKROOM_NAMESPACE`.
    pub namespace: String,
    /// `NATS_URL`.
    pub nats_url: String,
    /// `DATABASE_URL` per service name.
    pub databases: BTreeMap<&'static str, String>,
    /// Further variables for every process (e.g. `OTEL_EXPORTER_OTLP_ENDPOINT`).
    pub env: Vec<(String, String)>,
}

impl Wiring {
    /// Every service in `namespace` on the NATS at `nats_url`, each with the database
    /// `database_url(service)` names, no further variables.
    pub fn in_namespace(
        namespace: &str,
        nats_url: &str,
        database_url: impl Fn(&str) -> String,
    ) -> Self {
        Self {
            namespace: namespace.to_owned(),
            nats_url: nats_url.to_owned(),
            databases: ["identity", "scheduling", "feed", "notifications"]
                .into_iter()
                .map(|s| (s, database_url(s)))
                .collect(),
            env: vec![],
        }
    }
}

struct Process {
    port: u16,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

/// One process of a service: the service and the replica's number (0 for the first).
pub type Replica = (Service, usize);

/// Running service processes.
pub struct Platform {
    wiring: Wiring,
    processes: BTreeMap<Replica, Process>,
}

impl Platform {
    /// A platform with nothing started yet.
    pub fn new(wiring: Wiring) -> Self {
        Self {
            wiring,
            processes: BTreeMap::new(),
        }
    }

    /// Starts `service` with `env` added to its environment and waits until SERVING.
    pub async fn start(&mut self, service: Service, env: &[(&str, &str)]) -> anyhow::Result<()> {
        self.start_replica((service, 0), env).await
    }

    /// Starts one more replica of a service on a port of its own.
    pub async fn start_replica(
        &mut self,
        replica: Replica,
        env: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let port = free_port()?;
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.processes.insert(
            replica,
            Process {
                port,
                env,
                child: None,
            },
        );
        self.restart_replica(replica).await
    }

    /// (Re)starts a service's first process on its port and waits until it is SERVING.
    pub async fn restart(&mut self, service: Service) -> anyhow::Result<()> {
        self.restart_replica((service, 0)).await
    }

    /// (Re)starts a replica's process on its port and waits until it is SERVING.
    pub async fn restart_replica(&mut self, replica: Replica) -> anyhow::Result<()> {
        let (service, _) = replica;
        let binary = binary(service.name())?;
        let wiring = &self.wiring;
        let process = self
            .processes
            .get_mut(&replica)
            .context("replica never started")?;
        let database = wiring
            .databases
            .get(service.name())
            .context("no database for the service")?;
        let child = Command::new(binary)
            .env("GRPC_LISTEN_ADDR", format!("127.0.0.1:{}", process.port))
            .env("NATS_URL", &wiring.nats_url)
            .env("DATABASE_URL", database)
            .env("BREAKROOM_NAMESPACE", &wiring.namespace)
            .env("BREAKROOM_LEASE_TTL_SECS", "2")
            .env("RUST_LOG", "warn")
            .envs(wiring.env.iter().map(|(k, v)| (k, v)))
            .envs(process.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", service.name()))?;
        process.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], process.port));
        wait_health(addr, service.health_name(), Duration::from_secs(60), true).await
    }

    /// Kills a service's first process without warning (SIGKILL), as a node failure would.
    pub async fn kill(&mut self, service: Service) -> anyhow::Result<()> {
        self.kill_replica((service, 0)).await
    }

    /// Kills one replica without warning (SIGKILL).
    pub async fn kill_replica(&mut self, replica: Replica) -> anyhow::Result<()> {
        if let Some(mut child) = self
            .processes
            .get_mut(&replica)
            .and_then(|p| p.child.take())
        {
            child.start_kill()?;
            child.wait().await?;
        }
        Ok(())
    }

    /// Stops one replica as Kubernetes does (SIGTERM, then wait until it has drained and
    /// exited); returns how long that took.
    pub async fn stop_replica(&mut self, replica: Replica) -> anyhow::Result<Duration> {
        let started = std::time::Instant::now();
        if let Some(mut child) = self
            .processes
            .get_mut(&replica)
            .and_then(|p| p.child.take())
        {
            let pid = child.id().context("process already reaped")?;
            let sent = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await?;
            if !sent.success() {
                bail!("kill -TERM {pid} failed");
            }
            tokio::time::timeout(Duration::from_secs(60), child.wait())
                .await
                .context("no exit within 60 s of SIGTERM")??;
        }
        Ok(started.elapsed())
    }

    /// Where a service's first process listens.
    pub fn addr(&self, service: Service) -> SocketAddr {
        self.replica_addr((service, 0))
    }

    /// Where a replica listens.
    pub fn replica_addr(&self, replica: Replica) -> SocketAddr {
        let port = self.processes.get(&replica).map_or(0, |p| p.port);
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// A channel to a service.
    pub async fn channel(&self, service: Service) -> anyhow::Result<Channel> {
        Ok(
            Channel::from_shared(format!("http://{}", self.addr(service)))?
                .timeout(Duration::from_secs(30))
                .connect()
                .await?,
        )
    }

    /// Waits until a service reports `serving` (true) or NOT_SERVING (false).
    pub async fn wait_status(
        &self,
        service: Service,
        serving: bool,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        wait_health(self.addr(service), service.health_name(), timeout, serving).await
    }
}

/// The binary of a service, where `cargo build --bins` put it: beside the running test
/// (`target/debug/deps/<test>` -> `target/debug/<name>`), which holds wherever the target
/// folder is; else under `CARGO_TARGET_DIR` or the workspace's `target/`.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let beside_test = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join(name)));
    let configured = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("debug")
        .join(name);
    match beside_test {
        Some(path) if path.exists() => Ok(path),
        _ if configured.exists() => Ok(configured),
        _ => bail!(
            "{} missing: run `cargo build --bins` first",
            configured.display()
        ),
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls the health service until `service` is SERVING (`serving`) or answers anything
/// else (`!serving`), at most `timeout`.
async fn wait_health(
    addr: SocketAddr,
    service: &str,
    timeout: Duration,
    serving: bool,
) -> anyhow::Result<()> {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let endpoint =
        Channel::from_shared(format!("http://{addr}"))?.connect_timeout(Duration::from_secs(1));
    loop {
        let status = match endpoint.connect().await {
            Ok(channel) => HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .map(|r| r.into_inner().status)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let is_serving = matches!(status, Ok(s) if s == ServingStatus::Serving as i32);
        if is_serving == serving {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{service} at {addr}: wanted serving={serving}, last answer {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
