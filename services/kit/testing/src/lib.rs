//! Test support: every test gets its own namespace (streams, KV buckets) and its own
//! database on the one NATS and one PostgreSQL server, so the suite runs in parallel.
//! Leftovers of old runs (older than two hours) are removed when a process first asks
//! for an environment.
//!
//! - this crate: `TestEnv`, `spawn` and `wait_serving`, `eventually`, `bearer`, the
//!   consistency token of a reply, `violated_fields`, `reason`, `recorded`.
//! - `counter`: the kit's reference service, which the kit's own tests and benchmark
//!   drive.
//!
//! For tests only: a dev-dependency, and a dependency of identity's `testing` feature.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod counter;

use std::{
    net::SocketAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use breakroom_base::namespace::Namespace;
use breakroom_chassis::{config::Config, server::Infra};
use sqlx::{ConnectOptions, migrate::Migrator, postgres::PgConnectOptions};
use tokio::sync::OnceCell;
use tonic::transport::Channel;

/// Age after which test databases and streams are garbage.
const STALE_AFTER: Duration = Duration::from_secs(2 * 3600);

/// One test's private slice of the servers.
#[derive(Debug, Clone)]
pub struct TestEnv {
    /// The namespace (streams, subjects, buckets).
    pub namespace: Namespace,
    /// NATS URL.
    pub nats_url: String,
    /// URL of the server without a database name.
    server_url: String,
    /// This test's database name prefix (`<prefix>_<service>`).
    db_prefix: String,
}

impl TestEnv {
    /// A fresh namespace and database prefix; servers from `NATS_URL` and
    /// `TEST_DATABASE_SERVER` (default `postgres://postgres@127.0.0.1:5432`).
    pub async fn new() -> Self {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let tag = format!("{:08x}", rand::random::<u32>());
        let env = Self {
            namespace: Namespace::parse(&format!("t{epoch}_{tag}")).unwrap(),
            nats_url: std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into()),
            server_url: std::env::var("TEST_DATABASE_SERVER")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
            db_prefix: format!("brt_{epoch}_{tag}"),
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
            )
            .with_test_writer()
            .try_init();
        static CLEANED: OnceCell<()> = OnceCell::const_new();
        CLEANED.get_or_init(|| env.remove_stale()).await;
        env
    }

    /// The database URL a service of this test uses.
    pub fn database_url(&self, service: &str) -> String {
        format!("{}/{}_{service}", self.server_url, self.db_prefix)
    }

    /// Configuration for `service` in this test: port 0, short lease TTL.
    pub fn config(&self, service: &'static str) -> Config {
        let mut config = Config::new(
            service,
            self.namespace.clone(),
            &self.nats_url,
            &self.database_url(service),
        );
        config.lease_ttl = Duration::from_secs(2);
        config
    }

    /// Connected and prepared infrastructure for `service` (with its migrations).
    pub async fn infra(&self, service: &'static str, migrator: Option<&Migrator>) -> Infra {
        self.infra_with(self.config(service), migrator).await
    }

    /// Connected and prepared infrastructure for a configuration.
    pub async fn infra_with(&self, config: Config, migrator: Option<&Migrator>) -> Infra {
        let infra = Infra::connect(config).await.expect("connect");
        infra.prepare(migrator).await.expect("prepare");
        infra
    }

    /// A plain NATS client.
    pub async fn nats(&self) -> async_nats::Client {
        async_nats::connect(
            breakroom_chassis::config::nats_servers(&self.nats_url).expect("NATS_URL"),
        )
        .await
        .expect("NATS")
    }

    async fn remove_stale(&self) {
        let cutoff = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .saturating_sub(STALE_AFTER)
            .as_secs();
        let stale = |name: &str, prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|rest| rest.split('_').next())
                .and_then(|epoch| epoch.parse::<u64>().ok())
                .is_some_and(|epoch| epoch < cutoff)
        };
        if let Ok(options) = self.server_url.parse::<PgConnectOptions>()
            && let Ok(mut conn) = options.database("postgres").connect().await
        {
            let names: Vec<String> =
                sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'brt\\_%'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_default();
            for name in names.iter().filter(|n| stale(n, "brt_")) {
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await;
            }
        }
        if let Ok(client) = async_nats::connect(
            breakroom_chassis::config::nats_servers(&self.nats_url).unwrap_or_default(),
        )
        .await
        {
            use futures::TryStreamExt;
            let js = async_nats::jetstream::new(client);
            let names: Vec<String> = js.stream_names().try_collect().await.unwrap_or_default();
            for name in names {
                let lower = name.to_lowercase();
                if stale(&lower, "t") || stale(&lower, "kv_t") {
                    let _ = js.delete_stream(&name).await;
                }
            }
        }
    }
}

/// A service running inside a test.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Stops it (graceful shutdown).
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The server task; yields the server's result after shutdown.
    pub task: tokio::task::JoinHandle<breakroom_base::Result<()>>,
}

impl Running {
    /// A client channel to it.
    pub async fn channel(&self) -> Channel {
        channel(self.addr).await
    }
}

/// Runs a bound server (port 0 in tests) in the background and waits until `service`
/// reports SERVING.
pub async fn spawn(server: breakroom_chassis::server::Server, service: &str) -> Running {
    let addr = server.local_addr();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(server.run(shutdown.clone()));
    wait_serving(addr, service).await;
    Running {
        addr,
        shutdown,
        task,
    }
}

/// A gRPC channel to a local server.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect to test server")
}

/// Polls the health service until `service` is SERVING (at most 30 s); a server that is
/// not listening yet (a process still starting) counts as not serving.
pub async fn wait_serving(addr: SocketAddr, service: &str) {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let endpoint = Channel::from_shared(format!("http://{addr}")).expect("uri");
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
        if matches!(status, Ok(s) if s == ServingStatus::Serving as i32) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{service} not serving in time: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `check` until it returns `Some` (at most `timeout`).
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The consistency token a command reply carried (`breakroom-sequence`), as sent back in
/// `breakroom-min-sequence`.
pub fn token(metadata: &tonic::metadata::MetadataMap) -> String {
    metadata
        .get(breakroom_events::consistency::SEQUENCE_KEY)
        .expect("reply carries breakroom-sequence")
        .to_str()
        .expect("ASCII token")
        .to_owned()
}

/// The stream sequence in a reply's (single) consistency token: `identity:12` -> 12.
pub fn sequence(metadata: &tonic::metadata::MetadataMap) -> u64 {
    let token = token(metadata);
    token
        .rsplit_once(':')
        .map_or(token.as_str(), |(_, n)| n)
        .parse()
        .expect("sequence number")
}

/// Wraps a message with `authorization: Bearer <token>`.
pub fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("metadata"),
    );
    request
}

/// The field paths of an INVALID_ARGUMENT status's `BadRequest` violations (panics on
/// another code, so a test asserting fields also asserts the code).
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    assert_eq!(
        status.code(),
        tonic::Code::InvalidArgument,
        "expected INVALID_ARGUMENT: {status:?}"
    );
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// The `ErrorInfo.reason` of a status (empty when it has none).
pub fn reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// Every commit recorded so far under `<ns>.<service>.<filter>` (e.g. `user.acme.*`), in
/// stream order, with its sequence and subject.
pub async fn recorded(
    env: &TestEnv,
    service: &str,
    filter: &str,
) -> Vec<breakroom_events::envelope::RecordedCommit> {
    use futures::StreamExt;
    let js = async_nats::jetstream::new(env.nats().await);
    let stream = js
        .get_stream(breakroom_events::event_store::stream_name(
            &env.namespace,
            service,
        ))
        .await
        .expect("stream");
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            filter_subject: format!("{}.{service}.{filter}", env.namespace),
            ..Default::default()
        })
        .await
        .expect("consumer");
    let mut commits = Vec::new();
    if consumer.cached_info().num_pending == 0 {
        return commits;
    }
    let mut messages = consumer.messages().await.expect("messages");
    while let Some(message) = messages.next().await {
        let message = message.expect("message");
        let info = message.info().expect("info");
        let (sequence, pending) = (info.stream_sequence, info.pending);
        commits.push(
            breakroom_events::envelope::RecordedCommit::decode(
                sequence,
                &message.subject,
                message.headers.as_ref(),
                &message.payload,
            )
            .expect("commit"),
        );
        if pending == 0 {
            break;
        }
    }
    commits
}
