//! Display names of stores and people by resource name, kept for a few minutes in this
//! process: Home and My week name the store of each shift and the colleagues on it, and
//! asking identity for each of them on every page was most of a page's cost. A name is
//! only ever shown next to something the person's own call already returned (a shift
//! scheduling showed them), so the cache reveals nothing that call did not; keys carry
//! the tenant. A renamed store or person shows the new name within `TTL`.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How long a name is kept.
const TTL: Duration = Duration::from_secs(300);
/// Beyond this many names the cache starts over (a chain has at most some 100,000).
const CAPACITY: usize = 200_000;

/// Names by resource name.
#[derive(Debug, Default)]
pub struct Names {
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

impl Names {
    /// The name of `resource`, if known and fresh.
    pub fn get(&self, resource: &str) -> Option<String> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(resource)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(name, _)| name.clone())
    }

    /// Remembers `name` for `resource`.
    pub fn put(&self, resource: &str, name: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(resource.to_owned(), (name.to_owned(), Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_kept_by_its_resource() {
        let names = Names::default();
        assert_eq!(names.get("tenants/a/stores/s"), None);
        names.put("tenants/a/stores/s", "Utrecht");
        assert_eq!(names.get("tenants/a/stores/s").as_deref(), Some("Utrecht"));
        assert_eq!(names.get("tenants/b/stores/s"), None);
    }
}
