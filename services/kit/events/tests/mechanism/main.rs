//! Event sourcing proven against the real NATS server and PostgreSQL: appends, replays,
//! request ids, and projectors that crash, hand over and rebuild.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod event_store;
mod projector;
