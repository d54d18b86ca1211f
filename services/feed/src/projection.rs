//! Feed's read model, one projection over three streams: feed's own events (groups,
//! posts, obligations, comments, reactions, read state), identity's (the derived groups
//! and welcome cards) and scheduling's (roster cards). Reading all three in one
//! projection keeps one checkpoint per stream, so a consistency token of any of them
//! (`feed:12`, `identity:40`, `scheduling:7`) is honoured by the same read model.
//!
//! - `content`: feed's own events (`social`: comments and reactions).
//! - `cards`: identity's and scheduling's events turned into groups and cards.
//! - `roster_cards`: scheduling's roster events as cards.
//! - `card_rows`: cards of a batch, written in bulk at its end.
//! - `read_markers`: the unread markers.
//!
//! `moderation_queue` is a second projection beside this one (its own checkpoint): the
//! posts with open reports.

mod card_rows;
pub mod cards;
mod content;
pub mod moderation_queue;
pub mod read_markers;
mod roster_cards;
mod social;

use breakroom_base::Result;
use breakroom_events::{
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use self::card_rows::CardRows;
use crate::config::SERVICE;

/// Name of the projection (checkpoints, lease, consumers).
pub const PROJECTION: &str = "feed_read_model";

/// The read model.
#[derive(Debug, Default)]
pub struct FeedProjection;

/// When a commit happened, as a database instant.
pub fn occurred(commit: &RecordedCommit) -> DateTime<Utc> {
    DateTime::<Utc>::from(commit.occurred_at())
}

#[async_trait::async_trait]
impl Projection for FeedProjection {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn sources(&self) -> Vec<Source> {
        // Whole streams: a filtered source's checkpoint would not reach a token of an
        // event outside the filter, and waits would time out.
        vec![
            Source::all(SERVICE),
            Source::all("identity"),
            Source::all("scheduling"),
        ]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        self.apply_batch(conn, std::slice::from_ref(commit)).await
    }

    /// Applies the commits in order; the roster's cards are collected and written at the
    /// end in bulk (`card_rows`).
    async fn apply_batch(&self, conn: &mut PgConnection, commits: &[RecordedCommit]) -> Result<()> {
        let mut rows = CardRows::default();
        for commit in commits {
            match commit.service() {
                SERVICE => content::apply(conn, commit).await?,
                "identity" => cards::identity(conn, commit).await?,
                "scheduling" => cards::scheduling(conn, commit, &mut rows).await?,
                _ => {}
            }
        }
        rows.flush(conn).await
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query(
            "TRUNCATE groups, group_members, posts, post_revisions, obligations, comments, \
             reactions, read_markers, reports, card_claims, card_swaps, card_time_off",
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
