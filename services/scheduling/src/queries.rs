//! Read paths over the read model and the directory replica (all of scheduling's SQL for
//! reads lives here; `app` asks through these functions).
//!
//! - `shifts`: an employee's shifts, a store's shifts, open shifts, a shift's week, the
//!   published shifts of a period.
//! - `claims_swaps`: a store's or a shift's claims and swaps, with their shifts.
//! - `notices`: change notices.
//! - `time_off`: time-off requests.
//! - `directory`: who may be scheduled in a store, stores by code, people by e-mail.
//! - `calendar`: whose a feed token is, and the entries of a calendar feed.

pub mod calendar;
pub mod claims_swaps;
pub mod directory;
pub mod notices;
pub mod shifts;
pub mod time_off;
