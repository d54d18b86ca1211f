//! One module per screen; handlers are thin and the screen logic lives beside them.

pub mod auth;
pub mod calendar;
pub mod colleagues;
pub mod compose;
pub mod groups;
pub mod home;
pub mod inbox;
pub mod manage;
pub mod open_shifts;
pub mod post;
pub mod preferences;
pub mod sessions;
pub mod settings;
pub mod swaps;
pub mod time_off;
pub mod views;
pub mod week;
