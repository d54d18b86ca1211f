//! Throttling of failed logins per account and per source address, so that password
//! guessing is slow without locking a real user out for long.
//!
//! An attempt counts as a failure from the moment it starts (before its password is
//! hashed) and is taken back when it succeeds, so a thousand concurrent guesses cannot all
//! pass the check while the first ones are still hashing.
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

    /// Counts an attempt unless the key is at its limit; false when blocked.
    fn try_record(&self, key: &str, now: Instant) -> bool {
        let Ok(mut failures) = self.failures.lock() else {
            return true;
        };
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
        }
        let times = failures.entry(key.to_owned()).or_default();
        forget_old(times, now);
        if times.len() >= self.limit as usize {
            return false;
        }
        times.push_back(now);
        true
    }

    /// Takes back the newest count of a key.
    fn take_back(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock()
            && let Some(times) = failures.get_mut(key)
        {
            times.pop_back();
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

    /// Starts an attempt for `account` from `source`, counted as a failure until it
    /// succeeds; false when either is at its limit (refuse the attempt unchecked).
    pub fn attempt(&self, account: &str, source: &str) -> bool {
        let now = Instant::now();
        if !self.accounts.try_record(account, now) {
            return false;
        }
        if !self.sources.try_record(source, now) {
            self.accounts.take_back(account);
            return false;
        }
        true
    }

    /// The attempt succeeded: the account's failures are forgotten and the source's count
    /// for this attempt is taken back.
    pub fn succeeded(&self, account: &str, source: &str) {
        self.accounts.clear(account);
        self.sources.take_back(source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_blocked_after_its_limit_even_while_attempts_are_in_flight() {
        let throttle = Throttle::new(3, 100);
        for _ in 0..3 {
            assert!(throttle.attempt("anna", "10.0.0.1"));
        }
        assert!(!throttle.attempt("anna", "10.0.0.2"), "three still hashing");
        assert!(throttle.attempt("ben", "10.0.0.2"));
        throttle.succeeded("anna", "10.0.0.1");
        assert!(throttle.attempt("anna", "10.0.0.2"));
    }

    #[test]
    fn a_source_spraying_many_accounts_is_blocked_but_successes_do_not_count() {
        let throttle = Throttle::new(3, 5);
        for i in 0..20 {
            assert!(throttle.attempt("shared-tablet", "10.0.0.8"));
            throttle.succeeded("shared-tablet", "10.0.0.8");
            let _ = i;
        }
        for i in 0..5 {
            assert!(throttle.attempt(&format!("user{i}"), "10.0.0.9"));
        }
        assert!(!throttle.attempt("someone-else", "10.0.0.9"));
        assert!(throttle.attempt("someone-else", "10.0.0.10"));
    }
}
