//! The kit's mechanism, proven against the real NATS server and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod directory;
mod edge;
mod event_store;
mod pool;
mod projector;
mod server;
