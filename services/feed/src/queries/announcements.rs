//! Announcements: audiences resolved from the directory replica, obligations, and the
//! acknowledgement report (roll-up per store and role, a page of people, pending readers).
//!
//! The report reads the obligations alone: each carries the reader's store, role and
//! name as they were when the audience was snapshotted (their first membership), so a
//! roll-up of 60,000 readers is one scan of the announcement's rows.

use breakroom_base::Result;
use breakroom_directory::Role;
use breakroom_proto::feed::v1 as pb;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A reader of an announcement as snapshotted at publication: their store and role of
/// their first membership by store, then role (empty store: chain-wide), and their name.
pub use breakroom_directory::Reader;

/// Resolves an audience from the directory (`breakroom_directory::read::audience`: people
/// not offboarded with a membership matching every non-empty list, the author excluded),
/// each with the store, role and name the roll-up snapshots. Ordered by user id.
pub async fn resolve(
    pool: &PgPool,
    tenant: &str,
    audience: &pb::Audience,
    author: &str,
) -> Result<Vec<Reader>> {
    let audience = breakroom_directory::Audience {
        stores: audience.store_ids.clone(),
        regions: audience.regions.clone(),
        roles: audience
            .roles
            .iter()
            .filter_map(|r| Role::from_proto(*r))
            .collect(),
        departments: audience.department_ids.clone(),
    };
    breakroom_directory::read::audience(pool, tenant, &audience, author).await
}

/// The revision `user` acknowledged, when they hold an obligation on `post`.
pub async fn obligation(
    pool: &PgPool,
    tenant: &str,
    post: &str,
    user: &str,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT acknowledged_revision FROM obligations WHERE tenant = $1 AND post_id = $2 \
         AND user_id = $3",
    )
    .bind(tenant)
    .bind(post)
    .bind(user)
    .fetch_optional(pool)
    .await?)
}

/// Obligations on `post` (how many exist: the audience snapshot's progress).
pub async fn obligation_count(pool: &PgPool, tenant: &str, post: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM obligations WHERE tenant = $1 AND post_id = $2")
            .bind(tenant)
            .bind(post)
            .fetch_one(pool)
            .await?,
    )
}

/// Which readers a report covers.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// The revision readers must have acknowledged.
    pub revision: i64,
    /// Only these stores (a manager's scope); `None` for all.
    pub scope: Option<Vec<String>>,
    /// Drill-down: one store id; empty for all.
    pub store: String,
    /// Drill-down: one role's stored name; empty for all.
    pub role: String,
    /// Only readers who have not acknowledged.
    pub pending_only: bool,
}

/// The filters of a report; `$1` tenant, `$2` post, `$3` revision, `$4` scope, `$5`
/// store, `$6` role, `$7` pending only.
const FILTER: &str = "o.tenant = $1 AND o.post_id = $2 \
    AND ($4::text[] IS NULL OR o.store_id = ANY($4)) \
    AND ($5 = '' OR o.store_id = $5) AND ($6 = '' OR o.role = $6) \
    AND (NOT $7 OR o.acknowledged_revision < $3)";

/// One roll-up row: store, store name, role, total, acknowledged.
pub type RollupRow = (String, String, String, i64, i64);

/// Counts per store and role, and the totals.
pub async fn rollup(
    pool: &PgPool,
    tenant: &str,
    post: &str,
    filter: &ReportFilter,
) -> Result<(Vec<RollupRow>, i64, i64)> {
    let counts: Vec<(String, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT o.store_id, o.role, count(*), \
         count(*) FILTER (WHERE o.acknowledged_revision >= $3) \
         FROM obligations o WHERE {FILTER} GROUP BY o.store_id, o.role ORDER BY 1, 2"
    )))
    .bind(tenant)
    .bind(post)
    .bind(filter.revision)
    .bind(&filter.scope)
    .bind(&filter.store)
    .bind(&filter.role)
    .bind(filter.pending_only)
    .fetch_all(pool)
    .await?;
    // Store names by key, apart: a join inside the aggregate lets a planner without fresh
    // statistics loop over every store per reader.
    let stores: Vec<String> = counts.iter().map(|c| c.0.clone()).collect();
    let names = breakroom_directory::read::store_names(pool, tenant, &stores).await?;
    let rows: Vec<RollupRow> = counts
        .into_iter()
        .map(|(store, role, total, acked)| {
            let name = names.get(&store).cloned().unwrap_or_default();
            (store, name, role, total, acked)
        })
        .collect();
    let total = rows.iter().map(|r| r.3).sum();
    let acknowledged = rows.iter().map(|r| r.4).sum();
    Ok((rows, total, acknowledged))
}

/// One reader of a report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    /// User id.
    pub user_id: String,
    /// Display name.
    pub display_name: String,
    /// Their store ('' when none).
    pub store_id: String,
    /// Their role there ('' when none).
    pub role: String,
    /// Acknowledged the current revision.
    pub acknowledged: bool,
    /// When.
    pub acknowledge_time: Option<DateTime<Utc>>,
}

/// The order of a report's readers, with the last reader of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOrder {
    /// Not acknowledged first, then by name and id (the report's page of people); after
    /// `(acknowledged, name, id)`.
    PendingFirst(Option<(bool, String, String)>),
    /// By name and id, which never change once snapshotted, so pages read while people
    /// acknowledge still hold each reader exactly once (the CSV export); after
    /// `(name, id)`.
    ByName(Option<(String, String)>),
}

/// Readers within the filter in `order`, at most `limit` (`None`: all).
pub async fn entries(
    pool: &PgPool,
    tenant: &str,
    post: &str,
    filter: &ReportFilter,
    order: &EntryOrder,
    limit: Option<i64>,
) -> Result<Vec<EntryRow>> {
    let (after, order_by) = match order {
        EntryOrder::PendingFirst(_) => (
            "($8::bool IS NULL OR ((o.acknowledged_revision >= $3), o.display_name, o.user_id) \
             > ($8, $9, $10))",
            "5, 2, 1",
        ),
        EntryOrder::ByName(_) => (
            "($8::bool IS NULL OR (o.display_name, o.user_id) > ($9, $10))",
            "2, 1",
        ),
    };
    let (after_ack, after_name, after_id) = match order.clone() {
        EntryOrder::PendingFirst(Some((a, n, i))) => (Some(a), n, i),
        EntryOrder::ByName(Some((n, i))) => (Some(true), n, i),
        EntryOrder::PendingFirst(None) | EntryOrder::ByName(None) => {
            (None, String::new(), String::new())
        }
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT o.user_id, o.display_name, o.store_id, o.role, \
           (o.acknowledged_revision >= $3) AS acknowledged, \
           CASE WHEN o.acknowledged_revision >= $3 THEN o.acknowledge_time END AS acknowledge_time \
         FROM obligations o WHERE {FILTER} AND {after} ORDER BY {order_by} LIMIT $11"
    )))
    .bind(tenant)
    .bind(post)
    .bind(filter.revision)
    .bind(&filter.scope)
    .bind(&filter.store)
    .bind(&filter.role)
    .bind(filter.pending_only)
    .bind(after_ack)
    .bind(after_name)
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
