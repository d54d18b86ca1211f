//! Breakroom notifications: devices (Web Push subscriptions), preferences with
//! roster-aware quiet hours, the inbox, and pushes that arrive once — routed from
//! scheduling's and feed's events.
#![forbid(unsafe_code)]

pub mod app;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod email;
pub mod grpc;
pub mod projection;
pub mod queries;
pub mod startup;
