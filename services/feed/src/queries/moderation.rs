//! The moderation queue as moderators list it (ListReportedPosts): posts with open
//! reports (`projection::moderation_queue`), joined to the read model's posts for what a
//! moderator is shown, most recently reported first, and the latest reports of a page.
//!
//! The queue holds only open reports (moderators empty it), so a statement reads the
//! tenant's queue newest first through `moderation_queue_newest` and keeps the rows of the
//! caller's groups; no index per group is needed for a queue of that size. "Newest" is
//! the stream's order of the reports (their commits' sequence), not the clock.

use breakroom_base::{Error, Result, paging::Page};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::posts::{PostRow, columns, for_reader};

/// Reports shown per post (the latest; the count covers them all).
pub const REPORTS_SHOWN: i64 = 5;

/// Which groups' posts a list covers.
#[derive(Debug, Clone, Copy)]
pub enum QueueScope<'a> {
    /// Every group of the tenant (HQ admins).
    All,
    /// These groups (ids).
    Groups(&'a [String]),
}

/// A post in the queue, as the reader sees it, with its open reports' count and time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedRow {
    /// The post.
    #[sqlx(flatten)]
    pub post: PostRow,
    /// Its group's display name.
    pub group_display_name: String,
    /// Open reports.
    pub report_count: i64,
    /// The latest open report's time.
    pub last_report_time: DateTime<Utc>,
    /// The latest open report's stream sequence (the order, and the cursor).
    pub last_report_sequence: i64,
}

/// One open report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    /// The post reported.
    pub post_id: String,
    /// Who reported it.
    pub reporter_id: String,
    /// Their display name, when the directory knows them.
    #[sqlx(default)]
    pub reporter_display_name: Option<String>,
    /// Why.
    pub reason: String,
    /// When.
    pub report_time: DateTime<Utc>,
}

/// The cursor of a row: its latest report's stream sequence (and its id).
pub fn cursor(row: &QueuedRow) -> (String, String) {
    (row.last_report_sequence.to_string(), row.post.id.clone())
}

/// The sequence after which a page starts: past every row on a first page.
fn after(page: &Page) -> Result<i64> {
    match page.after_key() {
        (None, _) => Ok(i64::MAX),
        (Some(key), _) => key
            .parse()
            .map_err(|_| Error::invalid("page_token", "is not a token of this list")),
    }
}

/// One page of the queue over `scope` as `reader` sees it: not deleted (the read model
/// may be ahead of the queue), no cards, and only what the visibility rule shows them
/// (`posts::for_reader`; hidden posts are shown, the reader being a moderator).
pub async fn page(
    pool: &PgPool,
    tenant: &str,
    scope: QueueScope<'_>,
    reader: &str,
    page: &Page,
) -> Result<Vec<QueuedRow>> {
    let after = after(page)?;
    let in_scope = match scope {
        QueueScope::All => "TRUE",
        QueueScope::Groups(_) => "p.group_id = ANY($4)",
    };
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {columns}, g.display_name AS group_display_name, q.report_count, \
           q.last_report_time, q.last_report_sequence \
         FROM moderation_queue q \
         JOIN posts p ON p.tenant = q.tenant AND p.id = q.post_id \
         JOIN groups g ON g.tenant = p.tenant AND g.id = p.group_id \
         WHERE q.tenant = $1 AND q.last_report_sequence < $2 \
           AND {in_scope} AND NOT p.deleted AND p.kind <> 'card' AND {visible} \
         ORDER BY q.last_report_sequence DESC LIMIT {limit}",
        columns = columns(),
        visible = for_reader("$1", "$3"),
        limit = page.limit(),
    )))
    .bind(tenant)
    .bind(after)
    .bind(reader);
    if let QueueScope::Groups(groups) = scope {
        query = query.bind(groups);
    }
    Ok(query.fetch_all(pool).await?)
}

/// The latest `REPORTS_SHOWN` open reports of each of `posts`, newest first per post.
pub async fn latest_reports(
    pool: &PgPool,
    tenant: &str,
    posts: &[String],
) -> Result<Vec<ReportRow>> {
    let mut rows: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.post_id, r.reporter_id, r.reason, r.report_time \
         FROM UNNEST($2::text[]) AS ids(id) CROSS JOIN LATERAL ( \
           SELECT * FROM moderation_queue_reports m WHERE m.tenant = $1 AND m.post_id = ids.id \
           ORDER BY m.sequence DESC, m.event_index DESC LIMIT {REPORTS_SHOWN}) r \
         ORDER BY r.post_id, r.sequence DESC, r.event_index DESC"
    )))
    .bind(tenant)
    .bind(posts)
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        return Ok(rows);
    }
    let reporters: Vec<String> = rows.iter().map(|r| r.reporter_id.clone()).collect();
    let names = breakroom_directory::read::display_names(pool, tenant, &reporters).await?;
    for row in &mut rows {
        row.reporter_display_name = names.get(&row.reporter_id).cloned();
    }
    Ok(rows)
}
