//! Writing outcomes: those finished together go in one statement per state, each fenced
//! on its claim (`state = 'sending'` and the same attempt number), so an outcome arriving
//! after the lease ran out and another worker re-claimed the job is dropped.

use std::collections::BTreeMap;

use breakroom_base::error::{Result, bounded};
use chrono::{DateTime, Utc};
use opentelemetry::KeyValue;
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

use super::{Claim, Outbox, Outcome, backoff, later};

impl Outbox {
    /// Records `outcomes` at `now`: sent, retried after a backoff (dead after the last
    /// attempt), dead-lettered, or ended in a kind's own state.
    pub async fn record(
        &self,
        pool: &PgPool,
        now: DateTime<Utc>,
        outcomes: Vec<(Claim, Outcome)>,
    ) -> Result<()> {
        let settings = self.settings;
        let table = self.spec.table;
        let mut finished: BTreeMap<&'static str, Rows> = BTreeMap::new();
        let mut retry = Rows::default();
        let mut retry_at = Vec::new();
        for (claim, outcome) in outcomes {
            match outcome {
                Outcome::Sent { status } => {
                    finished
                        .entry("sent")
                        .or_default()
                        .push(claim, status, String::new())
                }
                Outcome::Retry {
                    status,
                    not_before,
                    error,
                } if claim.attempts < settings.max_attempts => {
                    tracing::debug!(outbox = table, job = %claim.id, status, error = %error, attempts = claim.attempts, "retrying later");
                    retry_at.push(later(
                        now,
                        backoff(settings.backoff, claim.attempts, not_before),
                    ));
                    retry.push(claim, status, error);
                }
                Outcome::Retry { status, error, .. } | Outcome::Failed { status, error } => {
                    tracing::warn!(outbox = table, job = %claim.id, status, error = %error, attempts = claim.attempts, "dead-lettered");
                    finished
                        .entry("dead")
                        .or_default()
                        .push(claim, status, error);
                }
                Outcome::Ended {
                    state,
                    status,
                    error,
                } => finished
                    .entry(state)
                    .or_default()
                    .push(claim, status, error),
            }
        }
        for (state, rows) in &finished {
            sqlx::query(AssertSqlSafe(self.finish.as_str()))
                .bind(&rows.ids)
                .bind(&rows.attempts)
                .bind(&rows.statuses)
                .bind(&rows.errors)
                .bind(*state)
                .bind(now)
                .persistent(false)
                .execute(pool)
                .await?;
            self.counted(state, rows.ids.len());
        }
        if !retry.ids.is_empty() {
            sqlx::query(AssertSqlSafe(self.retry.as_str()))
                .bind(&retry.ids)
                .bind(&retry.attempts)
                .bind(&retry.statuses)
                .bind(&retry.errors)
                .bind(&retry_at)
                .persistent(false)
                .execute(pool)
                .await?;
            self.counted("retry", retry.ids.len());
        }
        Ok(())
    }

    fn counted(&self, outcome: &'static str, n: usize) {
        self.outcomes.add(
            n as u64,
            &[
                KeyValue::new("outbox", self.spec.table),
                KeyValue::new("outcome", outcome),
            ],
        );
    }
}

/// Outcomes of one statement, as the arrays it binds.
#[derive(Default)]
struct Rows {
    ids: Vec<Uuid>,
    attempts: Vec<i32>,
    statuses: Vec<i32>,
    errors: Vec<String>,
}

impl Rows {
    fn push(&mut self, claim: Claim, status: u16, error: String) {
        self.ids.push(claim.id);
        self.attempts.push(claim.attempts);
        self.statuses.push(i32::from(status));
        self.errors.push(bounded(&error));
    }
}
