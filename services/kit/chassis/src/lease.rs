//! The lease backend a service's configuration selects (`BREAKROOM_LEASE_BACKEND`): NATS
//! KV by default, or Kubernetes Leases in the pod's namespace.

use std::sync::Arc;

use async_nats::jetstream;
use breakroom_base::error::{Error, Result};
use breakroom_events::projector::lease::{KubernetesLeases, LeaseBackend, NatsKvLeases};

use crate::config::{Config, LeaseBackendKind};

/// The backend `config` selects: NATS KV on `js`, or Kubernetes Leases through the
/// in-cluster (or kubeconfig) client.
pub async fn from_config(
    config: &Config,
    js: &jetstream::Context,
) -> Result<Arc<dyn LeaseBackend>> {
    Ok(match config.lease_backend {
        LeaseBackendKind::Nats => Arc::new(
            NatsKvLeases::new(js.clone(), config.namespace.clone(), config.lease_ttl)
                .with_replicas(config.stream_replicas),
        ),
        LeaseBackendKind::Kubernetes => {
            let client = kube::Client::try_default()
                .await
                .map_err(|e| Error::Unavailable(format!("Kubernetes client for leases: {e}")))?;
            let namespace = config
                .kubernetes_namespace
                .clone()
                .unwrap_or_else(|| client.default_namespace().to_owned());
            Arc::new(KubernetesLeases::new(
                client,
                &namespace,
                config.namespace.clone(),
                config.lease_ttl,
            ))
        }
    })
}
