//! Server bootstrap: connections, start-up preparation, the gRPC server with health and
//! reflection, projectors, readiness and graceful shutdown.
//!
//! The listener is bound in `Server::bind`, so `local_addr` is known before anything is
//! reachable (tests use port 0). `run` serves at once with health NOT_SERVING, prepares
//! the database (created if missing, migrated) and the stream in the background with
//! retries, starts the projectors, and reports SERVING only while NATS and PostgreSQL
//! answer and every projection's lag is under `max_lag`. On SIGTERM/SIGINT it stops
//! accepting, drains requests, lets projectors finish their batch and release leases.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_nats::jetstream;
use breakroom_base::error::{Error, Result};
use breakroom_directory::{Directory, DirectoryProjection, auth::KeySet, signing_keys};
use breakroom_events::{
    consistency::ReadPositions,
    event_store::EventStore,
    projector::{Projection, Projector, lease::LeaseBackend},
};
use sqlx::{PgPool, migrate::Migrator};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{
    body::Body, codegen::Service, server::NamedService, service::RoutesBuilder,
    transport::server::TcpIncoming,
};
use tonic_health::ServingStatus;

use crate::{config::Config, db, layers::consistency::ConsistencyLayer, lease};

mod readiness;

pub use readiness::POISON_FREE;
use readiness::{readiness_loop, set_status};

/// Longest a shutdown waits for open connections to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Connections shared by a service's handlers, projectors and readiness checks.
#[derive(Clone, Debug)]
pub struct Infra {
    /// The configuration it was made from.
    pub config: Config,
    /// NATS connection (reconnects by itself).
    pub nats: async_nats::Client,
    /// JetStream context.
    pub js: jetstream::Context,
    /// Database pool (connects lazily).
    pub pool: PgPool,
    /// The service's event store.
    pub store: EventStore,
    /// Where projection leases live (`BREAKROOM_LEASE_BACKEND`).
    pub leases: Arc<dyn LeaseBackend>,
}

impl Infra {
    /// Sets up connections without waiting for the servers: NATS connects in the
    /// background and the pool on first use, so a service starts (NOT_SERVING) even
    /// when a dependency is still coming up.
    pub async fn connect(config: Config) -> Result<Self> {
        let servers = crate::config::nats_servers(&config.nats_url)?;
        let nats = async_nats::ConnectOptions::new()
            .name(format!("breakroom-{}", config.service))
            .retry_on_initial_connect()
            .connect(servers)
            .await
            .map_err(|e| Error::Unavailable(format!("NATS at {}: {e}", config.nats_url)))?;
        let js = jetstream::new(nats.clone());
        let pool = db::lazy_pool(&config.database_url)?;
        let store = EventStore::new(
            js.clone(),
            config.namespace.clone(),
            config.service,
            config.duplicate_window,
        )
        .with_replicas(config.stream_replicas);
        let leases = lease::from_config(&config, &js).await?;
        Ok(Self {
            config,
            nats,
            js,
            pool,
            store,
            leases,
        })
    }

    /// Creates the database if missing, migrates it, and creates or updates the stream.
    pub async fn prepare(&self, migrator: Option<&Migrator>) -> Result<()> {
        let migrators: Vec<&Migrator> = migrator.into_iter().collect();
        self.prepare_with(&migrators).await
    }

    /// Like `prepare`, with several migrators applied in order after the projectors'.
    pub async fn prepare_with(&self, migrators: &[&Migrator]) -> Result<()> {
        db::ensure_database(&self.config.database_url).await?;
        db::migrate(&self.pool, migrators).await?;
        self.store.ensure_stream().await
    }

    /// The replica of identity's directory in this service's database, verifying tokens
    /// with a key set that `Server::with_directory` keeps in step with identity.
    pub fn directory(&self) -> Directory {
        Directory::new(self.pool.clone(), KeySet::new())
    }

    /// `prepare`, then creates or updates the streams of `extra` too: a service that owns
    /// a second stream (identity's secrets) has it ready by the time it reports SERVING.
    pub async fn prepare_streams(
        &self,
        migrators: &[&Migrator],
        extra: &[EventStore],
    ) -> Result<()> {
        self.prepare_with(migrators).await?;
        for store in extra {
            store.ensure_stream().await?;
        }
        Ok(())
    }

    /// A projector for `projection` with this service's settings.
    pub fn projector(&self, projection: Arc<dyn Projection>) -> Projector {
        let projector = Projector::new(
            projection,
            self.config.service,
            self.js.clone(),
            self.pool.clone(),
            self.config.namespace.clone(),
            self.config.lease_ttl,
        )
        .lease_backend(self.leases.clone());
        match &self.config.lease_holder {
            Some(pod) => projector.holder(pod.clone()),
            None => projector,
        }
    }
}

/// A bound, not yet running, service.
pub struct Server {
    infra: Infra,
    listener: TcpListener,
    routes: RoutesBuilder,
    service_names: Vec<&'static str>,
    projections: Vec<Arc<dyn Projection>>,
    /// Applied after the projectors' own: the directory's (if attached), then the service's.
    migrators: Vec<&'static Migrator>,
    /// Kept in step with identity's signing keys while serving (`with_directory`).
    follow_keys: Option<KeySet>,
    /// Forgets its looked-up callers when the replica changes (`with_directory`).
    follow_callers: Option<Directory>,
    /// A key set the service follows itself (identity): readiness waits for it too.
    ready_keys: Option<KeySet>,
    /// Further streams the service owns, prepared at start-up like its main one.
    streams: Vec<EventStore>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.listener.local_addr().ok())
            .field("services", &self.service_names)
            .finish()
    }
}

impl Server {
    /// Binds `GRPC_LISTEN_ADDR`.
    pub async fn bind(infra: Infra, migrator: Option<&'static Migrator>) -> Result<Self> {
        let addr = infra.config.grpc_listen_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::internal(anyhow::Error::new(e).context(format!("bind {addr}"))))?;
        Ok(Self {
            infra,
            listener,
            routes: RoutesBuilder::default(),
            service_names: Vec::new(),
            projections: Vec::new(),
            migrators: migrator.into_iter().collect(),
            follow_keys: None,
            follow_callers: None,
            ready_keys: None,
            streams: Vec::new(),
        })
    }

    /// Also creates or updates `store`'s stream at start-up, with the same retries as the
    /// main stream (a service owning a second stream, e.g. identity's secrets).
    pub fn with_stream(mut self, store: EventStore) -> Self {
        self.streams.push(store);
        self
    }

    /// Reports NOT_SERVING until `keys` has read every signing key published so far, for a
    /// service that follows the keys itself (identity): until then it cannot tell a valid
    /// token from a forged one and answers UNAVAILABLE.
    pub fn ready_with_keys(mut self, keys: &KeySet) -> Self {
        self.ready_keys = Some(keys.clone());
        self
    }

    /// Attaches the replica of identity's directory: its projection and migration, and a
    /// follower keeping `directory`'s key set in step with identity's signing keys.
    pub fn with_directory(mut self, directory: &Directory) -> Self {
        self.migrators.insert(0, &breakroom_directory::MIGRATOR);
        self.projections.push(Arc::new(DirectoryProjection));
        self.follow_keys = Some(directory.keys().clone());
        self.follow_callers = Some(directory.clone());
        self
    }

    /// Adds a gRPC service (its health status follows the server's readiness).
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.service_names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Adds a projection, run by this replica while it holds the projection's lease.
    pub fn add_projection(mut self, projection: Arc<dyn Projection>) -> Self {
        self.projections.push(projection);
        self
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.infra.config.grpc_listen_addr)
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run_until_stopped(self) -> Result<()> {
        let shutdown = CancellationToken::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutdown requested");
            trigger.cancel();
        });
        self.run(shutdown).await
    }

    /// Serves until `shutdown` fires.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let addr = self.local_addr();
        let (health, health_service) = tonic_health::server::health_reporter();
        let names: Vec<&'static str> = std::iter::once("")
            .chain(self.service_names.iter().copied())
            .collect();
        set_status(&health, &names, ServingStatus::NotServing).await;
        let reflection_v1 = reflection(&self.service_names)
            .build_v1()
            .map_err(Error::internal)?;
        let reflection_v1alpha = reflection(&self.service_names)
            .build_v1alpha()
            .map_err(Error::internal)?;
        let mut routes = self.routes;
        routes
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);

        let prepared = Arc::new(AtomicBool::new(false));
        let background = shutdown.child_token();
        let keys_to_load = self.follow_keys.clone().or(self.ready_keys.clone());
        if let Some(keys) = self.follow_keys {
            signing_keys::follow(
                self.infra.js.clone(),
                self.infra.config.namespace.clone(),
                keys,
                background.clone(),
            );
        }
        if let Some(directory) = self.follow_callers {
            breakroom_directory::callers::follow(
                directory.pool().clone(),
                directory.callers().clone(),
                background.clone(),
            );
        }
        let positions = read_positions(&self.infra, &self.projections);
        let projectors = tokio::spawn(prepare_and_project(
            self.infra.clone(),
            self.migrators,
            self.streams,
            self.projections.clone(),
            prepared.clone(),
            background.clone(),
        ));
        let readiness = tokio::spawn(readiness_loop(
            self.infra.clone(),
            keys_to_load,
            self.projections,
            names.clone(),
            health.clone(),
            prepared,
            background.clone(),
        ));

        tracing::info!(%addr, service = self.infra.config.service, "serving gRPC");
        let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
        let stopping = shutdown.clone();
        let serving = tonic::transport::Server::builder()
            .trace_fn(breakroom_telemetry::grpc_request_span)
            .layer(breakroom_telemetry::GrpcStatusLayer)
            // Bad text is refused before a read waits for its consistency token.
            .layer(crate::layers::text::TextLayer)
            .layer(ConsistencyLayer::new(positions))
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(incoming, async move {
                stopping.cancelled().await;
                set_status(&health, &names, ServingStatus::NotServing).await;
            });
        // Draining waits for open streams (e.g. health watches) that may never end: bound it.
        let served = tokio::select! {
            served = serving => served,
            _ = async {
                shutdown.cancelled().await;
                tokio::time::sleep(DRAIN_TIMEOUT).await;
            } => {
                tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; stopping anyway");
                Ok(())
            }
        };

        background.cancel();
        let _ = readiness.await;
        if tokio::time::timeout(Duration::from_secs(20), projectors)
            .await
            .is_err()
        {
            tracing::warn!("projectors did not stop in time");
        }
        tracing::info!("stopped");
        served.map_err(|e| Error::internal(anyhow::Error::new(e).context("gRPC server")))
    }
}

/// Reflection listing exactly the services this server serves (plus health and
/// reflection itself), though the descriptor set holds every Breakroom package and the
/// `google.rpc` error details, so that grpcurl and other reflection clients can render an
/// error's `ErrorInfo`, `BadRequest` and `PreconditionFailure`.
fn reflection(services: &[&'static str]) -> tonic_reflection::server::Builder<'static> {
    // Both reflection versions' descriptors on both endpoints: a client that speaks only
    // v1alpha (k6, older grpcio) resolves every listed service, v1's included.
    let builder = tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(breakroom_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name("grpc.reflection.v1.ServerReflection")
        .with_service_name("grpc.reflection.v1alpha.ServerReflection");
    services
        .iter()
        .fold(builder, |builder, name| builder.with_service_name(*name))
}

/// What `breakroom-min-sequence` waits for on this server: every projection that serves
/// reads, by the streams it replicates.
fn read_positions(infra: &Infra, projections: &[Arc<dyn Projection>]) -> ReadPositions {
    ReadPositions::new(
        infra.pool.clone(),
        infra.config.namespace.clone(),
        infra.config.service,
        projections
            .iter()
            .filter(|p| p.serves_reads())
            .map(|p| (p.name(), p.sources().iter().map(|s| s.service).collect())),
    )
}

/// Prepares storage (retrying until it succeeds), then runs the projectors until cancelled.
async fn prepare_and_project(
    infra: Infra,
    migrators: Vec<&'static Migrator>,
    streams: Vec<EventStore>,
    projections: Vec<Arc<dyn Projection>>,
    prepared: Arc<AtomicBool>,
    cancel: CancellationToken,
) {
    let prepared_now = breakroom_base::retry::until_cancelled(
        breakroom_base::retry::doubling(Duration::from_millis(200), Duration::from_secs(5)),
        &cancel,
        || infra.prepare_streams(&migrators, &streams),
        |e, _| tracing::warn!(error = %e, "start-up preparation failed; retrying"),
    )
    .await;
    if prepared_now.is_none() {
        return;
    }
    prepared.store(true, Ordering::SeqCst);
    let handles: Vec<_> = projections
        .into_iter()
        .map(|p| infra.projector(p).spawn(cancel.clone()))
        .collect();
    for handle in handles {
        let _ = handle.task.await;
    }
}

/// Resolves on SIGTERM, how Kubernetes stops a pod, or on Ctrl-C: every Breakroom process
/// stops on the same signals.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
