//! The callers a replica has looked up, kept in memory until the replica changes.
//!
//! Every authenticated call needs the caller's state (offboarded people are refused) and
//! memberships. They change rarely, and only when the directory projection commits a
//! batch, so a replica keeps what it read and forgets all of it when told that a batch
//! committed:
//! - the projection sends `NOTIFY kit_directory` in the transaction of every batch (and
//!   of a reset), so PostgreSQL delivers it to every replica of the service once the
//!   change is visible;
//! - each replica listens (`follow`); a notification, or a lost connection (notifications
//!   may have been missed), forgets every caller. While not listening, nothing is kept;
//! - a lookup started before a notification is not kept after it (the generation it read
//!   has moved on), so a row read just before a commit cannot outlive the notification;
//! - nothing is kept longer than `TTL`, and people the replica does not know are never
//!   kept.
//!
//! So an offboarding reaches a replica as soon as its notification does, a few
//! milliseconds after the projection commits it, as it did when every call read the row.

use std::{
    num::NonZeroUsize,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use breakroom_base::retry::{self, BackoffBuilder};
use lru::LruCache;
use sqlx::{PgPool, postgres::PgListener};
use tokio_util::sync::CancellationToken;

use super::Membership;

/// The channel the directory projection notifies when a batch commits.
pub const CHANNEL: &str = "kit_directory";

/// The longest a looked-up caller is kept, even without a notification.
pub const TTL: Duration = Duration::from_secs(60);

/// Callers kept at most per replica.
const CAPACITY: usize = 100_000;

/// A caller's state and memberships as the replica last read them.
#[derive(Debug, Clone)]
struct Entry {
    state: String,
    memberships: Vec<Membership>,
    read_at: Instant,
}

/// The generation a lookup started in; it is kept only if no notification came since.
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

/// Looked-up callers of one replica.
#[derive(Debug, Clone)]
pub struct Callers {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    entries: Mutex<LruCache<(String, String), Entry>>,
    generation: AtomicU64,
    listening: AtomicBool,
}

impl Default for Callers {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: Mutex::new(LruCache::new(
                    NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN),
                )),
                generation: AtomicU64::new(0),
                listening: AtomicBool::new(false),
            }),
        }
    }
}

impl Callers {
    /// The state and memberships of `user` of `tenant`, when kept and younger than `TTL`.
    pub fn get(&self, tenant: &str, user: &str) -> Option<(Option<String>, Vec<Membership>)> {
        if !self.inner.listening.load(Ordering::Acquire) {
            return None;
        }
        let mut entries = self.inner.entries.lock().ok()?;
        let key = (tenant.to_owned(), user.to_owned());
        match entries.get(&key) {
            Some(entry) if entry.read_at.elapsed() < TTL => {
                Some((Some(entry.state.clone()), entry.memberships.clone()))
            }
            Some(_) => {
                entries.pop(&key);
                None
            }
            None => None,
        }
    }

    /// Where a lookup starts: read before the statement, handed to `put` after it.
    pub fn generation(&self) -> Generation {
        Generation(self.inner.generation.load(Ordering::Acquire))
    }

    /// Keeps what a lookup begun at `generation` read, unless the replica changed since,
    /// nobody listens for changes, or the replica does not know the person.
    pub fn put(
        &self,
        generation: Generation,
        tenant: &str,
        user: &str,
        state: Option<&str>,
        memberships: &[Membership],
    ) {
        let Some(state) = state else { return };
        if !self.inner.listening.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut entries) = self.inner.entries.lock() else {
            return;
        };
        // Checked under the lock `forget` takes too: a notification cannot slip between.
        if self.inner.generation.load(Ordering::Acquire) != generation.0 {
            return;
        }
        entries.put(
            (tenant.to_owned(), user.to_owned()),
            Entry {
                state: state.to_owned(),
                memberships: memberships.to_vec(),
                read_at: Instant::now(),
            },
        );
    }

    /// Forgets every caller: the replica changed, or changes may have been missed.
    pub fn forget(&self) {
        if let Ok(mut entries) = self.inner.entries.lock() {
            self.inner.generation.fetch_add(1, Ordering::AcqRel);
            entries.clear();
        }
    }

    fn listening(&self, on: bool) {
        self.inner.listening.store(on, Ordering::Release);
        self.forget();
    }
}

/// Listens for the projection's notifications on `pool` until `cancel`, forgetting the
/// callers on each; keeps nothing while the connection is down.
pub fn follow(pool: PgPool, callers: Callers, cancel: CancellationToken) {
    tokio::spawn(async move {
        let policy = retry::doubling(Duration::from_millis(100), Duration::from_secs(5));
        let mut pauses = policy.build();
        while !cancel.is_cancelled() {
            match listen(&pool, &callers, &cancel).await {
                Ok(()) => break,
                Err(e) => {
                    // Said once when a listening connection is lost; while it has not
                    // connected yet (the database not created at start-up), quietly.
                    if callers.inner.listening.load(Ordering::Acquire) {
                        tracing::warn!(error = %e, "stopped listening for directory changes; looking every caller up until listening again");
                    } else {
                        tracing::debug!(error = %e, "not listening for directory changes yet");
                    }
                    callers.listening(false);
                    let pause = pauses.next().unwrap_or(Duration::from_secs(5));
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(pause) => {}
                    }
                }
            }
        }
        callers.listening(false);
    });
}

/// One connection's worth of listening; `Ok` once cancelled.
async fn listen(
    pool: &PgPool,
    callers: &Callers,
    cancel: &CancellationToken,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    callers.listening(true);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            // `None`: the connection was lost and notifications may have been missed.
            received = listener.try_recv() => match received? {
                Some(_) => callers.forget(),
                // `follow` forgets everything before anything else runs.
                None => return Err(sqlx::Error::PoolClosed),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Role;

    fn member() -> Vec<Membership> {
        vec![Membership {
            store: "s1".into(),
            department: String::new(),
            role: Role::Employee,
        }]
    }

    #[test]
    fn nothing_is_kept_while_nobody_listens() {
        let callers = Callers::default();
        let g = callers.generation();
        callers.put(g, "t", "u", Some("active"), &member());
        assert!(callers.get("t", "u").is_none());
    }

    #[test]
    fn a_lookup_older_than_a_notification_is_not_kept() {
        let callers = Callers::default();
        callers.listening(true);
        let before = callers.generation();
        callers.forget();
        callers.put(before, "t", "u", Some("active"), &member());
        assert!(callers.get("t", "u").is_none());
        let after = callers.generation();
        callers.put(after, "t", "u", Some("active"), &member());
        let (state, memberships) = callers.get("t", "u").unwrap();
        assert_eq!(state.as_deref(), Some("active"));
        assert_eq!(memberships, member());
    }

    #[test]
    fn unknown_people_are_never_kept_and_a_notification_forgets_everyone() {
        let callers = Callers::default();
        callers.listening(true);
        let g = callers.generation();
        callers.put(g, "t", "nobody", None, &[]);
        assert!(callers.get("t", "nobody").is_none());
        callers.put(g, "t", "u", Some("active"), &member());
        assert!(callers.get("t", "u").is_some());
        callers.forget();
        assert!(callers.get("t", "u").is_none());
    }
}
