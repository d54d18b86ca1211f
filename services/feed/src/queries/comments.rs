//! A post's comments, oldest first, replies right after their comment.

use breakroom_kit::{Result, paging::Page};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A comment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentRow {
    /// Id.
    pub id: String,
    /// Post id.
    pub post_id: String,
    /// Comment replied to.
    pub parent_id: String,
    /// Author.
    pub author_id: String,
    /// Author's display name.
    pub author_display_name: Option<String>,
    /// Text.
    pub body: String,
    /// Mentions.
    pub mention_ids: Vec<String>,
    /// Deleted.
    pub deleted: bool,
    /// Added.
    pub create_time: DateTime<Utc>,
    /// Sort key: the thread's (top-level comment's) time, then its own.
    pub thread_time: DateTime<Utc>,
    /// Second sort key: its own time (as text) and id.
    pub sort_key: String,
}

const SELECT: &str = "SELECT c.id, c.post_id, c.parent_id, c.author_id, \
    (SELECT u.display_name FROM kit_directory_users u WHERE u.tenant = c.tenant AND u.id = c.author_id) AS author_display_name, \
    c.body, c.mention_ids, c.deleted, c.create_time, \
    COALESCE((SELECT t.create_time FROM comments t WHERE t.tenant = c.tenant AND t.id = c.parent_id), c.create_time) AS thread_time, \
    to_char(c.create_time AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || c.id AS sort_key \
    FROM comments c";

/// One comment; `None` when unknown.
pub async fn get(pool: &PgPool, tenant: &str, comment: &str) -> Result<Option<CommentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.tenant = $1 AND c.id = $2"
    )))
    .bind(tenant)
    .bind(comment)
    .fetch_optional(pool)
    .await?)
}

/// One page of a post's comments that are not deleted, threads oldest first.
pub async fn list(pool: &PgPool, tenant: &str, post: &str, page: &Page) -> Result<Vec<CommentRow>> {
    let (after, after_key) = page.after_instant()?;
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM ({SELECT} WHERE c.tenant = $1 AND c.post_id = $2 AND NOT c.deleted) x \
         WHERE ($3::timestamptz IS NULL OR (x.thread_time, x.sort_key) > ($3, $4)) \
         ORDER BY x.thread_time, x.sort_key LIMIT $5"
    )))
    .bind(tenant)
    .bind(post)
    .bind(after)
    .bind(after_key)
    .bind(page.limit())
    .fetch_all(pool)
    .await?)
}
