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

/// A shift with the others working published shifts in its store at overlapping times.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShiftWithColleagues {
    #[sqlx(flatten)]
    pub shift: ShiftRow,
    /// Their user ids, by start, at most `COLLEAGUES`.
    pub colleagues: Vec<String>,
}

/// Colleagues listed per shift at most.
pub const COLLEAGUES: i64 = 20;

/// No shift is longer (`BREAKROOM_MAX_SHIFT_HOURS` is at most 24): a shift overlapping
/// another starts less than this before it, which bounds the index scan.
const MAX_SHIFT_HOURS: i64 = 24;

async fn page_of(
    pool: &PgPool,
    tenant: &str,
    condition: &str,
    key: &str,
    range: (DateTime<Utc>, DateTime<Utc>),
    page: &Page,
) -> Result<(Vec<ShiftRow>, String)> {
    select_page(pool, COLUMNS, tenant, condition, key, range, page).await
}

/// One page of `shifts` rows meeting `condition` (`$2` is `key`) in `range`, as `R`
/// read from `columns` (`s.` is the shift).
async fn select_page<R>(
    pool: &PgPool,
    columns: &str,
    tenant: &str,
    condition: &str,
    key: &str,
    range: (DateTime<Utc>, DateTime<Utc>),
    page: &Page,
) -> Result<(Vec<R>, String)>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin + AsRef<ShiftRow>,
{
    let (after_time, after_id) = page.after_instant()?;
    let sql = format!(
        "SELECT {columns} FROM shifts s WHERE s.tenant = $1 AND {condition} \
         AND s.end_time > $3 AND s.start_time < $4 \
         AND ($5::timestamptz IS NULL OR (s.start_time, s.id) > ($5, $6)) \
         ORDER BY s.start_time, s.id LIMIT $7"
    );
    let rows: Vec<R> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(key)
        .bind(range.0)
        .bind(range.1)
        .bind(after_time)
        .bind(after_id)
        .bind(page.limit())
        .fetch_all(pool)
        .await?;
    Ok(page.finish(rows, |r| {
        let r = r.as_ref();
        (r.start_time.to_rfc3339(), r.id.clone())
    }))
}

impl AsRef<ShiftRow> for ShiftRow {
    fn as_ref(&self) -> &ShiftRow {
        self
    }
}

impl AsRef<ShiftRow> for ShiftWithColleagues {
    fn as_ref(&self) -> &ShiftRow {
        &self.shift
    }
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
        "s.employee_id = $2 AND s.published",
        employee,
        range,
        page,
    )
    .await
}

/// Like `my_shifts`, each shift with who else works a published shift in its store at an
/// overlapping time (not open shifts), in one statement.
pub async fn my_shifts_with_colleagues(
    pool: &PgPool,
    tenant: &str,
    employee: &str,
    range: (DateTime<Utc>, DateTime<Utc>),
    page: &Page,
) -> Result<(Vec<ShiftWithColleagues>, String)> {
    let columns = format!(
        "{}, ARRAY(SELECT o.employee_id FROM shifts o \
           WHERE o.tenant = s.tenant AND o.store_id = s.store_id AND o.published \
             AND o.employee_id <> '' AND o.employee_id <> s.employee_id \
             AND o.end_time > s.start_time AND o.start_time < s.end_time \
             AND o.start_time > s.start_time - interval '{MAX_SHIFT_HOURS} hours' \
           GROUP BY o.employee_id ORDER BY min(o.start_time), o.employee_id \
           LIMIT {COLLEAGUES}) AS colleagues",
        columns_of("s")
    );
    select_page(
        pool,
        &columns,
        tenant,
        "s.employee_id = $2 AND s.published",
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
        "s.store_id = $2 AND s.published",
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
