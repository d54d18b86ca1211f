//! Breakroom's shared mechanisms, built once so the services stay thin.
//!
//! - `aggregate`: the `decide`/`apply` contract and given/when/then helpers.
//! - `envelope`, `event_store`, `repository`: commits on JetStream with optimistic
//!   concurrency, idempotent request ids, a cache and retries.
//! - `projector`: read models in PostgreSQL, exactly-once via checkpoints, leases, rebuild.
//! - `consistency`: read-your-writes between a command's reply and a later request, also
//!   across services (`identity:1234` tokens honoured by every server).
//! - `directory`: the replica of identity's directory every other service keeps, and the
//!   caller lookup built on it.
//! - `server`, `config`, `db`, `telemetry`: bootstrap, health, reflection, shutdown, OTLP.
//! - `auth`, `signing_keys`: EdDSA access tokens, the caller's `Principal`, and the key set
//!   followed from identity's events.
//! - `error`: the one error type and its mapping to gRPC statuses.
//! - `text`: what text every request field may hold, checked by a server layer.
//! - `outbox`: durable job queues in PostgreSQL (claims with a lease, retries, dead letters).
//! - `retry`: the one retry policy (backon) of every loop that tries again.
//! - `invite_delivery`: invite codes sealed by identity for notifications to e-mail.
//! - `testing` (feature `testing`): per-test namespaces and databases, spawn helpers.
#![forbid(unsafe_code)]

pub mod aggregate;
pub mod auth;
pub mod config;
pub mod consistency;
pub mod db;
pub mod descriptors;
pub mod directory;
pub mod envelope;
pub mod error;
pub mod event_store;
pub mod invite_delivery;
pub mod names;
pub mod outbox;
pub mod paging;
pub mod projector;
pub mod repository;
pub mod retry;
pub mod server;
pub mod signing_keys;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;

pub use error::{Error, Result};
