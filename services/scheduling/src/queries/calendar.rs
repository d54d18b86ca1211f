//! Calendar feeds as the read model holds them: whose a token is, and the entries of an
//! employee's feed.

use breakroom_kit::Result;
use sqlx::PgPool;

use crate::ical::FeedEntry;

/// `(tenant, user)` of the feed whose token hashes to `token_hash`, if it is live.
pub async fn owner(pool: &PgPool, token_hash: &[u8]) -> Result<Option<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT tenant, user_id FROM calendar_feeds WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(pool)
            .await?,
    )
}

/// The employee's feed entries starting at most `past_days` ago, by start.
pub async fn entries(
    pool: &PgPool,
    tenant: &str,
    user: &str,
    past_days: i32,
) -> Result<Vec<FeedEntry>> {
    Ok(sqlx::query_as(
        "SELECT f.shift_id, coalesce(s.store_code, '') AS store_code, f.start_time, f.end_time, \
         f.position, f.note, f.sequence, f.cancelled, f.updated_at \
         FROM feed_entries f LEFT JOIN kit_directory_stores s ON s.tenant = f.tenant AND s.id = f.store_id \
         WHERE f.tenant = $1 AND f.employee_id = $2 AND f.start_time > now() - make_interval(days => $3) \
         ORDER BY f.start_time, f.shift_id",
    )
    .bind(tenant)
    .bind(user)
    .bind(past_days)
    .fetch_all(pool)
    .await?)
}
