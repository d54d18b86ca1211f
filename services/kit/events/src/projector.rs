//! Projectors: turn a service's (and other services') commits into PostgreSQL read models
//! with exactly-once effects on top of JetStream's at-least-once delivery.
//!
//! Protocol, per projection and source stream:
//! 1. One replica holds the projection's lease (`lease`); the others stand by.
//! 2. The holder (re)creates a durable pull consumer starting at checkpoint + 1.
//! 3. It fetches a batch, opens a transaction, locks the checkpoint row and checks it is
//!    where it left it (a rebuild or another holder moved it: resync), applies the batch,
//!    stores the new checkpoint, commits, and only then acks (`AckPolicy::All`: one ack).
//! 4. A redelivered message at or below the checkpoint is skipped.
//! 5. A commit that cannot be decoded or applied (poison) is recorded in
//!    `kit_failed_events` and skipped; a transient failure (database or NATS unreachable)
//!    stops the batch and re-reads from checkpoint + 1 after a backoff, never skipping.

mod checkpoint;
mod follow;
pub mod lease;

use std::{
    panic::AssertUnwindSafe,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_nats::jetstream::{self, consumer::AckPolicy, consumer::DeliverPolicy, consumer::pull};
use breakroom_base::{
    error::{Error, Result},
    namespace::Namespace,
};
use futures::{FutureExt, StreamExt};
use sqlx::{Acquire, PgConnection, PgPool};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use checkpoint::{FailedEvent, failed_events, poison_counts, read as checkpoint, wait_for};

use crate::{
    envelope::RecordedCommit,
    event_store::{stream_name, subject_prefix},
};

/// The projectors' own tables (`kit_checkpoints`, `kit_failed_events`), shared by every
/// service database; the chassis applies them before any other migration.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Where a projection reads from: a service's stream, optionally narrowed to subjects
/// below it (`user.>`). Own-stream sources should read everything so that the
/// checkpoint can be compared with any commit sequence (read-your-writes).
#[derive(Debug, Clone)]
pub struct Source {
    /// The service whose stream to read.
    pub service: &'static str,
    /// Subject filter below `<ns>.<service>.`; `None` reads everything.
    pub filter: Option<&'static str>,
}

impl Source {
    /// All of a service's events.
    pub fn all(service: &'static str) -> Self {
        Self {
            service,
            filter: None,
        }
    }
}

/// A read model fed by commits.
#[async_trait::async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Unique name: lease key, consumer name and checkpoint key.
    fn name(&self) -> &'static str;

    /// The streams it reads.
    fn sources(&self) -> Vec<Source>;

    /// Whether queries are answered from it, so that `breakroom-min-sequence` waits for
    /// it. Reactions (projections that only issue commands) answer false.
    fn serves_reads(&self) -> bool {
        true
    }

    /// Applies one commit inside the batch transaction. An `Error::Unavailable` is
    /// transient (retried); any other error marks the commit as poison.
    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()>;

    /// Applies a batch of commits; override to write in bulk.
    async fn apply_batch(&self, conn: &mut PgConnection, commits: &[RecordedCommit]) -> Result<()> {
        for commit in commits {
            self.apply(conn, commit).await?;
        }
        Ok(())
    }

    /// Deletes the read model's rows (rebuild).
    async fn reset(&self, conn: &mut PgConnection) -> Result<()>;
}

/// Drops a projection's read model and checkpoints so that it is rebuilt from the streams.
/// Safe while the projector runs: it notices the moved checkpoint and replays.
pub async fn rebuild(
    pool: &PgPool,
    namespace: &Namespace,
    projection: &dyn Projection,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    for source in projection.sources() {
        checkpoint::lock(
            &mut tx,
            projection.name(),
            &stream_name(namespace, source.service),
        )
        .await?;
    }
    projection.reset(&mut tx).await?;
    sqlx::query(
        "UPDATE kit_checkpoints SET last_sequence = 0, updated_at = now() WHERE projection = $1",
    )
    .bind(projection.name())
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM kit_failed_events WHERE projection = $1")
        .bind(projection.name())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(
        projection = projection.name(),
        "projection reset; replaying from the start"
    );
    Ok(())
}

/// Where a test can freeze a projector, to then kill it as a crash would.
#[cfg(feature = "testing")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaltPoint {
    /// Batch applied inside the transaction, not committed.
    MidBatch,
    /// Transaction committed, batch not acknowledged.
    AfterCommit,
}

/// Runs one projection: lease, consume, apply, checkpoint, ack.
pub struct Projector {
    projection: Arc<dyn Projection>,
    /// The service running it: lease keys and consumer names are `<owner>_<projection>`
    /// so that two services may both keep, say, a `users` projection of identity events.
    owner: &'static str,
    js: jetstream::Context,
    pool: PgPool,
    namespace: Namespace,
    /// Where the projection's lease lives (NATS KV unless `lease_backend` says otherwise).
    leases: Arc<dyn lease::LeaseBackend>,
    holder: String,
    batch_size: usize,
    active: Arc<AtomicBool>,
    #[cfg(feature = "testing")]
    halt: Option<(HaltPoint, usize, Arc<AtomicBool>)>,
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projector")
            .field("projection", &self.projection.name())
            .field("holder", &self.holder)
            .finish()
    }
}

/// A running projector.
#[derive(Debug)]
pub struct ProjectorHandle {
    /// The task; ends after cancellation (or never, until aborted).
    pub task: JoinHandle<()>,
    active: Arc<AtomicBool>,
    #[cfg(feature = "testing")]
    halted: Arc<AtomicBool>,
}

impl ProjectorHandle {
    /// Whether this instance holds the lease and projects.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }

    /// Whether the instance froze at its halt point (tests).
    #[cfg(feature = "testing")]
    pub fn is_halted(&self) -> bool {
        self.halted.load(Ordering::SeqCst)
    }
}

impl Projector {
    /// A projector for `projection`, identified as one lease holder among the replicas.
    pub fn new(
        projection: Arc<dyn Projection>,
        owner: &'static str,
        js: jetstream::Context,
        pool: PgPool,
        namespace: Namespace,
        lease_ttl: Duration,
    ) -> Self {
        let leases = Arc::new(lease::NatsKvLeases::new(
            js.clone(),
            namespace.clone(),
            lease_ttl,
        ));
        Self {
            projection,
            owner,
            js,
            pool,
            leases,
            namespace,
            holder: uuid::Uuid::now_v7().to_string(),
            batch_size: 1000,
            active: Arc::default(),
            #[cfg(feature = "testing")]
            halt: None,
        }
    }

    /// Takes the projection's lease from `leases` instead of NATS KV.
    pub fn lease_backend(mut self, leases: Arc<dyn lease::LeaseBackend>) -> Self {
        self.leases = leases;
        self
    }

    /// Names this instance `holder` in its lease (the pod's name); default a fresh UUID.
    pub fn holder(mut self, holder: impl Into<String>) -> Self {
        self.holder = holder.into();
        self
    }

    /// Messages per batch (and per transaction); default 1000.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Freezes the projector at `point` of its `after_batches`-th batch (tests).
    #[cfg(feature = "testing")]
    pub fn halt_at(mut self, point: HaltPoint, after_batches: usize) -> Self {
        self.halt = Some((point, after_batches, Arc::default()));
        self
    }

    /// The projection.
    pub fn projection(&self) -> &Arc<dyn Projection> {
        &self.projection
    }

    /// Starts the projector; it stops (finishing its batch, releasing the lease) when
    /// `cancel` fires.
    pub fn spawn(self, cancel: CancellationToken) -> ProjectorHandle {
        let active = self.active.clone();
        #[cfg(feature = "testing")]
        let halted = self
            .halt
            .as_ref()
            .map(|(_, _, flag)| flag.clone())
            .unwrap_or_default();
        let span = tracing::info_span!("projector", projection = self.projection.name());
        let task = tokio::spawn(async move { self.run(cancel).await }.instrument(span));
        ProjectorHandle {
            task,
            active,
            #[cfg(feature = "testing")]
            halted,
        }
    }

    /// Lease key and durable consumer name.
    fn consumer_name(&self) -> String {
        format!("{}_{}", self.owner, self.projection.name())
    }

    async fn run(self, cancel: CancellationToken) {
        let name = self.consumer_name();
        let sources = self.projection.sources();
        let mut services: Vec<_> = sources.iter().map(|s| s.service).collect();
        services.sort_unstable();
        services.dedup();
        if services.len() != sources.len() {
            // One consumer and one checkpoint per source stream: two filters on one stream
            // would fight over both. Use one source with a wider filter instead.
            tracing::error!("projection reads one stream through two sources; not started");
            return;
        }
        loop {
            let Some(mut lease) = self.leases.acquire(&name, &self.holder, &cancel).await else {
                return;
            };
            self.active.store(true, Ordering::SeqCst);
            let work_cancel = cancel.child_token();
            let work = futures::future::join_all(
                sources
                    .iter()
                    .map(|source| self.follow_source(source, &work_cancel)),
            );
            tokio::pin!(work);
            let mut renew = tokio::time::interval(lease.renew_every());
            renew.tick().await;
            let mut lost = false;
            loop {
                tokio::select! {
                    _ = &mut work => break,
                    _ = renew.tick(), if !lost => {
                        if let Err(e) = lease.renew().await {
                            tracing::warn!(error = %e, "lease lost; stopping after this batch");
                            lost = true;
                            work_cancel.cancel();
                        }
                    }
                }
            }
            self.active.store(false, Ordering::SeqCst);
            if !lost {
                lease.release().await;
            }
            if cancel.is_cancelled() {
                return;
            }
        }
    }

    /// Follows one source until cancelled, restarting from the checkpoint after failures.
    async fn follow_source(&self, source: &Source, cancel: &CancellationToken) {
        breakroom_base::retry::until_cancelled(
            breakroom_base::retry::doubling(Duration::from_millis(100), Duration::from_secs(5)),
            cancel,
            || self.follow(source, cancel),
            |e, _| tracing::warn!(source = source.service, error = %e, "projection paused; resuming from its checkpoint"),
        )
        .await;
    }

    /// Events not yet applied per source stream: stream last sequence minus checkpoint.
    pub async fn lag(&self) -> Result<Vec<(String, u64)>> {
        projection_lag(
            &self.js,
            &self.pool,
            &self.namespace,
            self.projection.as_ref(),
        )
        .await
    }
}

/// Events not yet applied per source stream of `projection`.
pub async fn projection_lag(
    js: &jetstream::Context,
    pool: &PgPool,
    namespace: &Namespace,
    projection: &dyn Projection,
) -> Result<Vec<(String, u64)>> {
    let mut lags = Vec::new();
    for source in projection.sources() {
        let name = stream_name(namespace, source.service);
        let last = match js.get_stream(&name).await {
            Ok(mut stream) => {
                stream
                    .info()
                    .await
                    .map_err(|e| Error::Unavailable(format!("stream {name}: {e}")))?
                    .state
                    .last_sequence
            }
            Err(e)
                if matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(ref js)
                    if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND) =>
            {
                0
            }
            Err(e) => return Err(Error::Unavailable(format!("stream {name}: {e}"))),
        };
        let applied = checkpoint::read(pool, projection.name(), &name).await?;
        lags.push((name, last.saturating_sub(applied)));
    }
    Ok(lags)
}
