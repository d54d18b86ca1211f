//! One retry policy for every loop that tries again after a failure, on `backon`: the
//! delays come from a backon builder (`doubling`, `every`, or one of its own), and
//! `until_cancelled` is the loop — try, and on failure wait the next delay unless the
//! service is stopping. The outbox's per-job retries use the same builders
//! (`breakroom_chassis::outbox::backoff`).

use std::{future::Future, time::Duration};

use backon::Retryable;
pub use backon::{BackoffBuilder, ConstantBuilder, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

/// Waits `first`, then twice as long after each further failure up to `max`, for ever
/// (no jitter).
pub fn doubling(first: Duration, max: Duration) -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_factor(2.0)
        .with_min_delay(first)
        .with_max_delay(max)
        .without_max_times()
}

/// Waits `pause` after every failure, for ever.
pub fn every(pause: Duration) -> ConstantBuilder {
    ConstantBuilder::new().with_delay(pause).without_max_times()
}

/// Why `until_cancelled` stopped trying.
enum Stop<E> {
    Cancelled,
    Failed(E),
}

/// Runs `attempt` until it succeeds and returns its value; after a failure it calls
/// `failed` with the error and the coming delay (to log it), then waits as `policy` says.
/// Returns `None` when `cancel` fires — during a wait, or before an attempt, never in the
/// middle of one — or when the policy gives up.
pub async fn until_cancelled<T, E, Fut>(
    policy: impl BackoffBuilder,
    cancel: &CancellationToken,
    mut attempt: impl FnMut() -> Fut,
    mut failed: impl FnMut(&E, Duration),
) -> Option<T>
where
    Fut: Future<Output = Result<T, E>>,
{
    let sleeping = cancel.clone();
    let tried = (|| {
        let next = (!cancel.is_cancelled()).then(&mut attempt);
        async move {
            match next {
                Some(run) => run.await.map_err(Stop::Failed),
                None => Err(Stop::Cancelled),
            }
        }
    })
    .retry(policy)
    .sleep(move |delay| {
        let cancel = sleeping.clone();
        async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = tokio::time::sleep(delay) => {}
            }
        }
    })
    .when(|stop| matches!(stop, Stop::Failed(_)))
    .notify(|stop, delay| {
        if let Stop::Failed(e) = stop {
            failed(e, delay);
        }
    })
    .await;
    tried.ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn doubling_doubles_up_to_its_maximum() {
        let delays: Vec<Duration> = doubling(Duration::from_millis(100), Duration::from_secs(5))
            .build()
            .take(8)
            .collect();
        let ms: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    }

    #[tokio::test]
    async fn tries_until_it_succeeds() {
        let tries = AtomicU32::new(0);
        let mut seen = Vec::new();
        let value = until_cancelled(
            doubling(Duration::from_millis(1), Duration::from_millis(4)),
            &CancellationToken::new(),
            || async {
                match tries.fetch_add(1, Ordering::SeqCst) {
                    0..3 => Err("not yet"),
                    n => Ok(n),
                }
            },
            |_, delay| seen.push(delay),
        )
        .await;
        assert_eq!(value, Some(3));
        assert_eq!(seen.len(), 3);
    }

    #[tokio::test]
    async fn stops_waiting_when_cancelled_and_tries_no_more() {
        let cancel = CancellationToken::new();
        let tries = AtomicU32::new(0);
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            stopper.cancel();
        });
        let value: Option<()> = until_cancelled(
            every(Duration::from_secs(60)),
            &cancel,
            || async {
                tries.fetch_add(1, Ordering::SeqCst);
                Err("down")
            },
            |_, _| {},
        )
        .await;
        assert_eq!(value, None);
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }
}
