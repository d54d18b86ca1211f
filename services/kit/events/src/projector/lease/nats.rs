//! The default lease backend: a key in NATS KV.
//!
//! The bucket `<ns>_leases` has `max_age` = the lease TTL, so an entry that is not renewed
//! disappears by itself: a holder that dies without releasing is replaced after at most
//! one TTL. `create` only succeeds when the key is absent, `update` only at the revision
//! the holder last wrote, so two holders can never both believe they renewed.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::{self, kv};
use breakroom_base::{
    error::{Error, Result},
    namespace::Namespace,
};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use super::{LeaseBackend, LeaseGuard};

/// Leases as keys of the namespace's KV bucket `<ns>_leases`, named `<owner>_<projection>`.
#[derive(Debug, Clone)]
pub struct NatsKvLeases {
    js: jetstream::Context,
    namespace: Namespace,
    ttl: Duration,
    /// Copies of the bucket's stream JetStream keeps (`BREAKROOM_STREAM_REPLICAS`).
    replicas: usize,
    /// Created on the first acquisition, so that a NATS outage at start-up only delays it.
    bucket: Arc<OnceCell<kv::Store>>,
}

impl NatsKvLeases {
    /// Leases in `namespace`'s bucket, expiring `ttl` after their last renewal.
    pub fn new(js: jetstream::Context, namespace: Namespace, ttl: Duration) -> Self {
        Self {
            js,
            namespace,
            ttl,
            replicas: 1,
            bucket: Arc::default(),
        }
    }

    /// The same leases, their bucket kept in `replicas` copies on a NATS cluster.
    pub fn with_replicas(mut self, replicas: usize) -> Self {
        self.replicas = replicas.max(1);
        self
    }

    async fn bucket(&self, cancel: &CancellationToken) -> Option<kv::Store> {
        breakroom_base::retry::until_cancelled(
            breakroom_base::retry::every(Duration::from_secs(1)),
            cancel,
            || async {
                self.bucket
                    .get_or_try_init(|| bucket(&self.js, &self.namespace, self.ttl, self.replicas))
                    .await
                    .cloned()
            },
            |e, _| tracing::warn!(error = %e, "lease bucket unavailable"),
        )
        .await
    }
}

#[async_trait::async_trait]
impl LeaseBackend for NatsKvLeases {
    async fn acquire(
        &self,
        key: &str,
        holder: &str,
        cancel: &CancellationToken,
    ) -> Option<Box<dyn LeaseGuard>> {
        let store = self.bucket(cancel).await?;
        let lease = NatsLease::acquire(store, key, holder, self.ttl, cancel).await?;
        Some(Box::new(lease))
    }
}

/// The KV bucket holding a namespace's leases.
///
/// The backing stream is created here rather than through `create_key_value`, whose
/// account query fails to parse on the 2.9 servers the machines run.
pub async fn bucket(
    js: &jetstream::Context,
    namespace: &Namespace,
    ttl: Duration,
    replicas: usize,
) -> Result<kv::Store> {
    let name = format!("{namespace}_leases");
    let stream = jetstream::stream::Config {
        name: format!("KV_{name}"),
        description: Some("Breakroom projector leases".into()),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age: ttl,
        duplicate_window: ttl.min(Duration::from_secs(120)),
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: jetstream::stream::DiscardPolicy::New,
        storage: jetstream::stream::StorageType::File,
        num_replicas: replicas.max(1),
        ..Default::default()
    };
    if let Err(e) = js.create_or_update_stream(stream).await {
        return Err(Error::Unavailable(format!("lease bucket {name}: {e}")));
    }
    js.get_key_value(&name)
        .await
        .map_err(|e| Error::Unavailable(format!("lease bucket {name}: {e}")))
}

/// A held lease.
#[derive(Debug)]
pub struct NatsLease {
    store: kv::Store,
    key: String,
    holder: String,
    revision: u64,
    ttl: Duration,
}

impl NatsLease {
    /// Waits until the lease for `key` is free and takes it; `None` when cancelled first.
    pub async fn acquire(
        store: kv::Store,
        key: &str,
        holder: &str,
        ttl: Duration,
        cancel: &CancellationToken,
    ) -> Option<Self> {
        let poll = (ttl / 4).max(Duration::from_millis(100));
        let mut waiting_logged = false;
        loop {
            match store.create(key, holder.to_owned().into()).await {
                Ok(revision) => {
                    tracing::info!(lease = key, holder, "lease acquired");
                    return Some(Self {
                        store,
                        key: key.to_owned(),
                        holder: holder.to_owned(),
                        revision,
                        ttl,
                    });
                }
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                    if !waiting_logged {
                        tracing::info!(lease = key, holder, "lease held elsewhere, standing by");
                        waiting_logged = true;
                    }
                }
                Err(e) => tracing::warn!(lease = key, error = %e, "lease acquisition failed"),
            }
            tokio::select! {
                _ = cancel.cancelled() => return None,
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

#[async_trait::async_trait]
impl LeaseGuard for NatsLease {
    /// How often to renew: a third of the TTL, so two renewals may fail before expiry.
    fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    /// Extends the lease; fails when someone else holds it now.
    async fn renew(&mut self) -> Result<()> {
        match self
            .store
            .update(&self.key, self.holder.clone().into(), self.revision)
            .await
        {
            Ok(revision) => {
                self.revision = revision;
                Ok(())
            }
            Err(e) => {
                // The update may have landed with only its reply lost: still ours if the
                // entry carries our name.
                if let Ok(Some(entry)) = self.store.entry(&self.key).await
                    && entry.operation == kv::Operation::Put
                    && entry.value.as_ref() == self.holder.as_bytes()
                {
                    self.revision = entry.revision;
                    return Ok(());
                }
                Err(Error::Unavailable(format!("lease {} lost: {e}", self.key)))
            }
        }
    }

    /// Gives the lease up so a standby takes over at once.
    async fn release(self: Box<Self>) {
        match self
            .store
            .delete_expect_revision(&self.key, Some(self.revision))
            .await
        {
            Ok(()) => tracing::info!(lease = self.key, "lease released"),
            Err(e) => tracing::warn!(lease = self.key, error = %e, "lease release failed"),
        }
    }
}
