//! Checkpoints and failed events in SQL, read-your-writes waiting, and rebuild.

use std::time::Duration;

use breakroom_base::{
    error::{Error, Result},
    retry::BackoffBuilder,
};
use sqlx::{PgConnection, PgPool};

/// Reads (and row-locks, inside a transaction) the checkpoint of a projection source,
/// creating it at 0.
pub(crate) async fn lock(conn: &mut PgConnection, projection: &str, stream: &str) -> Result<u64> {
    sqlx::query(
        "INSERT INTO kit_checkpoints (projection, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(projection)
    .bind(stream)
    .execute(&mut *conn)
    .await?;
    let sequence: i64 = sqlx::query_scalar(
        "SELECT last_sequence FROM kit_checkpoints WHERE projection = $1 AND stream = $2 FOR UPDATE",
    )
    .bind(projection)
    .bind(stream)
    .fetch_one(&mut *conn)
    .await?;
    Ok(sequence as u64)
}

pub(crate) async fn store(
    conn: &mut PgConnection,
    projection: &str,
    stream: &str,
    sequence: u64,
) -> Result<()> {
    sqlx::query(
        "UPDATE kit_checkpoints SET last_sequence = $3, updated_at = now() \
         WHERE projection = $1 AND stream = $2",
    )
    .bind(projection)
    .bind(stream)
    .bind(sequence as i64)
    .execute(conn)
    .await?;
    Ok(())
}

/// Current checkpoint (0 when the projection has not started).
pub async fn read(pool: &PgPool, projection: &str, stream: &str) -> Result<u64> {
    let sequence: Option<i64> = sqlx::query_scalar(
        "SELECT last_sequence FROM kit_checkpoints WHERE projection = $1 AND stream = $2",
    )
    .bind(projection)
    .bind(stream)
    .fetch_optional(pool)
    .await?;
    Ok(sequence.unwrap_or(0) as u64)
}

/// Records a poison message.
pub(crate) async fn record_failure(
    conn: &mut PgConnection,
    projection: &str,
    stream: &str,
    sequence: u64,
    subject: &str,
    error: &str,
    payload: &[u8],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO kit_failed_events (projection, stream, sequence, subject, error, payload) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (projection, stream, sequence) \
         DO UPDATE SET error = EXCLUDED.error, failed_at = now()",
    )
    .bind(projection)
    .bind(stream)
    .bind(sequence as i64)
    .bind(subject)
    .bind(error)
    .bind(payload)
    .execute(conn)
    .await?;
    Ok(())
}

/// A poison message as an operator sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedEvent {
    /// Source stream.
    pub stream: String,
    /// Stream sequence of the commit.
    pub sequence: i64,
    /// Its subject.
    pub subject: String,
    /// Why it could not be applied.
    pub error: String,
}

/// The poison messages a projection skipped, oldest first.
pub async fn failed_events(pool: &PgPool, projection: &str) -> Result<Vec<FailedEvent>> {
    Ok(sqlx::query_as(
        "SELECT stream, sequence, subject, error FROM kit_failed_events \
         WHERE projection = $1 ORDER BY stream, sequence",
    )
    .bind(projection)
    .fetch_all(pool)
    .await?)
}

/// How many poison commits each projection has recorded (only those with any).
pub async fn poison_counts(pool: &PgPool) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT projection, count(*) FROM kit_failed_events GROUP BY projection ORDER BY 1",
    )
    .fetch_all(pool)
    .await?)
}

/// Waits (bounded) until `projection` has applied `stream` up to `sequence`: the read side
/// of read-your-writes. Fails with `Unavailable` when the deadline passes first.
pub async fn wait_for(
    pool: &PgPool,
    projection: &str,
    stream: &str,
    sequence: u64,
    timeout: Duration,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pauses =
        breakroom_base::retry::doubling(Duration::from_millis(1), Duration::from_millis(25))
            .build();
    loop {
        let pause = pauses.next().unwrap_or(Duration::from_millis(25));
        if read(pool, projection, stream).await? >= sequence {
            return Ok(());
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Err(Error::Unavailable(format!(
                "projection {projection} has not reached sequence {sequence} yet; retry"
            )));
        }
        tokio::time::sleep(pause).await;
    }
}
