//! Identity through its gRPC API: the real service on a random port, real NATS and
//! PostgreSQL, a fresh namespace and database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod attacks;
mod bulk;
mod hostile;
mod input;
mod interrupted;
mod isolation;
mod journey;
mod permissions;
mod reasons;
mod replicas;
mod resilience;
mod secrets;
mod sources;
mod support;
