//! Scheduling's aggregates and value types: pure, no I/O, no clock.
//!
//! - `time`: ISO weeks and store-local civil times resolved to instants, DST-correct.
//! - `booking`: an employee's booked time per UTC week, across stores (no double booking).
//! - `roster`: a store's week of shifts: drafts, publication, amendments with diffs.
//! - `calendar`: an employee's private calendar feed URL.
//! - `time_off`: a request for time off.

pub mod booking;
pub mod calendar;
pub mod roster;
pub mod time;
pub mod time_off;
