//! Read paths over the read model and the directory replica (all of feed's SQL for
//! reads lives here).
//!
//! - `groups`: a group with the caller's explicit membership, the caller's groups.
//! - `posts`: posts and cards as rows, the timeline, a group's feed.
//! - `announcements`: audiences resolved from the directory, obligations, the report.
//! - `comments`: a post's comments.
//! - `moderation`: the moderation queue (posts with open reports) and their reports.

pub mod announcements;
pub mod comments;
pub mod groups;
pub mod moderation;
pub mod posts;

use chrono::{DateTime, Utc};

/// A database instant as a protobuf timestamp.
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}
