//! A post's comments, oldest first, replies right after their comment; their authors'
//! names from the directory, read apart by id.

use breakroom_base::{Result, paging::Page};
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
    /// Author's display name (from the directory: `with_names`).
    #[sqlx(default)]
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
    c.body, c.mention_ids, c.deleted, c.create_time, \
    COALESCE((SELECT t.create_time FROM comments t WHERE t.tenant = c.tenant AND t.id = c.parent_id), c.create_time) AS thread_time, \
    to_char(c.create_time AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || c.id AS sort_key \
    FROM comments c";

/// One comment; `None` when unknown.
pub async fn get(pool: &PgPool, tenant: &str, comment: &str) -> Result<Option<CommentRow>> {
    let found: Option<CommentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.tenant = $1 AND c.id = $2"
    )))
    .bind(tenant)
    .bind(comment)
    .fetch_optional(pool)
    .await?;
    Ok(with_names(pool, tenant, found.into_iter().collect())
        .await?
        .pop())
}

/// One page of a post's comments that are not deleted, threads oldest first.
pub async fn list(pool: &PgPool, tenant: &str, post: &str, page: &Page) -> Result<Vec<CommentRow>> {
    let (after, after_key) = page.after_instant()?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
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
    .await?;
    with_names(pool, tenant, rows).await
}

/// `rows` with their authors' display names (one read of the directory for them all).
async fn with_names(
    pool: &PgPool,
    tenant: &str,
    mut rows: Vec<CommentRow>,
) -> Result<Vec<CommentRow>> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let authors: Vec<String> = rows.iter().map(|r| r.author_id.clone()).collect();
    let names = breakroom_directory::read::display_names(pool, tenant, &authors).await?;
    for row in &mut rows {
        row.author_display_name = names.get(&row.author_id).cloned();
    }
    Ok(rows)
}
