//! Read paths over the read model (all of scheduling's SQL for reads lives here; `app`
//! asks through these functions, and reads the directory replica through the kit's
//! `directory::read`).
//!
//! - `shifts`: an employee's shifts, a store's shifts, open shifts, a shift's week, the
//!   published shifts of a period.
//! - `claims_swaps`: a store's or a shift's claims and swaps, with their shifts.
//! - `notices`: change notices.
//! - `time_off`: time-off requests.
//! - `calendar`: whose a feed token is, and the entries of a calendar feed.

pub mod calendar;
pub mod claims_swaps;
pub mod notices;
pub mod shifts;
pub mod time_off;
