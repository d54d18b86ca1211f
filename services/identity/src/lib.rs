//! Breakroom identity: tenants (chains), stores, users, roles, login, tokens and service
//! accounts. Every other service builds on its events and verifies its tokens offline.
#![forbid(unsafe_code)]

pub mod app;
pub mod config;
pub mod domain;
pub mod grpc;
pub mod names;
pub mod projection;
pub mod proxies;
pub mod queries;
pub mod secrets;
pub mod startup;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
