//! Scheduling through its gRPC API (and the calendar endpoint), with the real identity
//! service beside it, real NATS and PostgreSQL, a fresh namespace and database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod booking;
mod calendar;
mod claim_swap_lists;
mod claims;
mod consistency;
mod hostile;
mod import;
mod notices;
mod reasons;
mod rosters;
mod support;
mod swaps;
mod time_off;
