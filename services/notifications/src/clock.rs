//! Where "now" comes from. Quiet hours, off-shift holds, backoff and digests all read this
//! clock, so tests can move time forward instead of waiting for it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, SystemTime},
};

/// The service's clock: the system's, moved by an offset that tests can change.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds added to the system time (0 in production).
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The system clock moved by `offset`: the development time offset
    /// (`BREAKROOM_DEV_TIME_OFFSET`), which tests and integrators use alike.
    pub fn shifted(offset: jiff::SignedDuration) -> Self {
        let clock = Self::default();
        let millis = i64::try_from(offset.as_millis()).unwrap_or(if offset.is_negative() {
            i64::MIN / 2
        } else {
            i64::MAX / 2
        });
        clock.offset_ms.store(millis, Ordering::Relaxed);
        clock
    }

    /// Now.
    pub fn now(&self) -> SystemTime {
        let offset = self.offset_ms.load(Ordering::Relaxed);
        let now = SystemTime::now();
        if offset >= 0 {
            now + Duration::from_millis(offset as u64)
        } else {
            now - Duration::from_millis(offset.unsigned_abs())
        }
    }

    /// Now, as a `jiff` timestamp.
    pub fn timestamp(&self) -> jiff::Timestamp {
        jiff::Timestamp::try_from(self.now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// Now, for SQL.
    pub fn utc(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::<chrono::Utc>::from(self.now())
    }

    /// Moves the clock forward (tests).
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }

    /// Sets the clock so that now is `at` (tests).
    pub fn set(&self, at: SystemTime) {
        let millis = match at.duration_since(SystemTime::now()) {
            Ok(ahead) => ahead.as_millis() as i64,
            Err(behind) => -(behind.duration().as_millis() as i64),
        };
        self.offset_ms.store(millis, Ordering::Relaxed);
    }
}
