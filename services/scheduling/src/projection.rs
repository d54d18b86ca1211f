//! Scheduling's read model: its own rosters, calendar feeds and time-off requests.
//! Identity's directory (stores, people, roles) is the kit's replica (`breakroom_directory`).
//!
//! - `rosters`: shifts, per-employee calendar entries, calendar feeds, change notices.
//! - `time_off`: time-off requests.
//! - `claims_swaps`: open-shift claims and swaps, a projection of its own
//!   (`ClaimsAndSwaps`).

mod claims_swaps;
mod rosters;
mod time_off;

pub use claims_swaps::ClaimsAndSwaps;

use breakroom_base::Result;
use breakroom_events::{
    aggregate::Aggregate,
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::{
    config::SERVICE,
    domain::{calendar::CalendarFeed, roster::Roster, time_off::TimeOff},
};

/// Name of the projection (checkpoints, lease, consumers).
pub const PROJECTION: &str = "scheduling_read_model";

/// The read model.
#[derive(Debug, Default)]
pub struct SchedulingProjection;

/// A protobuf timestamp as a database timestamp (the epoch when unset).
pub fn ts(value: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    value
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl Projection for SchedulingProjection {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all(SERVICE)]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        match commit.aggregate_type() {
            <Roster as Aggregate>::TYPE => rosters::roster(conn, commit).await,
            <CalendarFeed as Aggregate>::TYPE => rosters::calendar_feed(conn, commit).await,
            <TimeOff as Aggregate>::TYPE => time_off::time_off(conn, commit).await,
            _ => Ok(()),
        }
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query(
            "TRUNCATE shifts, feed_entries, calendar_feeds, change_notices, time_off_requests",
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
