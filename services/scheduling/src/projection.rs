//! Scheduling's read model: its own rosters and calendar feeds, and the part of identity's
//! directory it decides with (stores with their zones and departments, users, memberships).
//!
//! - `directory`: identity's stores, users and memberships.
//! - `rosters`: shifts, per-employee calendar entries, calendar feeds, change notices.
//! - `time_off`: time-off requests.

mod directory;
mod rosters;
mod time_off;

use breakroom_kit::{
    Result,
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::config::SERVICE;

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
        vec![Source::all(SERVICE), Source::all("identity")]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        let from_identity = commit.subject.split('.').nth(1) == Some("identity");
        match (from_identity, commit.commit.aggregate_type.as_str()) {
            (true, "store") => directory::store(conn, commit).await,
            (true, "user") => directory::user(conn, commit).await,
            (false, "roster") => rosters::roster(conn, commit).await,
            (false, "calendar_feed") => rosters::calendar_feed(conn, commit).await,
            (false, "time_off") => time_off::time_off(conn, commit).await,
            _ => Ok(()),
        }
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query(
            "TRUNCATE directory_stores, directory_users, directory_memberships, shifts, \
             feed_entries, calendar_feeds, change_notices, time_off_requests",
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
