//! Comments and reactions into the read model, with the counters posts carry.

use breakroom_base::Result;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::feed::v1::{
    self as pb, comment_event::Event as Com, reaction_event::Event as Rea,
};
use sqlx::PgConnection;

use super::occurred;

pub async fn comment(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    event: pb::CommentEvent,
) -> Result<()> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    match event.event {
        Some(Com::Added(e)) => {
            let inserted = sqlx::query(
                "INSERT INTO comments (tenant, id, post_id, parent_id, author_id, body, mention_ids, \
                 create_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(id)
            .bind(&e.post_id)
            .bind(&e.parent_comment_id)
            .bind(&e.author_id)
            .bind(&e.body)
            .bind(&e.mention_ids)
            .bind(occurred(commit))
            .execute(&mut *conn)
            .await?
            .rows_affected();
            count_comment(conn, tenant, &e.post_id, inserted as i64).await?;
        }
        Some(Com::Deleted(e)) => {
            let deleted = sqlx::query(
                "UPDATE comments SET deleted = TRUE WHERE tenant = $1 AND id = $2 AND NOT deleted",
            )
            .bind(tenant)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            count_comment(conn, tenant, &e.post_id, -(deleted as i64)).await?;
        }
        None => {}
    }
    Ok(())
}

async fn count_comment(conn: &mut PgConnection, tenant: &str, post: &str, by: i64) -> Result<()> {
    if by != 0 {
        sqlx::query(
            "UPDATE posts SET comment_count = comment_count + $3 WHERE tenant = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(post)
        .bind(by)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn reaction(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    event: pb::ReactionEvent,
) -> Result<()> {
    let tenant = commit.tenant();
    let (post, user, kind) = match event.event {
        Some(Rea::Set(e)) => (e.post_id, e.user_id, Some(e.kind)),
        Some(Rea::Cleared(e)) => (e.post_id, e.user_id, None),
        None => return Ok(()),
    };
    let old: Option<i32> = sqlx::query_scalar(
        "DELETE FROM reactions WHERE tenant = $1 AND post_id = $2 AND user_id = $3 RETURNING kind",
    )
    .bind(tenant)
    .bind(&post)
    .bind(&user)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(kind) = kind {
        sqlx::query(
            "INSERT INTO reactions (tenant, post_id, user_id, kind) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant)
        .bind(&post)
        .bind(&user)
        .bind(kind)
        .execute(&mut *conn)
        .await?;
    }
    for (slot, by) in [(old, -1i64), (kind, 1)] {
        if let Some(slot) = slot.filter(|k| (1..=6).contains(k)) {
            sqlx::query(
                "UPDATE posts SET reaction_counts[$3] = reaction_counts[$3] + $4 \
                 WHERE tenant = $1 AND id = $2",
            )
            .bind(tenant)
            .bind(&post)
            .bind(slot)
            .bind(by)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
