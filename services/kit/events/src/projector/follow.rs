//! Following one source stream: a continuous pull subscription from the checkpoint,
//! batches applied in one transaction with the checkpoint (asynchronous commit), the
//! checkpoint compared on every batch (a rebuild or a lost commit resubscribes), poison
//! commits isolated with savepoints, and the acknowledgement after the commit.

use super::*;

impl Projector {
    pub(super) async fn follow(&self, source: &Source, cancel: &CancellationToken) -> Result<()> {
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
    pub(super) async fn subscribe(
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
    pub(super) async fn apply(
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
    pub(super) async fn apply_traced(
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
            breakroom_telemetry::set_parent(&span, single.trace_context());
        } else {
            for commit in commits {
                breakroom_telemetry::add_link(&span, commit.trace_context());
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
    pub(super) async fn maybe_halt(&self, point: HaltPoint, batches: usize) {
        if let Some((halt_point, after, flag)) = &self.halt
            && *halt_point == point
            && batches >= *after
        {
            flag.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
    }
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
