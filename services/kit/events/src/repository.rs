//! Command handling for one aggregate type: load -> `decide` -> append, with a bounded
//! cache of recent aggregates, idempotent request ids and a bounded retry on conflict.
//!
//! Commands for the same aggregate are serialised within one process (striped async
//! locks), so a hot aggregate queues instead of conflicting with itself; conflicts with
//! other replicas are caught by the expected-sequence check, refresh the cache entry and
//! retry. Retries are visible: `Committed::attempts`, the `breakroom.command.attempts`
//! histogram (per aggregate type) and a log line per conflict.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use breakroom_base::{
    error::{Error, Result},
    names::check_token,
};
use lru::LruCache;
use opentelemetry::{KeyValue, metrics::Histogram};

use crate::{
    aggregate::Aggregate,
    envelope::CommandMeta,
    event_store::{EventStore, Loaded},
};

/// Attempts per command before answering `ABORTED`.
const MAX_ATTEMPTS: u32 = 5;
/// Number of lock stripes serialising commands per aggregate.
const STRIPES: usize = 1024;

/// What a successful command produced.
#[derive(Debug, Clone)]
pub struct Committed<A: Aggregate> {
    /// Stream sequence of the commit; clients pass it back for read-your-writes.
    pub sequence: u64,
    /// State after the command.
    pub state: A,
    /// Events appended (empty for a no-op or a replayed request).
    pub events: Vec<A::Event>,
    /// The request id had been handled before; nothing new was appended.
    pub replayed: bool,
    /// How many times the command was decided: 1, plus one per conflict with another
    /// replica's write (each conflict reloads the aggregate and decides again).
    pub attempts: u32,
}

/// Loads, decides and appends one aggregate type.
pub struct Repository<A: Aggregate> {
    store: EventStore,
    cache: Mutex<LruCache<(String, String), Loaded<A>>>,
    stripes: Vec<tokio::sync::Mutex<()>>,
    /// `breakroom.command.attempts`: attempts per command, so conflicts show on a dashboard.
    attempts: Histogram<u64>,
}

impl<A: Aggregate> std::fmt::Debug for Repository<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("type", &A::TYPE)
            .finish()
    }
}

impl<A: Aggregate> Repository<A> {
    /// A repository keeping up to `cache_size` aggregates in memory.
    pub fn new(store: EventStore, cache_size: usize) -> Arc<Self> {
        let size = NonZeroUsize::new(cache_size.max(1)).unwrap_or(NonZeroUsize::MIN);
        Arc::new(Self {
            store,
            cache: Mutex::new(LruCache::new(size)),
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            attempts: opentelemetry::global::meter("breakroom")
                .u64_histogram("breakroom.command.attempts")
                .with_description(
                    "Times a command was decided: 1, plus one per version conflict with \
                     another writer",
                )
                .with_boundaries(vec![1.0, 2.0, 3.0, 4.0, 5.0])
                .build(),
        })
    }

    /// The event store behind it.
    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Current state and version, from the cache or the stream.
    pub async fn load(&self, tenant: &str, id: &str) -> Result<Loaded<A>> {
        check_token("tenant", tenant)?;
        check_token("id", id)?;
        let key = (tenant.to_owned(), id.to_owned());
        if let Some(hit) = self.cached(&key) {
            return Ok(hit);
        }
        let loaded = self.store.load::<A>(tenant, id).await?;
        if loaded.version > 0 {
            // "Does not exist" is not cached: another replica may create it any moment.
            self.put(key, loaded.clone());
        }
        Ok(loaded)
    }

    /// Current state and version, checked against the stream: a cached entry is used only
    /// if no other replica has written since (one direct read of the subject's last
    /// message). For decisions that must see revocations at once (authentication).
    pub async fn load_current(&self, tenant: &str, id: &str) -> Result<Loaded<A>> {
        check_token("tenant", tenant)?;
        check_token("id", id)?;
        let key = (tenant.to_owned(), id.to_owned());
        if let Some(hit) = self.cached(&key)
            && !self
                .store
                .changed_since(A::TYPE, tenant, id, hit.version)
                .await?
        {
            return Ok(hit);
        }
        let loaded = self.store.load::<A>(tenant, id).await?;
        if loaded.version > 0 {
            self.put(key, loaded.clone());
        }
        Ok(loaded)
    }

    /// Runs `command` against aggregate `tenant/id`: decide on the current state, append
    /// the events expecting that state's version, retry on conflict.
    pub async fn execute(
        &self,
        tenant: &str,
        id: &str,
        meta: &CommandMeta,
        command: &A::Command,
    ) -> Result<Committed<A>> {
        check_token("tenant", tenant)?;
        check_token("id", id)?;
        if let Some(request_id) = &meta.request_id {
            breakroom_base::names::check_request_id(request_id)?;
        }
        let key = (tenant.to_owned(), id.to_owned());
        let _serialised = self.stripes[stripe(&key)].lock().await;
        let mut attempts = 0;
        let result = self
            .attempt(key, tenant, id, meta, command, &mut attempts)
            .await;
        self.attempts.record(
            u64::from(attempts),
            &[KeyValue::new("aggregate_type", A::TYPE)],
        );
        match &result {
            Ok(committed) if attempts > 1 => tracing::info!(
                aggregate = A::TYPE,
                tenant,
                id,
                attempts,
                sequence = committed.sequence,
                "command committed after version conflicts"
            ),
            Err(Error::Conflict(_)) => tracing::warn!(
                aggregate = A::TYPE,
                tenant,
                id,
                attempts,
                "command gave up after version conflicts: ABORTED"
            ),
            _ => {}
        }
        result.map(|committed| Committed {
            attempts,
            ..committed
        })
    }

    /// The attempts of `execute`, under the aggregate's lock; counts them in `attempts`.
    async fn attempt(
        &self,
        key: (String, String),
        tenant: &str,
        id: &str,
        meta: &CommandMeta,
        command: &A::Command,
        attempts: &mut u32,
    ) -> Result<Committed<A>> {
        while *attempts < MAX_ATTEMPTS {
            *attempts += 1;
            // Commands on this aggregate are serialised here, so the entry can be taken out
            // of the cache and put back, instead of being cloned on every command.
            let (mut loaded, from_cache) = match self.take(&key) {
                Some(hit) => (hit, true),
                None => (self.store.load::<A>(tenant, id).await?, false),
            };
            if let Some(request_id) = &meta.request_id
                && let Some((sequence, actor)) = loaded.committed_request(request_id)
            {
                // A request id answers only the caller who sent it: someone else reusing
                // it must not receive that caller's result.
                let same_caller = actor == meta.actor;
                let state = loaded.state.clone();
                self.put(key, loaded);
                if !same_caller {
                    return Err(reused_request_id());
                }
                return Ok(replayed(state, sequence));
            }
            let decided = loaded.state.decide(command);
            if from_cache && !matches!(&decided, Ok(events) if !events.is_empty()) {
                // A refusal or a no-op decided on a cached state never meets the version
                // check of an append: make sure no other replica has moved the aggregate.
                if self
                    .store
                    .changed_since(A::TYPE, tenant, id, loaded.version)
                    .await?
                {
                    continue;
                }
            }
            let events = match decided {
                Ok(events) => events,
                Err(e) => {
                    self.put(key, loaded);
                    return Err(e);
                }
            };
            if events.is_empty() {
                let (sequence, state) = (loaded.version, loaded.state.clone());
                self.put(key, loaded);
                return Ok(Committed {
                    sequence,
                    state,
                    events,
                    replayed: false,
                    attempts: 0,
                });
            }
            match self
                .store
                .append::<A>(tenant, id, loaded.version, meta, &events)
                .await
            {
                Ok(appended) if appended.duplicate => {
                    // Handled before by someone whose reply was lost: answer with the state
                    // as it is now, which includes that commit.
                    let fresh = self.store.load::<A>(tenant, id).await?;
                    let same_caller = meta.request_id.as_deref().is_none_or(|r| {
                        fresh
                            .committed_request(r)
                            .is_none_or(|(_, actor)| actor == meta.actor)
                    });
                    let state = fresh.state.clone();
                    self.put(key, fresh);
                    if !same_caller {
                        return Err(reused_request_id());
                    }
                    return Ok(replayed(state, appended.sequence));
                }
                Ok(appended) => {
                    loaded.state = loaded.state.replay(&events);
                    loaded.version = appended.sequence;
                    if let Some(request_id) = &meta.request_id {
                        loaded.remember(request_id.clone(), appended.sequence, meta.actor.clone());
                    }
                    let state = loaded.state.clone();
                    self.put(key, loaded);
                    return Ok(Committed {
                        sequence: appended.sequence,
                        state,
                        events,
                        replayed: false,
                        attempts: 0,
                    });
                }
                Err(Error::Conflict(_)) => {
                    // Another replica wrote: the entry stays out of the cache; reload.
                    tracing::debug!(
                        aggregate = A::TYPE,
                        tenant,
                        id,
                        attempt = *attempts,
                        "version conflict, reloading"
                    );
                }
                Err(other) => return Err(other),
            }
        }
        Err(Error::Conflict(format!("{}/{tenant}/{id}", A::TYPE)))
    }

    fn cached(&self, key: &(String, String)) -> Option<Loaded<A>> {
        self.cache.lock().ok()?.get(key).cloned()
    }

    /// Caches an entry unless a newer one is there already (a slow read racing a write).
    fn put(&self, key: (String, String), loaded: Loaded<A>) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache
                .peek(&key)
                .is_some_and(|cached| cached.version > loaded.version)
            {
                return;
            }
            cache.put(key, loaded);
        }
    }

    fn take(&self, key: &(String, String)) -> Option<Loaded<A>> {
        self.cache.lock().ok()?.pop(key)
    }
}

fn reused_request_id() -> Error {
    Error::invalid(
        "request_id",
        "was already used by another caller; send a new one",
    )
}

fn replayed<A: Aggregate>(state: A, sequence: u64) -> Committed<A> {
    Committed {
        sequence,
        state,
        events: Vec::new(),
        replayed: true,
        attempts: 0,
    }
}

fn stripe(key: &(String, String)) -> usize {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() as usize) % STRIPES
}
