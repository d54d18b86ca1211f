//! The operator as a process: built from its configuration, run until Kubernetes (SIGTERM)
//! or a person (Ctrl-C) stops it, finishing the reconciliations in flight.

use std::time::Duration;

use futures::FutureExt;

use crate::{config::Config, reconcile::Context};

/// Longest the reconciliations in flight may take after a stop is asked for: well inside
/// Kubernetes' default grace period of 30 s, so the pod ends by itself, not by SIGKILL.
const DRAIN: Duration = Duration::from_secs(5);

/// A built, not yet running, operator.
pub struct Application {
    ctx: Context,
    /// SIGTERM, listened for from the moment the operator is built (a signal that arrives
    /// before the operator runs still stops it cleanly instead of killing it).
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").finish_non_exhaustive()
    }
}

impl Application {
    /// Connects to the Kubernetes API (in-cluster or `KUBECONFIG`) and, lazily, to identity.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        #[cfg(unix)]
        let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let client = kube::Client::try_default().await?;
        let identity =
            tonic::transport::Endpoint::from_shared(config.identity_url.clone())?.connect_lazy();
        tracing::info!(identity = config.identity_url, "operator started");
        Ok(Self {
            ctx: Context {
                client,
                identity,
                token: config.operator_token,
                failures: Default::default(),
            },
            #[cfg(unix)]
            terminate,
        })
    }

    /// Reconciles until SIGTERM or SIGINT, then lets the reconciliations in flight finish
    /// (at most `DRAIN`: a watch retrying against an unreachable API server would
    /// otherwise hold the controller open).
    pub async fn run_until_stopped(self) {
        #[cfg(unix)]
        let stop = stop_requested(self.terminate).boxed().shared();
        #[cfg(not(unix))]
        let stop = stop_requested().boxed().shared();
        tokio::select! {
            _ = crate::run(self.ctx, stop.clone()) => {}
            _ = async {
                stop.await;
                tokio::time::sleep(DRAIN).await;
            } => tracing::warn!("reconciliations still running after {DRAIN:?}; stopping anyway"),
        }
        tracing::info!("operator stopped");
    }
}

/// SIGTERM (listened for since the build) or Ctrl-C, logged.
#[cfg(unix)]
async fn stop_requested(mut terminate: tokio::signal::unix::Signal) {
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutdown requested");
}

/// The kit's stop signal (Ctrl-C), logged.
#[cfg(not(unix))]
async fn stop_requested() {
    breakroom_chassis::server::shutdown_signal().await;
    tracing::info!("shutdown requested");
}
