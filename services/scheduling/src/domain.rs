//! Scheduling's aggregates and value types: pure, no I/O, no clock.
//!
//! - `time`: ISO weeks and store-local civil times resolved to instants, DST-correct.
//! - `roster`: a store's week of shifts: drafts, publication, amendments with diffs.

pub mod roster;
pub mod time;
