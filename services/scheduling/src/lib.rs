//! Breakroom scheduling: the roster as the killer integration. Store weeks planned in
//! store-local time, published to employees, amended with per-employee diffs, imported
//! from the chain's workforce-management system, and subscribed to as calendar feeds.
#![forbid(unsafe_code)]

pub mod app;
pub mod config;
pub mod domain;
pub mod grpc;
pub mod http;
pub mod ical;
pub mod names;
pub mod projection;
pub mod queries;
pub mod reactions;
pub mod startup;
