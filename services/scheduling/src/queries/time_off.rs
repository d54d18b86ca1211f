//! Time-off requests as the read model holds them.

use breakroom_base::{Result, paging::Page};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A time-off request as recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimeOffRow {
    /// Request id.
    pub id: String,
    /// The employee.
    pub employee_id: String,
    /// The store asked.
    pub store_id: String,
    /// First day off (`YYYY-MM-DD`).
    pub start_date: String,
    /// Last day off (`YYYY-MM-DD`).
    pub end_date: String,
    /// Why.
    pub reason: String,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    /// Ids of the published shifts in the period when it was approved.
    pub conflicting: Vec<String>,
    /// When it was requested.
    pub create_time: DateTime<Utc>,
}

/// A page of requests of a store and/or an employee, newest first.
pub async fn list(
    pool: &PgPool,
    tenant: &str,
    store: Option<&str>,
    employee: Option<&str>,
    page: &Page,
) -> Result<(Vec<TimeOffRow>, String)> {
    let (after_time, after_id) = page.after_instant()?;
    let rows: Vec<TimeOffRow> = sqlx::query_as(
        "SELECT id, employee_id, store_id, start_date, end_date, reason, state, conflicting, \
         create_time FROM time_off_requests WHERE tenant = $1 \
         AND ($2::text IS NULL OR store_id = $2) AND ($3::text IS NULL OR employee_id = $3) \
         AND ($4::timestamptz IS NULL OR (create_time, id) < ($4, $5)) \
         ORDER BY create_time DESC, id DESC LIMIT $6",
    )
    .bind(tenant)
    .bind(store)
    .bind(employee)
    .bind(after_time)
    .bind(after_id)
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    Ok(page.finish(rows, |r| (r.create_time.to_rfc3339(), r.id.clone())))
}
