//! Groups as the read model holds them, with the caller's explicit membership, and the
//! caller's groups (driven from their memberships, so a chain of 1,000 stores costs the
//! caller's few rows, not a scan of every group).

use breakroom_base::Result;
use breakroom_directory::read::inline::store_memberships_of;
use breakroom_proto::feed::v1::{GroupKind, PostingPolicy};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A group row, with the caller's row in `group_members` if any.
#[derive(Debug, Clone)]
pub struct GroupRow {
    /// Group id.
    pub id: String,
    /// Kind.
    pub kind: GroupKind,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Store of store and department groups.
    pub store_id: String,
    /// Department of department groups.
    pub department_id: String,
    /// Posting policy.
    pub posting_policy: PostingPolicy,
    /// Created.
    pub create_time: DateTime<Utc>,
    /// The caller's explicit membership: `Some(admin)` when listed in `group_members`.
    pub explicit: Option<bool>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    i32,
    DateTime<Utc>,
    Option<bool>,
);

/// The stored name of a kind.
pub fn kind_name(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Store => "store",
        GroupKind::Department => "department",
        GroupKind::News => "news",
        GroupKind::Help => "help",
        GroupKind::Custom | GroupKind::Unspecified => "custom",
    }
}

fn kind_of(name: &str) -> GroupKind {
    match name {
        "store" => GroupKind::Store,
        "department" => GroupKind::Department,
        "news" => GroupKind::News,
        "help" => GroupKind::Help,
        _ => GroupKind::Custom,
    }
}

fn row(r: Row) -> GroupRow {
    GroupRow {
        id: r.0,
        kind: kind_of(&r.1),
        display_name: r.2,
        description: r.3,
        store_id: r.4,
        department_id: r.5,
        posting_policy: PostingPolicy::try_from(r.6).unwrap_or(PostingPolicy::Everyone),
        create_time: r.7,
        explicit: r.8,
    }
}

/// A group row and its unread count.
type RowWithUnread = (
    String,
    String,
    String,
    String,
    String,
    String,
    i32,
    DateTime<Utc>,
    Option<bool>,
    i64,
);

const COLUMNS: &str = "g.id, g.kind, g.display_name, g.description, g.store_id, \
     g.department_id, g.posting_policy, g.create_time, gm.admin";

/// A group with `user`'s explicit membership; `None` when unknown.
pub async fn get(pool: &PgPool, tenant: &str, group: &str, user: &str) -> Result<Option<GroupRow>> {
    let found: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM groups g LEFT JOIN group_members gm \
         ON gm.tenant = g.tenant AND gm.group_id = g.id AND gm.user_id = $3 \
         WHERE g.tenant = $1 AND g.id = $2"
    )))
    .bind(tenant)
    .bind(group)
    .bind(user)
    .fetch_optional(pool)
    .await?;
    Ok(found.map(row))
}

/// The groups `user` may hold a role in beyond the chain-wide ones: those of `stores`
/// (store and department groups) and those listing them (custom groups, the help group).
/// Whom they let moderate is `app::access`'s to say.
pub async fn of_stores_and_lists(
    pool: &PgPool,
    tenant: &str,
    user: &str,
    stores: &[&str],
) -> Result<Vec<GroupRow>> {
    let found: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM groups g LEFT JOIN group_members gm \
         ON gm.tenant = g.tenant AND gm.group_id = g.id AND gm.user_id = $2 \
         WHERE g.tenant = $1 AND g.id IN ( \
           SELECT s.id FROM groups s WHERE s.tenant = $1 AND s.store_id <> '' \
             AND s.store_id = ANY($3) \
           UNION SELECT l.group_id FROM group_members l WHERE l.tenant = $1 AND l.user_id = $2)"
    )))
    .bind(tenant)
    .bind(user)
    .bind(stores)
    .fetch_all(pool)
    .await?;
    Ok(found.into_iter().map(row).collect())
}

/// The ids of `user`'s groups (`$1` tenant, `$2` user): news and help, the groups of their stores and
/// departments (identity's memberships as the directory holds them now), their custom groups.
pub fn my_group_ids() -> String {
    format!(
        "SELECT g.id FROM groups g WHERE g.tenant = $1 AND g.id IN ('news', 'help') \
    UNION \
    SELECT g.id FROM {} m JOIN groups g \
      ON g.tenant = m.tenant AND g.store_id = m.store_id AND (g.kind = 'store' \
         OR (g.kind = 'department' AND (m.department_id = '' OR g.department_id = m.department_id))) \
    UNION \
    SELECT gm.group_id FROM group_members gm JOIN groups g \
      ON g.tenant = gm.tenant AND g.id = gm.group_id AND g.kind = 'custom' \
      WHERE gm.tenant = $1 AND gm.user_id = $2",
        store_memberships_of("$1", "$2")
    )
}

/// Posts in group `g.id` that `$2` (of tenant `$1`) sees in lists (not deleted or
/// hidden, `posts::for_reader`) newer than their read marker (of the group, or else of
/// the whole timeline), at most 100 counted.
fn unread_count() -> String {
    format!(
        "(SELECT count(*) FROM (SELECT 1 FROM posts p WHERE p.tenant = g.tenant \
    AND p.group_id = g.id AND NOT p.deleted AND NOT p.hidden AND {} AND p.create_time > COALESCE( \
      (SELECT max(read_through) FROM read_markers r WHERE r.tenant = g.tenant AND r.user_id = $2 \
       AND r.group_id IN (g.id, '')), '-infinity') LIMIT 100) x)",
        super::posts::for_reader("$1", "$2")
    )
}

/// `user`'s groups with their unread counts, in one statement.
pub async fn my_groups(pool: &PgPool, tenant: &str, user: &str) -> Result<Vec<(GroupRow, i64)>> {
    let rows: Vec<RowWithUnread> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {} FROM groups g LEFT JOIN group_members gm \
             ON gm.tenant = g.tenant AND gm.group_id = g.id AND gm.user_id = $2 \
             WHERE g.tenant = $1 AND g.id IN ({})",
        unread_count(),
        my_group_ids()
    )))
    .bind(tenant)
    .bind(user)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (row((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8)), r.9))
        .collect())
}

/// Unread posts of one group for `user` (see `unread_count`).
pub async fn unread(pool: &PgPool, tenant: &str, group: &str, user: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM groups g WHERE g.tenant = $1 AND g.id = $3",
        unread_count()
    )))
    .bind(tenant)
    .bind(user)
    .bind(group)
    .fetch_optional(pool)
    .await?
    .unwrap_or(0))
}

/// Which of `users` the directory knows as people of `tenant` (not offboarded).
pub async fn known_users(pool: &PgPool, tenant: &str, users: &[String]) -> Result<Vec<String>> {
    breakroom_directory::read::people(pool, tenant, users).await
}
