//! The delivery worker. Every replica runs one; pushes (`deliveries`) and e-mails
//! (`emails`) are two kinds of job of the kit's outbox (`breakroom_chassis::outbox`), which makes
//! sharing them safe: claims with `FOR UPDATE SKIP LOCKED` and a lease, outcomes fenced on
//! the claim, retries with backoff and jitter (honouring `Retry-After`), dead letters after
//! `max_attempts` or an answer that will never change (`ListFailedDeliveries`). Here:
//! - the delivery id is the idempotency key (in the payload, and the `Topic` of the push),
//!   the same on every retry;
//! - 404/410 removes the device (an event) and ends the push as `gone`;
//! - held pushes due for release become one digest per person.
//!
//! It wakes on PostgreSQL `NOTIFY` (sent by routing when its transaction commits) and
//! polls otherwise, so nothing depends on an in-memory queue.

use std::{collections::HashMap, sync::Arc, time::Duration};

use breakroom_base::{
    Result,
    retry::{self, BackoffBuilder},
};
use breakroom_chassis::outbox::{Claim, Spec};
use futures::{StreamExt, stream::FuturesUnordered};
use sqlx::postgres::PgListener;
use tokio::{task::JoinHandle, time::MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::{Outcome, Push, Urgency, outbox};
use crate::{app::App, domain::Kind};

mod digest;
mod record;

/// The outbox of pushes: a claimed delivery comes with its notification and its device
/// (gone: no row) in the claim's statement.
pub const PUSHES: Spec = Spec {
    table: "deliveries",
    select: "SELECT c.id, c.tenant, c.device_id, c.attempts, c.collapsed, c.collapse_key, c.notification_id, \
                    n.kind, n.urgent, n.fields, v.endpoint, v.p256dh, v.auth, c.traceparent \
             FROM claimed c JOIN notifications n ON n.id = c.notification_id \
             LEFT JOIN devices v ON v.tenant = c.tenant AND v.id = c.device_id AND v.user_id = c.user_id",
    on_finish: "",
};

/// A claimed push with what sending it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Delivery id: the idempotency key.
    pub id: Uuid,
    /// Tenant.
    pub tenant: String,
    /// Device id.
    pub device_id: String,
    /// This attempt's number (fences the outcome).
    pub attempts: i32,
    /// Notifications collapsed into it.
    pub collapsed: i32,
    /// Collapse key, if any.
    pub collapse_key: Option<String>,
    /// Notification id.
    pub notification_id: Uuid,
    /// `Kind` value.
    pub kind: i32,
    /// Urgent.
    pub urgent: bool,
    /// Content.
    pub fields: serde_json::Value,
    /// The device's endpoint; `None` when the device is gone.
    pub endpoint: Option<String>,
    /// Its key.
    pub p256dh: Option<Vec<u8>>,
    /// Its secret.
    pub auth: Option<Vec<u8>>,
    /// The source commit's trace context; the push request continues it.
    pub traceparent: Option<String>,
}

impl Claimed {
    /// The claim it was sent under.
    pub fn claim(&self) -> Claim {
        Claim {
            id: self.id,
            attempts: self.attempts,
        }
    }
}

/// Starts the worker; it stops after its current round when `cancel` fires.
pub fn spawn(app: App, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move { run(app, cancel).await })
}

async fn run(app: App, cancel: CancellationToken) {
    let mut listener: Option<PgListener> = None;
    let poll = app.config().delivery.poll;
    // After failed rounds: twice the poll interval, doubling up to 32 times it.
    let policy = retry::doubling(poll * 2, poll * 32);
    let mut pauses = policy.build();
    while !cancel.is_cancelled() {
        if listener.is_none() {
            listener = listen(&app).await;
        }
        let worked = match round(&app, &cancel).await {
            Ok(n) => {
                pauses = policy.build();
                n
            }
            Err(e) => {
                tracing::warn!(error = %e, "delivery round failed; retrying");
                let pause = pauses.next().unwrap_or(poll * 32);
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(pause) => {}
                }
                continue;
            }
        };
        if worked > 0 {
            continue;
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(poll) => {}
            _ = app.woken() => {}
            woke = wait(&mut listener) => if !woke { listener = None },
        }
    }
}

async fn listen(app: &App) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(app.pool()).await.ok()?;
    listener.listen(outbox::WAKE_CHANNEL).await.ok()?;
    Some(listener)
}

/// Waits for a notification; false when the listener broke (it is then reconnected).
async fn wait(listener: &mut Option<PgListener>) -> bool {
    match listener {
        Some(l) => l.recv().await.is_ok(),
        None => std::future::pending().await,
    }
}

/// A push on its way, with the claim it was sent under.
type Sending = futures::future::BoxFuture<'static, (Claimed, Outcome)>;

/// One round: sends due pushes until none are left, keeping `concurrency` of them in
/// flight. Free slots are refilled by a claim as soon as a quarter of them are free (not
/// when the slowest push of a batch finishes); outcomes go to a recorder task that writes
/// those finished together in one statement, so sending never waits for the database;
/// held pushes and e-mails due are released every poll interval, and the claims in
/// flight are renewed every third of the lease. Returns how many pushes and e-mails it
/// handled.
pub async fn round(app: &App, cancel: &CancellationToken) -> Result<usize> {
    let settings = &app.config().delivery;
    let refill = (settings.concurrency / 4).max(1);
    let mut handled = 0;
    let mut in_flight: FuturesUnordered<Sending> = FuturesUnordered::new();
    // Claim id -> attempt, for renewing the claims in flight.
    let mut claims: HashMap<Uuid, i32> = HashMap::new();
    let (finished, recorder) = record::spawn(app.clone());
    let mut renew = tokio::time::interval_at(
        tokio::time::Instant::now() + settings.lease / 3,
        settings.lease / 3,
    );
    renew.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut housekeeping =
        tokio::time::interval_at(tokio::time::Instant::now() + settings.poll, settings.poll);
    housekeeping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    digest::release_due(app).await?;
    handled += crate::email::send_due(app).await?;
    let sent: Result<()> = async {
        loop {
            let free = settings.concurrency - in_flight.len();
            if !cancel.is_cancelled() && (free >= refill || in_flight.is_empty()) {
                for c in claim(app, free).await? {
                    claims.insert(c.id, c.attempts);
                    in_flight.push(send(app, c));
                }
            }
            if in_flight.is_empty() {
                return Ok(());
            }
            tokio::select! {
                Some(done) = in_flight.next() => {
                    claims.remove(&done.0.id);
                    handled += 1;
                    if finished.send(done).is_err() {
                        // The recorder stopped on an error; it is reported below.
                        return Ok(());
                    }
                }
                _ = renew.tick() => renew_claims(app, &claims).await,
                _ = housekeeping.tick() => {
                    digest::release_due(app).await?;
                    handled += crate::email::send_due(app).await?;
                }
            }
        }
    }
    .await;
    drop(finished);
    let recorded = recorder
        .await
        .unwrap_or_else(|e| Err(breakroom_base::Error::internal(e)));
    sent.and(recorded).map(|()| handled)
}

/// Claims up to `limit` due pushes (pending and due, or left by a replica whose lease ran
/// out) with what sending them needs.
async fn claim(app: &App, limit: usize) -> Result<Vec<Claimed>> {
    app.pushes()
        .claim(app.pool(), app.clock().utc(), limit)
        .await
}

/// Sends one claimed push on a task of its own, so that pushes progress while the round
/// claims or waits; the request continues the trace of the event behind it.
fn send(app: &App, c: Claimed) -> Sending {
    let provider = Arc::clone(app.provider());
    Box::pin(async move {
        let Some(push) = push_of(&c) else {
            return (c, Outcome::Gone(0));
        };
        let span =
            breakroom_telemetry::http_client_span(c.traceparent.as_deref(), "POST", &push.endpoint)
                .unwrap_or_else(tracing::Span::none);
        let sending = async move { provider.send(&push).await };
        let outcome = tokio::spawn(sending.instrument(span.clone()))
            .await
            .unwrap_or_else(|e| Outcome::Retry {
                status: 0,
                retry_after: None,
                error: format!("send task: {e}"),
            });
        breakroom_telemetry::record_http_status(&span, outcome.status());
        (c, outcome)
    })
}

/// Renews the lease of the claims in flight, so that a long fan-out is never mistaken
/// for a dead replica; a claim whose outcome was written is no longer `sending` and is
/// left alone.
async fn renew_claims(app: &App, claims: &HashMap<Uuid, i32>) {
    let claims: Vec<Claim> = claims
        .iter()
        .map(|(&id, &attempts)| Claim { id, attempts })
        .collect();
    let renewed = app
        .pushes()
        .renew(app.pool(), &claims, app.clock().utc())
        .await;
    if let Err(e) = renewed {
        tracing::warn!(error = %e, "could not renew the claims of the pushes in flight");
    }
}

/// The push for a claimed delivery; `None` when its device is gone.
fn push_of(c: &Claimed) -> Option<Push> {
    let (endpoint, p256dh, auth) = (c.endpoint.clone()?, c.p256dh.clone()?, c.auth.clone()?);
    let kind = Kind::try_from(c.kind).unwrap_or(Kind::Unspecified);
    let high = outbox::is_high(kind, c.urgent);
    let payload = serde_json::json!({
        "id": c.notification_id.to_string(),
        "kind": kind.as_str_name(),
        "fields": c.fields,
        "urgent": c.urgent,
        "count": c.collapsed,
        "key": c.id.to_string(),
    });
    let ttl = match (high, crate::domain::category_of(kind)) {
        (true, _) => Duration::from_secs(24 * 3600),
        (_, crate::domain::Category::Schedule) => Duration::from_secs(24 * 3600),
        (_, crate::domain::Category::Social) => Duration::from_secs(4 * 3600),
        _ => Duration::from_secs(3600),
    };
    Some(Push {
        endpoint,
        p256dh,
        auth,
        payload: serde_json::to_vec(&payload).unwrap_or_default(),
        ttl,
        urgency: if high { Urgency::High } else { Urgency::Normal },
        topic: topic(c.collapse_key.as_deref().unwrap_or(&c.id.to_string())),
        idempotency_key: c.id.to_string(),
    })
}

/// A `Topic` (at most 32 base64url characters) for `key`.
pub fn topic(key: &str) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use sha2::{Digest, Sha256};
    URL_SAFE_NO_PAD.encode(Sha256::digest(key.as_bytes()))[..32].to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn topics_are_short_url_safe_and_stable() {
        let t = topic("comments:p1");
        assert_eq!(t.len(), 32);
        assert_eq!(t, topic("comments:p1"));
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
