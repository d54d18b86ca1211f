//! Unread markers: per person and group (`''` = the whole timeline), only ever forward.

use breakroom_base::Result;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Moves a marker forward to `through` (never back).
pub async fn advance<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    user: &str,
    group: &str,
    through: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO read_markers (tenant, user_id, group_id, read_through) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant, user_id, group_id) DO UPDATE \
         SET read_through = GREATEST(read_markers.read_through, EXCLUDED.read_through)",
    )
    .bind(tenant)
    .bind(user)
    .bind(group)
    .bind(through)
    .execute(db)
    .await?;
    Ok(())
}
