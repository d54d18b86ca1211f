//! Command handling for one aggregate type: load -> `decide` -> append, with a bounded
//! cache of recent aggregates, idempotent request ids and a bounded retry on conflict.
//!
//! Commands for the same aggregate are serialised within one process (striped async
//! locks), so a hot aggregate queues instead of conflicting with itself; conflicts with
//! other replicas are caught by the expected-sequence check, refresh the cache entry and
//! retry.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use lru::LruCache;

use crate::{
    aggregate::Aggregate,
    envelope::CommandMeta,
    error::{Error, Result},
    event_store::{EventStore, Loaded, check_token},
};

/// Attempts per command before answering `ABORTED`.
const MAX_ATTEMPTS: usize = 5;
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
}

/// Loads, decides and appends one aggregate type.
pub struct Repository<A: Aggregate> {
    store: EventStore,
    cache: Mutex<LruCache<(String, String), Loaded<A>>>,
    stripes: Vec<tokio::sync::Mutex<()>>,
}

impl<A: Aggregate> std::fmt::Debug for Repository<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository").field("type", &A::TYPE).finish()
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
        self.put(key, loaded.clone());
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
        let key = (tenant.to_owned(), id.to_owned());
        let _serialised = self.stripes[stripe(&key)].lock().await;
        for _ in 0..MAX_ATTEMPTS {
            let mut loaded = match self.cached(&key) {
                Some(hit) => hit,
                None => self.store.load::<A>(tenant, id).await?,
            };
            if let Some(request_id) = &meta.request_id
                && let Some(sequence) = loaded.committed_request(request_id)
            {
                self.put(key, loaded.clone());
                return Ok(replayed(loaded, sequence));
            }
            let events = loaded.state.decide(command)?;
            if events.is_empty() {
                let sequence = loaded.version;
                self.put(key, loaded.clone());
                return Ok(Committed {
                    sequence,
                    state: loaded.state,
                    events,
                    replayed: false,
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
                    self.forget(&key);
                    let fresh = self.store.load::<A>(tenant, id).await?;
                    self.put(key, fresh.clone());
                    return Ok(replayed(fresh, appended.sequence));
                }
                Ok(appended) => {
                    loaded.state = loaded.state.replay(&events);
                    loaded.version = appended.sequence;
                    if let Some(request_id) = &meta.request_id {
                        loaded.remember(request_id.clone(), appended.sequence);
                    }
                    self.put(key, loaded.clone());
                    return Ok(Committed {
                        sequence: appended.sequence,
                        state: loaded.state,
                        events,
                        replayed: false,
                    });
                }
                Err(Error::Conflict(_)) => {
                    tracing::debug!(aggregate = A::TYPE, tenant, id, "version conflict, reloading");
                    self.forget(&key);
                }
                Err(other) => {
                    self.forget(&key);
                    return Err(other);
                }
            }
        }
        Err(Error::Conflict(format!("{}/{tenant}/{id}", A::TYPE)))
    }

    fn cached(&self, key: &(String, String)) -> Option<Loaded<A>> {
        self.cache.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: (String, String), loaded: Loaded<A>) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(key, loaded);
        }
    }

    fn forget(&self, key: &(String, String)) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.pop(key);
        }
    }
}

fn replayed<A: Aggregate>(loaded: Loaded<A>, sequence: u64) -> Committed<A> {
    Committed {
        sequence,
        state: loaded.state,
        events: Vec::new(),
        replayed: true,
    }
}

fn stripe(key: &(String, String)) -> usize {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() as usize) % STRIPES
}
