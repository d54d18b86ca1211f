//! Throttling of failed logins per account and per source address, so that password
//! guessing is slow without locking a real user out for long.
//!
//! Counts live in the memory of each replica: with N replicas an attacker gets at most N
//! times the budget, which keeps the bound while keeping the login path free of shared
//! state. Throttled attempts are refused before any password is checked and are logged,
//! not recorded as events, so an attack cannot flood the event log.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

/// Window over which failures are counted.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Tracked keys above which old entries are pruned.
const PRUNE_ABOVE: usize = 100_000;

/// Failure counters for one kind of key.
#[derive(Debug)]
struct Counter {
    limit: u32,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Counter {
    fn new(limit: u32) -> Self {
        Self {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn is_blocked(&self, key: &str, now: Instant) -> bool {
        let Ok(mut failures) = self.failures.lock() else {
            return false;
        };
        failures.get_mut(key).is_some_and(|times| {
            forget_old(times, now);
            times.len() >= self.limit as usize
        })
    }

    fn record(&self, key: &str, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
        }
        let times = failures.entry(key.to_owned()).or_default();
        forget_old(times, now);
        times.push_back(now);
        if times.len() > self.limit as usize {
            times.pop_front();
        }
    }

    fn clear(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
}

/// Failed-login throttle.
#[derive(Debug)]
pub struct Throttle {
    accounts: Counter,
    sources: Counter,
}

impl Throttle {
    /// At most `per_account` failures per account and `per_source` per source address in
    /// any 15 minutes.
    pub fn new(per_account: u32, per_source: u32) -> Self {
        Self {
            accounts: Counter::new(per_account),
            sources: Counter::new(per_source),
        }
    }

    /// Whether an attempt for `account` from `source` is to be refused unchecked.
    pub fn is_blocked(&self, account: &str, source: &str) -> bool {
        let now = Instant::now();
        self.accounts.is_blocked(account, now) || self.sources.is_blocked(source, now)
    }

    /// Counts a failure.
    pub fn failed(&self, account: &str, source: &str) {
        let now = Instant::now();
        self.accounts.record(account, now);
        self.sources.record(source, now);
    }

    /// A successful login clears the account's count (not the source's).
    pub fn succeeded(&self, account: &str) {
        self.accounts.clear(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_blocked_after_its_limit_and_freed_by_a_success() {
        let throttle = Throttle::new(3, 100);
        for _ in 0..3 {
            assert!(!throttle.is_blocked("anna", "10.0.0.1"));
            throttle.failed("anna", "10.0.0.1");
        }
        assert!(throttle.is_blocked("anna", "10.0.0.2"));
        assert!(!throttle.is_blocked("ben", "10.0.0.2"));
        throttle.succeeded("anna");
        assert!(!throttle.is_blocked("anna", "10.0.0.2"));
    }

    #[test]
    fn a_source_spraying_many_accounts_is_blocked() {
        let throttle = Throttle::new(3, 5);
        for i in 0..5 {
            throttle.failed(&format!("user{i}"), "10.0.0.9");
        }
        assert!(throttle.is_blocked("someone-else", "10.0.0.9"));
        assert!(!throttle.is_blocked("someone-else", "10.0.0.10"));
    }
}
