//! Notifications' API tests: the real service beside real identity (and scheduling where
//! its events are needed), a local push service that decrypts every push, and feed's
//! events appended as feed writes them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod delivery;
mod devices;
mod devtime;
mod egress;
mod feed;
mod guarantees;
mod invites;
mod push;
mod quiet;
mod routing_feed;
mod routing_scheduling;
mod smtp;
mod support;
mod vapid;
