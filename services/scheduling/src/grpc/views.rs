//! Rosters as GetRoster answers them, kept per roster version: converting a 300-shift week
//! (names, paid lengths, sorting) costs about a millisecond of CPU, and a store's people
//! all read the same week.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use breakroom_proto::scheduling::v1 as pb;
use lru::LruCache;

use crate::domain::time::Week;

/// Views kept at most.
const VIEWS: usize = 2048;

/// (tenant, store, week, planner view).
pub type Key = (String, String, Week, bool);

/// A converted roster with the version it was made from.
pub type View = (u64, Arc<pb::Roster>);

/// The converted rosters.
#[derive(Debug, Clone)]
pub struct RosterViews {
    views: Arc<Mutex<LruCache<Key, View>>>,
}

impl Default for RosterViews {
    fn default() -> Self {
        let size = NonZeroUsize::new(VIEWS).unwrap_or(NonZeroUsize::MIN);
        Self {
            views: Arc::new(Mutex::new(LruCache::new(size))),
        }
    }
}

impl RosterViews {
    /// The view of `key` with its version, if kept.
    pub fn get(&self, key: &Key) -> Option<View> {
        self.views.lock().ok()?.get(key).cloned()
    }

    /// Keeps the view of `key` made from `version`.
    pub fn put(&self, key: Key, version: u64, view: Arc<pb::Roster>) {
        if let Ok(mut views) = self.views.lock() {
            views.put(key, (version, view));
        }
    }
}
