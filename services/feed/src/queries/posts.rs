//! Posts and cards as rows, and the two feeds over them: the timeline (fan-out on read:
//! one short index range per group of the caller, merged, plus their personal cards) and
//! a group's feed (pinned first).

use breakroom_base::{Result, paging::Page};
use breakroom_directory::read::inline::{display_name_of, state_of};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgPool;

use super::groups::my_group_ids;

/// A post, announcement or card with the reader's own reaction and obligation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostRow {
    /// Id.
    pub id: String,
    /// Group id; empty for personal cards.
    pub group_id: String,
    /// Recipient of a personal card.
    pub recipient_id: String,
    /// `post`, `announcement` or `card`.
    pub kind: String,
    /// Author (posts).
    pub author_id: String,
    /// Author's display name.
    pub author_display_name: Option<String>,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Encoded `Post` holding only the attachments.
    pub attachments: Option<Vec<u8>>,
    /// Mentioned user ids.
    pub mention_ids: Vec<String>,
    /// Encoded `Announcement`.
    pub announcement: Option<Vec<u8>>,
    /// Encoded `Card`.
    pub card: Option<Vec<u8>>,
    /// An announcement naming an audience (`domain::post::targeted`).
    pub targeted: bool,
    /// Readers must acknowledge.
    pub requires_ack: bool,
    /// Revision.
    pub revision: i64,
    /// Revision to acknowledge.
    pub ack_revision: i64,
    /// Pinned.
    pub pinned: bool,
    /// Hidden.
    pub hidden: bool,
    /// Deleted.
    pub deleted: bool,
    /// Comments.
    pub comment_count: i64,
    /// Reactions per kind (index 0 = kind 1).
    pub reaction_counts: Vec<i64>,
    /// Created.
    pub create_time: DateTime<Utc>,
    /// Last edited.
    pub update_time: Option<DateTime<Utc>>,
    /// The reader's reaction.
    pub my_reaction: Option<i32>,
    /// The reader's acknowledged revision, when they hold an obligation.
    pub my_acknowledged: Option<i64>,
    /// Timeline rows only: the reader's unread entries (first pages; see `unread`).
    #[sqlx(default)]
    pub unread: Option<i64>,
    /// Timeline rows only: the reader's state in the directory (the offboarding check).
    #[sqlx(default)]
    pub reader_state: Option<String>,
}

/// The columns of `PostRow` from `p`, the reader being `$3`. The author's name comes
/// from the directory in the same statement. The reader's own reaction and obligation
/// are looked up only where there can be one: a post somebody reacted to (its counts are
/// kept in the same transaction as the reactions) and an announcement.
pub(crate) fn columns() -> String {
    format!(
        "p.id, p.group_id, p.recipient_id, p.kind, p.author_id, \
    {author} AS author_display_name, \
    p.title, p.body, p.attachments, p.mention_ids, p.announcement, p.card, p.targeted, p.requires_ack, \
    p.revision, p.ack_revision, p.pinned, p.hidden, p.deleted, p.comment_count, p.reaction_counts, \
    p.create_time, p.update_time, \
    CASE WHEN 0 < ANY (p.reaction_counts) THEN (SELECT r.kind FROM reactions r \
      WHERE r.tenant = p.tenant AND r.post_id = p.id AND r.user_id = $3) END AS my_reaction, \
    CASE WHEN p.announcement IS NOT NULL THEN (SELECT o.acknowledged_revision FROM obligations o \
      WHERE o.tenant = p.tenant AND o.post_id = p.id AND o.user_id = $3) END AS my_acknowledged",
        author = display_name_of("p.tenant", "p.author_id")
    )
}

/// The audience part of the visibility rule (`app::visibility`) in SQL, for the reader
/// `reader` of `tenant` (parameters or columns): a targeted announcement is for its
/// author and the readers holding an obligation. The obligation is looked up by the
/// tenant parameter (every caller's `p.tenant`), so that a generic plan that hashes the
/// reader's obligations reads them through `obligations_by_user`, not by a scan.
pub fn for_reader(tenant: &str, reader: &str) -> String {
    format!(
        "(NOT p.targeted OR p.author_id = {reader} OR EXISTS (SELECT 1 FROM obligations o \
         WHERE o.tenant = {tenant} AND o.user_id = {reader} AND o.post_id = p.id))"
    )
}

/// What a reader (`$3`, tenant `$1`) may see of a group's rows in a list: not deleted or
/// hidden (the partial indexes hold no others; a moderator finds a hidden post by name),
/// and `for_reader`.
fn visible() -> String {
    format!(
        "NOT p.deleted AND NOT p.hidden AND {}",
        for_reader("$1", "$3")
    )
}

/// The cursor of a row: its create time (microseconds, as stored) and id.
pub fn cursor(row: &PostRow) -> (String, String) {
    (
        row.create_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        row.id.clone(),
    )
}

/// One post (deleted ones included, for the caller to refuse), as `reader` sees it.
pub async fn get(pool: &PgPool, tenant: &str, post: &str, reader: &str) -> Result<Option<PostRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM posts p WHERE p.tenant = $1 AND p.id = $2",
        columns()
    )))
    .bind(tenant)
    .bind(post)
    .bind(reader)
    .fetch_optional(pool)
    .await?)
}

/// One page of `reader`'s timeline over their groups (found in the same statement) and
/// their personal cards, newest first; each row also carries the reader's state in the
/// directory, so the offboarding check needs no statement of its own, and a first page's
/// rows the reader's unread count.
///
/// First and later pages are two statements, each written so that one generic plan
/// serves every call (no cursor tested for `NULL` with `OR`, which keeps it out of the
/// index condition). After its first executions PostgreSQL then reuses the prepared plan
/// instead of planning the query again on every call, which costs more than running it.
/// One statement for both, with the unread count behind a flag, did not stay generic: a
/// connection whose first calls were later pages (planned without the count, so cheaper
/// than the generic plan) planned every call from then on.
pub async fn timeline(
    pool: &PgPool,
    tenant: &str,
    reader: &str,
    page: &Page,
) -> Result<Vec<PostRow>> {
    let (after, after_id) = page.after_instant()?;
    let state = state_of("$1", "$3");
    // The limit is written into the statement: PostgreSQL estimates a `LIMIT $n` at a
    // tenth of the rows, which made every custom plan look cheaper than the generic one
    // and had each call planned again. Clients use one or two page sizes, so each size
    // is one more prepared statement per connection.
    let limit = page.limit();
    let (unread, cursor) = match after {
        None => (format!("({})", unread()), "TRUE"),
        Some(_) => (
            "NULL::bigint".to_owned(),
            "(p.create_time, p.id) < ($4, $5)",
        ),
    };
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH mine AS ({}) SELECT {}, {unread} AS unread, \
           {state} AS reader_state FROM ({}) p ORDER BY p.create_time DESC, p.id DESC LIMIT {limit}",
        my_group_ids(),
        columns(),
        newest(cursor, limit)
    )))
    .bind(tenant)
    .bind(reader)
    .bind(reader);
    if let Some(after) = after {
        query = query.bind(after).bind(after_id);
    }
    Ok(query.fetch_all(pool).await?)
}

/// The newest `limit` rows past `cursor` of every group in `mine` (one short index range
/// each) and of the reader's (`$3`) personal cards, unordered.
fn newest(cursor: &str, limit: i64) -> String {
    format!(
        "SELECT x.* FROM mine AS g CROSS JOIN LATERAL ( \
           SELECT p.* FROM posts p WHERE p.tenant = $1 AND p.group_id = g.id AND {visible} \
           AND {cursor} ORDER BY p.create_time DESC, p.id DESC LIMIT {limit}) x \
         UNION ALL \
         (SELECT p.* FROM posts p WHERE p.tenant = $1 AND p.recipient_id = $3 AND p.recipient_id <> '' \
           AND p.group_id = '' AND NOT p.deleted AND {cursor} \
           ORDER BY p.create_time DESC, p.id DESC LIMIT {limit})",
        visible = visible()
    )
}

/// The cursor of a first page: later than any row's create time (9999-12-31).
fn after_every_row() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The reader's (`$3`) timeline entries newer than their timeline read marker over the
/// groups in `mine`, at most 100 ("99+" in an app: a badge needs no exact count, and
/// counting stays bounded); evaluated once per statement, by first pages only.
fn unread() -> String {
    format!(
        "SELECT count(*) FROM (SELECT 1 FROM ( \
    SELECT 1 FROM mine AS g CROSS JOIN LATERAL ( \
      SELECT 1 FROM posts p WHERE p.tenant = $1 AND p.group_id = g.id AND {visible} \
      AND p.create_time > (SELECT COALESCE(max(read_through), '-infinity') FROM read_markers \
        WHERE tenant = $1 AND user_id = $3 AND group_id = '') LIMIT 100) x \
    UNION ALL \
    (SELECT 1 FROM posts p WHERE p.tenant = $1 AND p.recipient_id = $3 AND p.recipient_id <> '' AND p.group_id = '' \
      AND NOT p.deleted AND p.create_time > (SELECT COALESCE(max(read_through), '-infinity') \
        FROM read_markers WHERE tenant = $1 AND user_id = $3 AND group_id = '') LIMIT 100) \
  ) y LIMIT 100) z",
        visible = visible()
    )
}

/// A group's pinned posts, newest first (the first page of a group feed shows them).
pub async fn pinned(
    pool: &PgPool,
    tenant: &str,
    group: &str,
    reader: &str,
) -> Result<Vec<PostRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM posts p WHERE p.tenant = $1 AND p.group_id = $2 AND p.pinned \
         AND {} ORDER BY p.create_time DESC, p.id DESC LIMIT 50",
        columns(),
        visible()
    )))
    .bind(tenant)
    .bind(group)
    .bind(reader)
    .fetch_all(pool)
    .await?)
}

/// One page of a group's unpinned posts and cards, newest first (one generic plan for
/// every page, and the limit written in, as `timeline`).
pub async fn group_page(
    pool: &PgPool,
    tenant: &str,
    group: &str,
    reader: &str,
    page: &Page,
) -> Result<Vec<PostRow>> {
    let (after, after_id) = page.after_instant()?;
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM posts p WHERE p.tenant = $1 AND p.group_id = $2 AND NOT p.pinned \
         AND {} AND (p.create_time, p.id) < ($4, $5) \
         ORDER BY p.create_time DESC, p.id DESC LIMIT {}",
        columns(),
        visible(),
        page.limit()
    )))
    .bind(tenant)
    .bind(group)
    .bind(reader)
    .bind(after.unwrap_or_else(after_every_row))
    .bind(after_id)
    .fetch_all(pool)
    .await?)
}
