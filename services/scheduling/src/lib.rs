//! Breakroom scheduling: the roster as the killer integration. This crate holds, so far,
//! the pure domain (roster weeks, shifts in store-local time, publication and amendments
//! with per-employee diffs); the service around it is being built.
#![forbid(unsafe_code)]

pub mod domain;
