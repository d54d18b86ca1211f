//! Getting pushes to devices: the provider trait (Web Push now; FCM and APNs can follow
//! behind it), the VAPID key, and the worker that claims due deliveries from the outbox
//! and sends them with retries, backoff, dead-lettering and digests.
//!
//! - `egress`: where pushes may go (public addresses only, checked at registration and
//!   at connection time).
//! - `encrypt`: RFC 8291 message encryption (aes128gcm) on `ring`.
//! - `vapid`: the key pair (from a Secret, or a file made for local runs) and signatures.
//! - `webpush`: RFC 8030/8291/8292 requests sent with hyper + rustls.
//! - `worker`: claims (`FOR UPDATE SKIP LOCKED`, safe with any number of replicas),
//!   sends, records outcomes; releases held pushes as digests.
//! - `outbox`: the inbox and the pushes in SQL: notifications and their deliveries as
//!   routing creates them, holds, collapses and drops.
//!
//! Sending goes through the kit's outbox (`breakroom_chassis::outbox`): pushes and e-mails
//! are two kinds of job of it.

pub mod egress;
pub mod encrypt;
pub mod outbox;
pub mod vapid;
pub mod webpush;
pub mod worker;

use std::time::Duration;

/// How urgent a push is (RFC 8030 `Urgency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Digests and social updates.
    Normal,
    /// Announcements and urgent shift changes.
    High,
}

impl Urgency {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::High => "high",
        }
    }
}

/// One push to one device.
#[derive(Debug, Clone)]
pub struct Push {
    /// The push service URL.
    pub endpoint: String,
    /// The subscription's public key.
    pub p256dh: Vec<u8>,
    /// The subscription's auth secret.
    pub auth: Vec<u8>,
    /// The clear-text payload (JSON), encrypted by the provider.
    pub payload: Vec<u8>,
    /// How long the push service may keep it.
    pub ttl: Duration,
    /// Its urgency.
    pub urgency: Urgency,
    /// The collapse topic: a newer push with the same topic replaces an undelivered one.
    pub topic: String,
    /// The same on every retry of one delivery (also inside the payload).
    pub idempotency_key: String,
}

/// What a push service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted (2xx).
    Delivered(u16),
    /// The subscription is gone (404, 410): remove the device.
    Gone(u16),
    /// Try again later: 429, 5xx, or no answer. `retry_after` from the header.
    Retry {
        /// HTTP status; 0 when there was none.
        status: u16,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
        /// What went wrong.
        error: String,
    },
    /// Will never work (other 4xx, an unusable subscription).
    Failed {
        /// HTTP status; 0 when there was none.
        status: u16,
        /// What went wrong.
        error: String,
    },
}

impl Outcome {
    /// The HTTP status answered; 0 when there was no answer.
    pub fn status(&self) -> u16 {
        match self {
            Self::Delivered(status) | Self::Gone(status) => *status,
            Self::Retry { status, .. } | Self::Failed { status, .. } => *status,
        }
    }
}

/// A way of pushing to devices.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug + 'static {
    /// Sends one push.
    async fn send(&self, push: &Push) -> Outcome;
}
