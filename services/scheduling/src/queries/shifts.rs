//! Shifts as the read model holds them: an employee's, a store's, the open ones; one
//! shift; the week a shift belongs to; an employee's published shifts in a period.

use breakroom_base::{Result, paging::Page};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// A shift as the read model holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShiftRow {
    /// Shift id.
    pub id: String,
    /// Store id.
    pub store_id: String,
    /// Its ISO week, `<year>W<week>`.
    pub week: String,
    /// Employee id; empty for an open shift.
    pub employee_id: String,
    /// Store-local start as planned.
    pub start_local: String,
    /// Store-local end as planned.
    pub end_local: String,
    /// Start instant.
    pub start_time: DateTime<Utc>,
    /// End instant.
    pub end_time: DateTime<Utc>,
    /// Department id, empty for the whole store.
    pub department_id: String,
    /// Position label.
    pub position: String,
    /// Unpaid break minutes.
    pub unpaid_break_minutes: i32,
    /// Note.
    pub note: String,
    /// WFM id.
    pub external_id: String,
    /// Revision (0 while a draft).
    pub revision: i64,
    /// Whether its week is published.
    pub published: bool,
}

const COLUMNS: &str = "id, store_id, week, employee_id, start_local, end_local, start_time, end_time, \
     department_id, position, unpaid_break_minutes, note, external_id, revision, published";

/// The shift columns read into `ShiftRow`, qualified by the table alias `alias` (for joins).
pub(super) fn columns_of(alias: &str) -> String {
    COLUMNS
        .split(',')
        .map(|column| format!("{alias}.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn page_of(
    pool: &PgPool,
    tenant: &str,
    condition: &str,
    key: &str,
    range: (DateTime<Utc>, DateTime<Utc>),
    page: &Page,
) -> Result<(Vec<ShiftRow>, String)> {
    let (after_time, after_id) = page.after_instant()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM shifts WHERE tenant = $1 AND {condition} \
         AND end_time > $3 AND start_time < $4 \
         AND ($5::timestamptz IS NULL OR (start_time, id) > ($5, $6)) \
         ORDER BY start_time, id LIMIT $7"
    );
    let rows: Vec<ShiftRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(key)
        .bind(range.0)
        .bind(range.1)
        .bind(after_time)
        .bind(after_id)
        .bind(page.limit())
        .fetch_all(pool)
        .await?;
    Ok(page.finish(rows, |r| (r.start_time.to_rfc3339(), r.id.clone())))
}

/// An employee's published shifts in a range, by start.
pub async fn my_shifts(
    pool: &PgPool,
    tenant: &str,
    employee: &str,
    range: (DateTime<Utc>, DateTime<Utc>),
    page: &Page,
) -> Result<(Vec<ShiftRow>, String)> {
    page_of(
        pool,
        tenant,
        "employee_id = $2 AND published",
        employee,
        range,
        page,
    )
    .await
}

/// A store's published shifts in a range, by start.
pub async fn store_shifts(
    pool: &PgPool,
    tenant: &str,
    store: &str,
    range: (DateTime<Utc>, DateTime<Utc>),
    page: &Page,
) -> Result<(Vec<ShiftRow>, String)> {
    page_of(
        pool,
        tenant,
        "store_id = $2 AND published",
        store,
        range,
        page,
    )
    .await
}

/// Who may see which open shifts: every shift of `whole_stores`, shifts of `departments`
/// (`store/department`) and shifts without a department in `member_stores`.
#[derive(Debug, Clone, Default)]
pub struct OpenShiftScope {
    /// Stores whose every open shift counts (planners, store-wide members).
    pub whole_stores: Vec<String>,
    /// `store/department` pairs the caller works in.
    pub departments: Vec<String>,
    /// Stores the caller works in at all.
    pub member_stores: Vec<String>,
}

/// Published open shifts from now on the scope covers, by start (however far ahead: a WFM
/// publishes the summer months early, and the page token carries the caller through).
pub async fn open_shifts(
    pool: &PgPool,
    tenant: &str,
    scope: &OpenShiftScope,
    page: &Page,
) -> Result<(Vec<ShiftRow>, String)> {
    let now = Utc::now();
    let (after_time, after_id) = page.after_instant()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM shifts WHERE tenant = $1 AND published AND employee_id = '' \
         AND start_time > $2 \
         AND (store_id = ANY($3) OR (store_id || '/' || department_id) = ANY($4) \
              OR (department_id = '' AND store_id = ANY($5))) \
         AND ($6::timestamptz IS NULL OR (start_time, id) > ($6, $7)) \
         ORDER BY start_time, id LIMIT $8"
    );
    let rows: Vec<ShiftRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(now)
        .bind(&scope.whole_stores)
        .bind(&scope.departments)
        .bind(&scope.member_stores)
        .bind(after_time)
        .bind(after_id)
        .bind(page.limit())
        .fetch_all(pool)
        .await?;
    Ok(page.finish(rows, |r| (r.start_time.to_rfc3339(), r.id.clone())))
}

/// One shift of a store, draft or published, if the read model has it.
pub async fn shift(
    pool: &PgPool,
    tenant: &str,
    store: &str,
    shift: &str,
) -> Result<Option<ShiftRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM shifts WHERE tenant = $1 AND store_id = $2 AND id = $3");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(store)
        .bind(shift)
        .fetch_optional(pool)
        .await?)
}

/// The ISO week (`<year>W<week>`) of a stored shift, if the read model has it.
pub async fn week_of(
    pool: &PgPool,
    tenant: &str,
    store: &str,
    shift: &str,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT week FROM shifts WHERE tenant = $1 AND store_id = $2 AND id = $3",
    )
    .bind(tenant)
    .bind(store)
    .bind(shift)
    .fetch_optional(pool)
    .await?)
}

/// Ids of `employee`'s published shifts overlapping `[start, end)`, by start.
pub async fn published_between(
    pool: &PgPool,
    tenant: &str,
    employee: &str,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT id FROM shifts WHERE tenant = $1 AND employee_id = $2 AND published \
         AND start_time < $4 AND end_time > $3 ORDER BY start_time",
    )
    .bind(tenant)
    .bind(employee)
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?)
}

/// Roster ids (`<store>_<year>W<week>`) holding `employee`'s shifts starting at or after
/// `from` (read inside the caller's transaction).
pub async fn rosters_from(
    conn: &mut PgConnection,
    tenant: &str,
    employee: &str,
    from: DateTime<Utc>,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT store_id || '_' || week FROM shifts \
         WHERE tenant = $1 AND employee_id = $2 AND start_time >= $3",
    )
    .bind(tenant)
    .bind(employee)
    .bind(from)
    .fetch_all(conn)
    .await?)
}
