//! Breakroom feed: the store's groups and news, must-read announcements with
//! acknowledgement roll-ups, comments, reactions, moderation, and one timeline per person
//! that carries the roster as cards.
#![forbid(unsafe_code)]

pub mod app;
pub mod config;
pub mod domain;
pub mod grpc;
pub mod names;
pub mod projection;
pub mod queries;
pub mod reactions;
pub mod startup;
