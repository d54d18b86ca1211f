//! The service chassis: what a Breakroom service binary is built on besides its domain.
//!
//! - `config`: the settings every service shares, typed, from the environment.
//! - `server`: connections (`Infra`), start-up preparation, the gRPC server with health,
//!   reflection, readiness, projectors and graceful shutdown.
//! - `layers`: the text and read-your-writes layers in front of every handler.
//! - `db`: the service's PostgreSQL pool, created if missing, migrated.
//! - `lease`: the projection lease backend the configuration selects.
//! - `outbox`: durable job queues in PostgreSQL (claims with a lease, retries, dead letters).
#![forbid(unsafe_code)]

pub mod config;
pub mod db;
pub mod layers;
pub mod lease;
pub mod outbox;
pub mod server;
