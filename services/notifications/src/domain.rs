//! Notifications' pure domain: the aggregates it owns (devices, preferences, inboxes),
//! the routing table (who hears about which event), and the quiet-hours decision. No I/O,
//! no clock: handlers pass "now" in.
//!
//! - `device`: a Web Push subscription; the same endpoint is one device.
//! - `preferences`: categories, quiet hours, off-shift quiet, digest time.
//! - `inbox`: read marks and test requests of one person.
//! - `routing`: recipients and kinds per source event.
//! - `quiet`: whether a push goes now or is held, and until when.

pub mod device;
pub mod inbox;
pub mod preferences;
pub mod quiet;
pub mod routing;

pub use breakroom_proto::notifications::v1::{Category, Kind};

/// The category a kind of notification belongs to.
pub fn category_of(kind: Kind) -> Category {
    match kind {
        Kind::RosterPublished
        | Kind::ShiftChanged
        | Kind::OpenShift
        | Kind::SwapOffered
        | Kind::SwapDecided
        | Kind::ClaimDecided
        | Kind::TimeOffDecided => Category::Schedule,
        Kind::Announcement | Kind::AcknowledgementReminder => Category::Announcements,
        Kind::Comment | Kind::Reply | Kind::Mention => Category::Social,
        Kind::Test | Kind::Digest | Kind::Unspecified => Category::System,
    }
}
