//! The chassis proven against the real NATS server and PostgreSQL: what a server answers
//! at its edge, its bootstrap and shutdown, and what a statement costs through its pool.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod edge;
mod pool;
mod server;
