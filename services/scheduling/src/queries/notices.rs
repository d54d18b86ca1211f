//! Change notices as employees read them: one, or a page of theirs.

use breakroom_base::{Error, Result, paging::Page};
use breakroom_proto::scheduling::v1 as pb;
use chrono::{DateTime, Utc};
use prost::Message;
use sqlx::PgPool;

/// A change notice of one employee, as recorded.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Notice id.
    pub notice_id: String,
    /// The roster aggregate id (`<store>_<year>W<week>`).
    pub roster_id: String,
    /// What changed for the employee (the event's part for them, every shift field).
    pub changes: pb::EmployeeChanges,
    /// When the change was made.
    pub create_time: DateTime<Utc>,
    /// When the employee acknowledged it.
    pub acknowledge_time: Option<DateTime<Utc>>,
}

type Row = (
    String,
    String,
    Vec<u8>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn notice(row: Row) -> Result<Notice> {
    let (notice_id, roster_id, changes, create_time, acknowledge_time) = row;
    Ok(Notice {
        notice_id,
        roster_id,
        changes: pb::EmployeeChanges::decode(changes.as_slice()).map_err(Error::internal)?,
        create_time,
        acknowledge_time,
    })
}

/// One notice of `employee`.
pub async fn find(
    pool: &PgPool,
    tenant: &str,
    employee: &str,
    notice_id: &str,
) -> Result<Option<Notice>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT notice_id, roster_id, changes, create_time, acknowledge_time FROM change_notices \
         WHERE tenant = $1 AND employee_id = $2 AND notice_id = $3",
    )
    .bind(tenant)
    .bind(employee)
    .bind(notice_id)
    .fetch_optional(pool)
    .await?;
    row.map(notice).transpose()
}

/// A page of `employee`'s notices: unacknowledged first, newest first within each group.
pub async fn mine(
    pool: &PgPool,
    tenant: &str,
    employee: &str,
    page: &Page,
) -> Result<(Vec<Notice>, String)> {
    // Sort key: (acknowledged, create time descending, id descending); the token holds
    // `<0|1>|<create time>` and the id.
    let (key, after_id) = page.after_key();
    let after = key
        .map(|key| {
            let invalid = || Error::invalid("page_token", "is not a token of this list");
            let (done, at) = key.split_once('|').ok_or_else(invalid)?;
            let at = DateTime::parse_from_rfc3339(at)
                .map_err(|_| invalid())?
                .with_timezone(&Utc);
            Ok::<_, Error>((done == "1", at))
        })
        .transpose()?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT notice_id, roster_id, changes, create_time, acknowledge_time FROM change_notices \
         WHERE tenant = $1 AND employee_id = $2 \
         AND ($3::bool IS NULL OR (acknowledge_time IS NOT NULL) > $3 \
              OR ((acknowledge_time IS NOT NULL) = $3 AND (create_time, notice_id) < ($4, $5))) \
         ORDER BY (acknowledge_time IS NOT NULL), create_time DESC, notice_id DESC LIMIT $6",
    )
    .bind(tenant)
    .bind(employee)
    .bind(after.map(|(done, _)| done))
    .bind(after.map(|(_, at)| at))
    .bind(after_id)
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    let notices = rows.into_iter().map(notice).collect::<Result<Vec<_>>>()?;
    Ok(page.finish(notices, |n| {
        (
            format!(
                "{}|{}",
                u8::from(n.acknowledge_time.is_some()),
                n.create_time
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ),
            n.notice_id.clone(),
        )
    }))
}
