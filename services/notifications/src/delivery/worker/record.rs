//! Writing what push services answered as they finish: a recorder task takes outcomes
//! from the round and writes those waiting together through the outbox of pushes (one
//! statement per kind of outcome, each fenced on its claim).

use breakroom_base::Result;
use breakroom_chassis::outbox::Outcome as Done;
use tokio::{sync::mpsc, task::JoinHandle};

use super::Claimed;
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

/// Records what push services answered through the outbox of pushes; a gone
/// subscription is first removed (an event), then its push ends as `gone`.
pub async fn outcomes(app: &App, results: Vec<(Claimed, Outcome)>) -> Result<()> {
    let mut recorded = Vec::with_capacity(results.len());
    for (c, outcome) in results {
        let outcome = match outcome {
            Outcome::Delivered(status) => Done::Sent { status },
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
                Done::Ended {
                    state: "gone",
                    status,
                    error: "subscription gone".into(),
                }
            }
            Outcome::Retry {
                status,
                retry_after,
                error,
            } => Done::Retry {
                status,
                not_before: retry_after,
                error,
            },
            Outcome::Failed { status, error } => Done::Failed { status, error },
        };
        recorded.push((c.claim(), outcome));
    }
    app.pushes()
        .record(app.pool(), app.clock().utc(), recorded)
        .await
}
