//! Readiness: what the health service reports, re-evaluated every two seconds.
//!
//! The server's own entry (`""`) and every gRPC service's follow one verdict: NATS
//! connected, storage prepared, PostgreSQL answering, every projection within `max_lag`.
//! A poison commit (one a projection could not apply and skipped) does not stop a replica
//! from serving, but it is an alarm, not a quiet skip: it is counted in the metric
//! `breakroom.projection.poison_commits` and turns the health entry `POISON_FREE` to
//! NOT_SERVING until an operator has looked (a rebuild of the projection clears it).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use breakroom_directory::auth::KeySet;
use breakroom_events::projector::{Projection, poison_counts, projection_lag};
use opentelemetry::KeyValue;
use tokio_util::sync::CancellationToken;
use tonic_health::{ServingStatus, server::HealthReporter};

use super::Infra;

/// Health entry that is SERVING while no projection of this service has skipped a
/// poison commit: `grpc.health.v1.Health/Check` with `{"service": "breakroom.projections"}`.
pub const POISON_FREE: &str = "breakroom.projections";

pub(super) async fn set_status(
    health: &HealthReporter,
    names: &[&'static str],
    status: ServingStatus,
) {
    for name in names {
        health.set_service_status(*name, status).await;
    }
}

/// Re-evaluates readiness every two seconds and publishes projection lag.
pub(super) async fn readiness_loop(
    infra: Infra,
    keys: Option<KeySet>,
    projections: Vec<Arc<dyn Projection>>,
    names: Vec<&'static str>,
    health: HealthReporter,
    prepared: Arc<AtomicBool>,
    cancel: CancellationToken,
) {
    let gauge = opentelemetry::global::meter("breakroom")
        .u64_gauge("breakroom.projection.lag")
        .with_description("Events in the stream not yet applied by the projection")
        .build();
    let poison_gauge = opentelemetry::global::meter("breakroom")
        .u64_gauge("breakroom.projection.poison_commits")
        .with_description("Commits skipped as poison and still recorded in kit_failed_events")
        .build();
    let mut last: Option<bool> = None;
    let mut last_clean: Option<bool> = None;
    loop {
        let problem = match &keys {
            Some(keys) if !keys.is_loaded() => {
                Some("identity's signing keys not loaded yet".into())
            }
            _ => check_ready(&infra, &projections, &prepared, &gauge).await,
        };
        let ready = problem.is_none();
        if last != Some(ready) {
            match &problem {
                None => tracing::info!("ready"),
                Some(why) => tracing::warn!(reason = %why, "not ready"),
            }
            let status = if ready {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            set_status(&health, &names, status).await;
            last = Some(ready);
        }
        if prepared.load(Ordering::SeqCst) {
            let clean = check_poison(&infra, &poison_gauge).await;
            if clean.is_some() && last_clean != clean {
                let status = if clean == Some(true) {
                    ServingStatus::Serving
                } else {
                    tracing::error!(
                        health = POISON_FREE,
                        "poison commits recorded in kit_failed_events: read models miss them"
                    );
                    ServingStatus::NotServing
                };
                set_status(&health, &[POISON_FREE], status).await;
                last_clean = clean;
            }
        }
        let pause = if ready {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(250)
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// `None` when ready, else the reason.
async fn check_ready(
    infra: &Infra,
    projections: &[Arc<dyn Projection>],
    prepared: &AtomicBool,
    gauge: &opentelemetry::metrics::Gauge<u64>,
) -> Option<String> {
    if infra.nats.connection_state() != async_nats::connection::State::Connected {
        return Some("NATS not connected".into());
    }
    if !prepared.load(Ordering::SeqCst) {
        return Some("database and stream not prepared yet".into());
    }
    let ping = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query("SELECT 1").execute(&infra.pool),
    )
    .await;
    if !matches!(ping, Ok(Ok(_))) {
        return Some("PostgreSQL not answering".into());
    }
    for projection in projections {
        match projection_lag(
            &infra.js,
            &infra.pool,
            &infra.config.namespace,
            projection.as_ref(),
        )
        .await
        {
            Ok(lags) => {
                for (stream, lag) in lags {
                    gauge.record(
                        lag,
                        &[
                            KeyValue::new("projection", projection.name()),
                            KeyValue::new("stream", stream.clone()),
                        ],
                    );
                    if lag > infra.config.max_lag {
                        return Some(format!(
                            "projection {} lags {lag} events behind {stream}",
                            projection.name()
                        ));
                    }
                }
            }
            Err(e) => return Some(format!("projection {}: {e}", projection.name())),
        }
    }
    None
}

/// `Some(true)` when no projection has skipped a poison commit, `Some(false)` when one
/// has, `None` when the database cannot say right now.
async fn check_poison(infra: &Infra, gauge: &opentelemetry::metrics::Gauge<u64>) -> Option<bool> {
    let counts = match poison_counts(&infra.pool).await {
        Ok(counts) => counts,
        Err(e) => {
            tracing::debug!(error = %e, "poison commits not counted");
            return None;
        }
    };
    for (projection, count) in &counts {
        gauge.record(
            u64::try_from(*count).unwrap_or(0),
            &[KeyValue::new("projection", projection.clone())],
        );
    }
    Some(counts.is_empty())
}
