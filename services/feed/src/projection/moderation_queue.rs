//! The moderation queue (ListReportedPosts): posts with open reports, from feed's post
//! events alone. A report opens (or adds to) a post's entry; a moderator's hide or
//! restore (`PostModerated`) and any deletion (`PostDeleted`) settle it, so the post
//! leaves the queue until it is reported again. The post itself (content, group, who
//! sees it) is read from the read model's `posts` when the queue is listed.
//!
//! A projection of its own (`feed_moderation_queue`): where it is first deployed it is
//! built from the start of feed's stream, because the read model's `reports` never
//! recorded whether a moderator acted after a report; and it is rebuilt on its own. It
//! reads the whole stream (other commits are skipped), so a `feed:N` consistency token
//! reaches its checkpoint too.

use breakroom_base::Result;
use breakroom_events::{
    envelope::RecordedCommit,
    projector::{Projection, Source},
};
use breakroom_proto::feed::v1::{self as pb, post_event::Event as Po};
use sqlx::PgConnection;

use super::occurred;
use crate::config::SERVICE;

/// Name of the projection (checkpoint, lease, consumer).
pub const MODERATION_QUEUE: &str = "feed_moderation_queue";

/// The moderation queue's projection.
#[derive(Debug, Default)]
pub struct ModerationQueue;

#[async_trait::async_trait]
impl Projection for ModerationQueue {
    fn name(&self) -> &'static str {
        MODERATION_QUEUE
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all(SERVICE)]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        if commit.aggregate_type() != "post" {
            return Ok(());
        }
        let (tenant, post) = (commit.tenant(), commit.aggregate_id());
        for (index, event) in commit.events::<pb::PostEvent>()?.into_iter().enumerate() {
            match event.event {
                Some(Po::Reported(e)) => {
                    sqlx::query(
                        "INSERT INTO moderation_queue_reports (tenant, post_id, sequence, \
                         event_index, reporter_id, reason, report_time) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    )
                    .bind(tenant)
                    .bind(post)
                    .bind(commit.sequence as i64)
                    .bind(index as i32)
                    .bind(&e.reporter_id)
                    .bind(&e.reason)
                    .bind(occurred(commit))
                    .execute(&mut *conn)
                    .await?;
                    count(conn, tenant, post).await?;
                }
                Some(Po::Moderated(_) | Po::Deleted(_)) => settle(conn, tenant, post).await?,
                Some(Po::Created(_) | Po::Edited(_) | Po::Pinned(_)) | None => {}
            }
        }
        Ok(())
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query("TRUNCATE moderation_queue, moderation_queue_reports")
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// The post's entry from its open reports: counted, not incremented, so applying a
/// report twice could not make it drift.
async fn count(conn: &mut PgConnection, tenant: &str, post: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO moderation_queue (tenant, post_id, report_count, last_report_time, \
           last_report_sequence) \
         SELECT $1, $2, count(*), max(report_time), max(sequence) FROM moderation_queue_reports \
         WHERE tenant = $1 AND post_id = $2 \
         ON CONFLICT (tenant, post_id) DO UPDATE SET report_count = EXCLUDED.report_count, \
           last_report_time = EXCLUDED.last_report_time, \
           last_report_sequence = EXCLUDED.last_report_sequence",
    )
    .bind(tenant)
    .bind(post)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A moderator acted on the post, or it was deleted: its reports are no longer open.
async fn settle(conn: &mut PgConnection, tenant: &str, post: &str) -> Result<()> {
    for table in ["moderation_queue", "moderation_queue_reports"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE tenant = $1 AND post_id = $2"
        )))
        .bind(tenant)
        .bind(post)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
