//! Event sourcing on JetStream, with read models in PostgreSQL: what a service's commands
//! write and what its projections read.
//!
//! - `aggregate`: the `decide`/`apply` contract and given/when/then helpers.
//! - `envelope`, `event_store`, `repository`: commits on JetStream with optimistic
//!   concurrency, idempotent request ids, a cache and retries.
//! - `projector`: read models in PostgreSQL, exactly-once via checkpoints (its own
//!   migration), leases on NATS KV or Kubernetes, poison handling, rebuild.
//! - `consistency`: read-your-writes between a command's reply and a later request, also
//!   across services (`identity:1234` tokens); the chassis waits for them in a layer.
#![forbid(unsafe_code)]

pub mod aggregate;
pub mod consistency;
pub mod envelope;
pub mod event_store;
pub mod projector;
pub mod repository;
