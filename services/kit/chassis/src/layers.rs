//! The layers every server puts in front of its handlers, so that no handler can forget
//! them.
//!
//! - `text`: refuses text the read models could not hold, in any string field of any
//!   request (the rule is `breakroom_base::text`).
//! - `consistency`: honours `breakroom-min-sequence`, waiting for the read models
//!   (the tokens are `breakroom_events::consistency`).

pub mod consistency;
pub mod text;
