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
use futures::{FutureExt, StreamExt};
use sqlx::{Acquire, PgConnection, PgPool};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use checkpoint::{FailedEvent, failed_events, poison_counts, read as checkpoint, wait_for};

use crate::{
    config::Namespace,
    envelope::RecordedCommit,
    error::{Error, Result},
    event_store::{stream_name, subject_prefix},
    telemetry,
};

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
        crate::retry::until_cancelled(
            crate::retry::doubling(Duration::from_millis(100), Duration::from_secs(5)),
            cancel,
            || self.follow(source, cancel),
            |e, _| tracing::warn!(source = source.service, error = %e, "projection paused; resuming from its checkpoint"),
        )
        .await;
    }

    async fn follow(&self, source: &Source, cancel: &CancellationToken) -> Result<()> {
        let name = self.projection.name();
        let stream_name = stream_name(&self.namespace, source.service);
        let stream = self
            .js
            .get_stream(&stream_name)
            .await
            .map_err(|e| Error::Unavailable(format!("stream {stream_name}: {e}")))?;
        let filter = format!(
            "{}.{}",
            subject_prefix(&self.namespace, source.service),
            source.filter.unwrap_or(">")
        );
        let mut position = checkpoint::read(&self.pool, name, &stream_name).await?;
        let consumer_name = self.consumer_name();
        let mut messages = self
            .subscribe(&stream, &consumer_name, &filter, position)
            .await?;
        let mut idle_check = tokio::time::interval(Duration::from_secs(1));
        #[cfg(feature = "testing")]
        let mut batches = 0usize;
        loop {
            let first = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = idle_check.tick() => {
                    // Nothing arrives after a rebuild: notice a moved checkpoint while idle too.
                    let stored = checkpoint::read(&self.pool, name, &stream_name).await?;
                    if stored != position {
                        tracing::info!(from = position, to = stored, "checkpoint moved (rebuild or another holder); resyncing");
                        position = stored;
                        messages = self.subscribe(&stream, &consumer_name, &filter, position).await?;
                    }
                    continue;
                }
                next = messages.next() => next,
            };
            let first = first
                .ok_or_else(|| Error::Unavailable("consumer stream ended".into()))?
                .map_err(|e| Error::Unavailable(format!("fetch: {e}")))?;
            // Take what has already arrived, up to a batch: no waiting for a full batch.
            let mut batch = vec![first];
            while batch.len() < self.batch_size {
                match messages.next().now_or_never() {
                    Some(Some(Ok(message))) => batch.push(message),
                    Some(Some(Err(e))) => return Err(Error::Unavailable(format!("fetch: {e}"))),
                    _ => break,
                }
            }
            let mut tx = self.pool.begin().await?;
            // Asynchronous commit: PostgreSQL acknowledges before the WAL is flushed. A
            // crash can lose the last fraction of a second of batches, and with them their
            // checkpoint (same transaction); the next batch finds the stored checkpoint
            // behind `position` and resubscribes from it, so the stream replays them. The
            // log, not this table, is what must not lose an event.
            sqlx::query("SET LOCAL synchronous_commit = off")
                .execute(&mut *tx)
                .await?;
            let stored = checkpoint::lock(&mut tx, name, &stream_name).await?;
            if stored != position {
                tracing::info!(
                    from = position,
                    to = stored,
                    "checkpoint moved (rebuild or another holder); resyncing"
                );
                drop(tx);
                position = stored;
                messages = self
                    .subscribe(&stream, &consumer_name, &filter, position)
                    .await?;
                continue;
            }
            // Strictly increasing sequences only: redeliveries (also of messages buffered
            // behind this batch) are skipped, and the checkpoint never moves backwards.
            let mut high = position;
            let mut high_message = None;
            let mut commits = Vec::with_capacity(batch.len());
            for message in &batch {
                let sequence = sequence_of(message)?;
                if sequence <= high {
                    continue;
                }
                high = sequence;
                high_message = Some(message);
                match RecordedCommit::decode(
                    sequence,
                    message.subject.as_str(),
                    message.headers.as_ref(),
                    &message.payload,
                ) {
                    Ok(commit) => commits.push(commit),
                    Err(e) => {
                        poison(
                            &mut tx,
                            name,
                            &stream_name,
                            sequence,
                            message.subject.as_str(),
                            &e,
                            &message.payload,
                        )
                        .await?
                    }
                }
            }
            let Some(high_message) = high_message else {
                continue;
            };
            // One CONSUMER span per commit of a sampled trace, open until the batch is
            // committed; what the projection does for a commit continues from it.
            let _consumed: Vec<tracing::Span> = commits
                .iter_mut()
                .filter_map(|commit| commit.continue_as_consumer(&consumer_name))
                .collect();
            self.apply(&mut tx, &stream_name, &commits).await?;
            checkpoint::store(&mut tx, name, &stream_name, high).await?;
            #[cfg(feature = "testing")]
            {
                batches += 1;
                self.maybe_halt(HaltPoint::MidBatch, batches).await;
            }
            tx.commit().await?;
            #[cfg(feature = "testing")]
            self.maybe_halt(HaltPoint::AfterCommit, batches).await;
            high_message
                .ack()
                .await
                .map_err(|e| Error::Unavailable(format!("ack: {e}")))?;
            position = high;
        }
    }

    /// A continuous pull subscription starting right after `position`.
    async fn subscribe(
        &self,
        stream: &jetstream::stream::Stream,
        consumer_name: &str,
        filter: &str,
        position: u64,
    ) -> Result<pull::Stream> {
        let consumer = recreate_consumer(stream, consumer_name, filter, position).await?;
        consumer
            .stream()
            .max_messages_per_batch(self.batch_size)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await
            .map_err(|e| Error::Unavailable(format!("consumer {consumer_name}: {e}")))
    }

    /// Applies commits: the whole batch at once, or, when that fails on a poison commit,
    /// one by one with a savepoint each so that only the poison is skipped.
    async fn apply(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        stream_name: &str,
        commits: &[RecordedCommit],
    ) -> Result<()> {
        if commits.is_empty() {
            return Ok(());
        }
        let name = self.projection.name();
        let fast = {
            let mut savepoint = tx.begin().await?;
            match self.apply_traced(&mut savepoint, commits).await {
                Ok(()) => savepoint.commit().await.map_err(Error::from),
                Err(e) => Err(e),
            }
        };
        match fast {
            Ok(()) => return Ok(()),
            Err(e @ Error::Unavailable(_)) => return Err(e),
            Err(e) => tracing::warn!(error = %e, "batch failed; isolating the poison commit"),
        }
        for commit in commits {
            let mut savepoint = tx.begin().await?;
            let result = self
                .apply_traced(&mut savepoint, std::slice::from_ref(commit))
                .await;
            match result {
                Ok(()) => savepoint.commit().await?,
                Err(e @ Error::Unavailable(_)) => return Err(e),
                Err(e) => {
                    drop(savepoint);
                    let payload = prost::Message::encode_to_vec(&commit.commit);
                    poison(
                        tx,
                        name,
                        stream_name,
                        commit.sequence,
                        &commit.subject,
                        &e,
                        &payload,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Applies commits under one span per batch, linked to each commit's trace.
    async fn apply_traced(
        &self,
        conn: &mut PgConnection,
        commits: &[RecordedCommit],
    ) -> Result<()> {
        let span = tracing::info_span!(
            "projection.apply",
            projection = self.projection.name(),
            commits = commits.len(),
            first_sequence = commits.first().map(|c| c.sequence),
        );
        if let [single] = commits {
            telemetry::set_parent(&span, single.trace_context());
        } else {
            for commit in commits {
                telemetry::add_link(&span, commit.trace_context());
            }
        }
        // A panicking projection must not take the projector (and its lease) down on every
        // replica in turn: a panic is treated like any other poison commit.
        AssertUnwindSafe(self.projection.apply_batch(conn, commits).instrument(span))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(Error::internal(anyhow::anyhow!("projection panicked"))))
    }

    #[cfg(feature = "testing")]
    async fn maybe_halt(&self, point: HaltPoint, batches: usize) {
        if let Some((halt_point, after, flag)) = &self.halt
            && *halt_point == point
            && batches >= *after
        {
            flag.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
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

fn sequence_of(message: &jetstream::Message) -> Result<u64> {
    Ok(message
        .info()
        .map_err(|e| Error::internal(anyhow::anyhow!("message without JetStream info: {e}")))?
        .stream_sequence)
}

async fn poison(
    conn: &mut PgConnection,
    projection: &str,
    stream: &str,
    sequence: u64,
    subject: &str,
    error: &Error,
    payload: &[u8],
) -> Result<()> {
    tracing::error!(projection, stream, sequence, subject, error = %error, "poison commit recorded and skipped");
    opentelemetry::global::meter("breakroom")
        .u64_counter("breakroom.projection.poison")
        .with_description("Commits a projection could not apply and skipped (kit_failed_events)")
        .build()
        .add(
            1,
            &[
                opentelemetry::KeyValue::new("projection", projection.to_owned()),
                opentelemetry::KeyValue::new("stream", stream.to_owned()),
            ],
        );
    checkpoint::record_failure(
        conn,
        projection,
        stream,
        sequence,
        subject,
        &format!("{error:#}"),
        payload,
    )
    .await
}

async fn recreate_consumer(
    stream: &jetstream::stream::Stream,
    name: &str,
    filter: &str,
    position: u64,
) -> Result<jetstream::consumer::PullConsumer> {
    // The SQL checkpoint is the truth: the consumer always restarts right after it. An
    // old consumer that could not be deleted would resume from its own ack floor instead.
    if let Err(e) = stream.delete_consumer(name).await {
        let missing = matches!(e.kind(), jetstream::stream::ConsumerErrorKind::JetStream(ref js)
            if js.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND);
        if !missing {
            return Err(Error::Unavailable(format!("delete consumer {name}: {e}")));
        }
    }
    stream
        .create_consumer(pull::Config {
            durable_name: Some(name.to_owned()),
            filter_subject: filter.to_owned(),
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: position + 1,
            },
            ack_policy: AckPolicy::All,
            ack_wait: Duration::from_secs(120),
            max_ack_pending: 100_000,
            ..Default::default()
        })
        .await
        .map_err(|e| Error::Unavailable(format!("consumer {name}: {e}")))
}
