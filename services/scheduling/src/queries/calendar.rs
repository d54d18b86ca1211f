//! Calendar feeds as the read model holds them: whose a token is, and the entries of an
//! employee's feed (their stores' codes read from the directory apart).

use breakroom_base::Result;
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

/// The employee's feed entries starting at most `past_days` ago, by start, with their
/// stores' codes from the directory (empty for a store it does not know).
pub async fn entries(
    pool: &PgPool,
    tenant: &str,
    user: &str,
    past_days: i32,
) -> Result<Vec<FeedEntry>> {
    let rows: Vec<(String, FeedEntry)> = sqlx::query_as::<_, EntryRow>(
        "SELECT f.store_id, f.shift_id, '' AS store_code, f.start_time, f.end_time, \
         f.position, f.note, f.sequence, f.cancelled, f.updated_at \
         FROM feed_entries f \
         WHERE f.tenant = $1 AND f.employee_id = $2 AND f.start_time > now() - make_interval(days => $3) \
         ORDER BY f.start_time, f.shift_id",
    )
    .bind(tenant)
    .bind(user)
    .bind(past_days)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.store_id, row.entry))
    .collect();
    let mut stores: Vec<String> = rows.iter().map(|(store, _)| store.clone()).collect();
    stores.sort_unstable();
    stores.dedup();
    let codes = breakroom_directory::read::store_codes(pool, tenant, &stores).await?;
    Ok(rows
        .into_iter()
        .map(|(store, mut entry)| {
            entry.store_code = codes.get(&store).cloned().unwrap_or_default();
            entry
        })
        .collect())
}

/// A feed entry with its store's id.
#[derive(sqlx::FromRow)]
struct EntryRow {
    store_id: String,
    #[sqlx(flatten)]
    entry: FeedEntry,
}
