//! Writing what push services answered, one statement per kind of outcome. Every update
//! is fenced on the claim (`state = 'sending'` and the same attempt number), so an outcome
//! arriving after the lease ran out and another replica re-claimed the push is dropped.

use breakroom_kit::Result;
use tokio::{sync::mpsc, task::JoinHandle};
use uuid::Uuid;

use super::{Claimed, backoff, later};
use crate::{app::App, delivery::Outcome};

/// Outcomes written per statement at most.
const BATCH: usize = 512;

/// A recorder task: it writes the outcomes sent to it, those waiting together in one
/// statement, and ends when the sender is dropped and everything is written, or on the
/// first error.
pub fn spawn(
    app: App,
) -> (
    mpsc::UnboundedSender<(Claimed, Outcome)>,
    JoinHandle<Result<()>>,
) {
    let (sender, mut finished) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH);
        while finished.recv_many(&mut batch, BATCH).await > 0 {
            outcomes(&app, std::mem::take(&mut batch)).await?;
        }
        Ok(())
    });
    (sender, task)
}

/// Records outcomes.
///
/// The outbox goes from empty to a chain's 60,000 pushes within seconds, faster than
/// statistics follow, and a plan cached by a prepared statement while it was nearly
/// empty scans every pending row (a bitmap scan of the due index, then a sort or hash)
/// instead of looking the claimed ids up: 12 ms per statement at 60,000 pending instead
/// of 1 ms. The worker's statements are therefore planned on every call, against the
/// table's current size.
pub async fn outcomes(app: &App, results: Vec<(Claimed, Outcome)>) -> Result<()> {
    let settings = &app.config().delivery;
    let now = app.clock().utc();
    let mut sent = Fenced::default();
    let mut retry = Fenced::default();
    let mut retry_at = Vec::new();
    let mut dead = Fenced::default();
    let mut gone = Fenced::default();
    for (c, outcome) in results {
        match outcome {
            Outcome::Delivered(status) => sent.push(&c, status, String::new()),
            Outcome::Gone(status) => {
                if status != 0 {
                    // The device event; the state projection removes the device and its
                    // other pending pushes.
                    if let Err(e) = app
                        .device_gone(&c.tenant, &c.device_id, status, &c.id.to_string())
                        .await
                    {
                        tracing::warn!(error = %e, device = %c.device_id, "could not record a gone device");
                    }
                }
                gone.push(&c, status, "subscription gone".into());
            }
            Outcome::Retry {
                status,
                retry_after,
                error,
            } if c.attempts < settings.max_attempts => {
                retry_at.push(later(
                    now,
                    backoff(settings.backoff, c.attempts, retry_after),
                ));
                retry.push(&c, status, error);
            }
            Outcome::Retry { status, error, .. } | Outcome::Failed { status, error } => {
                tracing::warn!(delivery = %c.id, status, error = %error, attempts = c.attempts, "push dead-lettered");
                dead.push(&c, status, error);
            }
        }
    }
    let pool = app.pool();
    let finish = "UPDATE deliveries d SET state = $5, finished_at = $6, lease_until = NULL, \
                  last_status = s.status, last_error = s.error \
                  FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[]) AS s(id, attempts, status, error) \
                  WHERE d.id = s.id AND d.state = 'sending' AND d.attempts = s.attempts";
    for (rows, state) in [(&sent, "sent"), (&dead, "dead"), (&gone, "gone")] {
        if rows.ids.is_empty() {
            continue;
        }
        sqlx::query(finish)
            .bind(&rows.ids)
            .bind(&rows.attempts)
            .bind(&rows.statuses)
            .bind(&rows.errors)
            .bind(state)
            .bind(now)
            .persistent(false)
            .execute(pool)
            .await?;
    }
    if !retry.ids.is_empty() {
        sqlx::query(
            "UPDATE deliveries d SET state = 'pending', next_attempt_at = s.at, lease_until = NULL, \
             last_status = s.status, last_error = s.error \
             FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::timestamptz[]) AS s(id, attempts, status, error, at) \
             WHERE d.id = s.id AND d.state = 'sending' AND d.attempts = s.attempts",
        )
        .bind(&retry.ids)
        .bind(&retry.attempts)
        .bind(&retry.statuses)
        .bind(&retry.errors)
        .bind(&retry_at)
        .persistent(false)
        .execute(pool)
        .await?;
    }
    Ok(())
}

#[derive(Default)]
struct Fenced {
    ids: Vec<Uuid>,
    attempts: Vec<i32>,
    statuses: Vec<i32>,
    errors: Vec<String>,
}

impl Fenced {
    fn push(&mut self, c: &Claimed, status: u16, error: String) {
        self.ids.push(c.id);
        self.attempts.push(c.attempts);
        self.statuses.push(i32::from(status));
        self.errors.push(breakroom_kit::error::bounded(&error));
    }
}
