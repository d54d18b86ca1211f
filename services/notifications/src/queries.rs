//! Read paths over notifications' tables: devices, preferences, the inbox, dead letters,
//! and the lookups routing needs (preferences and zones of recipients).

use breakroom_base::{Result, paging::Page};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::preferences::Settings;

/// A device as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    /// Device id.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Push service URL.
    pub endpoint: String,
    /// Label.
    pub display_name: String,
    /// When (last) registered.
    pub registered_at: DateTime<Utc>,
}

/// An inbox item as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub user_id: String,
    /// `Kind` value.
    pub kind: i32,
    /// `Category` value.
    pub category: i32,
    /// Urgent.
    pub urgent: bool,
    /// Structured content.
    pub fields: serde_json::Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Read, if.
    pub read_at: Option<DateTime<Utc>>,
}

/// A dead-lettered delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedRow {
    /// Delivery id.
    pub id: Uuid,
    /// Notification id.
    pub notification_id: Uuid,
    /// Recipient.
    pub user_id: String,
    /// Device id.
    pub device_id: String,
    /// Attempts made.
    pub attempts: i32,
    /// Last HTTP status.
    pub last_status: i32,
    /// Last error.
    pub last_error: String,
    /// When given up.
    pub finished_at: Option<DateTime<Utc>>,
}

/// The preferences of `users` that changed from the defaults.
pub async fn settings_of<'e>(
    db: impl sqlx::PgExecutor<'e>,
    tenant: &str,
    users: &[impl AsRef<str> + Sync],
) -> Result<Vec<(String, Settings)>> {
    let users: Vec<&str> = users.iter().map(|u| u.as_ref()).collect();
    type Row = (String, Vec<i32>, Vec<i32>, bool, i32, i32, bool, i32);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT user_id, push_off, email_off, quiet_enabled, quiet_start_minute, quiet_end_minute, \
                off_shift_quiet, digest_minute FROM preferences WHERE tenant = $1 AND user_id = ANY($2)",
    )
    .bind(tenant)
    .bind(&users)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(user, push_off, email_off, quiet_enabled, qs, qe, off_shift_quiet, digest)| {
                let event = breakroom_proto::notifications::v1::PreferencesUpdated {
                    push_off,
                    email_off,
                    quiet_enabled,
                    quiet_start_minute: qs,
                    quiet_end_minute: qe,
                    off_shift_quiet,
                    digest_minute: digest,
                };
                (user, Settings::from_event(&event))
            },
        )
        .collect())
}

/// The time zone of each of `users`: their (first) store's, else their chain's (from the
/// directory, `breakroom_directory::read::time_zones`).
pub async fn zones_of<'e>(
    db: impl sqlx::PgExecutor<'e>,
    tenant: &str,
    users: &[String],
) -> Result<Vec<(String, String)>> {
    breakroom_directory::read::time_zones(db, tenant, users).await
}

/// One device.
pub async fn device(pool: &sqlx::PgPool, tenant: &str, id: &str) -> Result<Option<DeviceRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, endpoint, display_name, registered_at FROM devices WHERE tenant = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// A page of a person's devices, oldest first.
pub async fn devices(
    pool: &sqlx::PgPool,
    tenant: &str,
    user: &str,
    page: &Page,
) -> Result<(Vec<DeviceRow>, String)> {
    let (after, after_id) = page.after_instant()?;
    let rows: Vec<DeviceRow> = sqlx::query_as(
        "SELECT id, user_id, endpoint, display_name, registered_at FROM devices \
         WHERE tenant = $1 AND user_id = $2 AND ($3::timestamptz IS NULL OR (registered_at, id) > ($3, $4)) \
         ORDER BY registered_at, id LIMIT $5",
    )
    .bind(tenant)
    .bind(user)
    .bind(after)
    .bind(after_id)
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    Ok(page.finish(rows, |r| (r.registered_at.to_rfc3339(), r.id.clone())))
}

/// A person's preferences (defaults when never changed) and when they last changed.
pub async fn preferences(
    pool: &sqlx::PgPool,
    tenant: &str,
    user: &str,
) -> Result<(Settings, Option<DateTime<Utc>>)> {
    let settings = settings_of(pool, tenant, &[user]).await?;
    let updated: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT updated_at FROM preferences WHERE tenant = $1 AND user_id = $2")
            .bind(tenant)
            .bind(user)
            .fetch_optional(pool)
            .await?;
    Ok((
        settings
            .into_iter()
            .next()
            .map(|(_, s)| s)
            .unwrap_or_default(),
        updated,
    ))
}

/// A person's zone (their store's, else their chain's, else UTC).
pub async fn zone_of(pool: &sqlx::PgPool, tenant: &str, user: &str) -> Result<String> {
    Ok(zones_of(pool, tenant, &[user.to_owned()])
        .await?
        .into_iter()
        .next()
        .map(|(_, z)| z)
        .unwrap_or_else(|| "UTC".into()))
}

/// A page of a person's inbox, newest first.
pub async fn notifications(
    pool: &sqlx::PgPool,
    tenant: &str,
    user: &str,
    unread_only: bool,
    page: &Page,
) -> Result<(Vec<NotificationRow>, String)> {
    let (before, before_id) = page.after_instant()?;
    let before_id = if before_id.is_empty() {
        None
    } else {
        Uuid::parse_str(before_id).ok()
    };
    let rows: Vec<NotificationRow> = sqlx::query_as(
        "SELECT id, user_id, kind, category, urgent, fields, created_at, read_at FROM notifications \
         WHERE tenant = $1 AND user_id = $2 AND in_inbox AND (NOT $3 OR read_at IS NULL) \
           AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5)) \
         ORDER BY created_at DESC, id DESC LIMIT $6",
    )
    .bind(tenant)
    .bind(user)
    .bind(unread_only)
    .bind(before)
    .bind(before_id.unwrap_or(Uuid::max()))
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    Ok(page.finish(rows, |r| (r.created_at.to_rfc3339(), r.id.to_string())))
}

/// A person's unread count.
pub async fn unread_count(pool: &sqlx::PgPool, tenant: &str, user: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE tenant = $1 AND user_id = $2 AND in_inbox AND read_at IS NULL",
    )
    .bind(tenant)
    .bind(user)
    .fetch_one(pool)
    .await?)
}

/// A page of the tenant's dead letters, newest first.
pub async fn failed_deliveries(
    pool: &sqlx::PgPool,
    tenant: &str,
    page: &Page,
) -> Result<(Vec<FailedRow>, String)> {
    let (before, before_id) = page.after_instant()?;
    let before_id = Uuid::parse_str(before_id).unwrap_or(Uuid::max());
    let rows: Vec<FailedRow> = sqlx::query_as(
        "SELECT id, notification_id, user_id, device_id, attempts, last_status, last_error, finished_at \
         FROM deliveries WHERE tenant = $1 AND state = 'dead' \
           AND ($2::timestamptz IS NULL OR (finished_at, id) < ($2, $3)) \
         ORDER BY finished_at DESC, id DESC LIMIT $4",
    )
    .bind(tenant)
    .bind(before)
    .bind(before_id)
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    Ok(page.finish(rows, |r| {
        (
            r.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            r.id.to_string(),
        )
    }))
}
