//! The Kubernetes lease backend: one `coordination.k8s.io/v1` Lease per projection.
//!
//! Written on `kube::Api<Lease>` rather than `kube-lease-manager`, whose renewals are
//! patches without a `resourceVersion` precondition: here every write is conditional.
//!
//! - Acquire: GET; absent → POST (a 409 AlreadyExists means another replica won); free →
//!   PUT at the `resourceVersion` read (a 409 Conflict means another replica won).
//! - Free means released (no `holderIdentity`) or expired. Expiry is judged on this
//!   replica's own clock, as client-go does: a record whose `resourceVersion` has not
//!   changed for `leaseDurationSeconds` since this replica first saw it is expired. Clocks
//!   of other pods never enter the decision.
//! - Renew: PUT with the `resourceVersion` last seen. A 409 means someone else wrote the
//!   Lease: lost. Any other failure, or no answer within a renewal period, is treated as
//!   lost too: the holder stops before its lease can have expired for the others.
//! - Release: PUT without `holderIdentity` at the last `resourceVersion`.
//!
//! Verbs used: get, create, update. No list, watch, patch or delete.

use std::time::Duration;

use breakroom_base::{
    error::{Error, Result},
    namespace::Namespace,
};
use k8s_openapi::{
    api::coordination::v1::{Lease, LeaseSpec},
    apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta},
    jiff::Timestamp,
};
use kube::api::{Api, PostParams};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{LeaseBackend, LeaseGuard, kubernetes_name};

/// Leases in one Kubernetes namespace, named by `kubernetes_name`.
#[derive(Clone)]
pub struct KubernetesLeases {
    api: Api<Lease>,
    /// Breakroom's namespace (`BREAKROOM_NAMESPACE`), the first part of every Lease name,
    /// so that two environments in one Kubernetes namespace never share a Lease.
    namespace: Namespace,
    ttl: Duration,
}

impl std::fmt::Debug for KubernetesLeases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesLeases")
            .field("namespace", &self.namespace)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl KubernetesLeases {
    /// Leases in `kubernetes_namespace`, for Breakroom namespace `namespace`, lasting `ttl`.
    pub fn new(
        client: kube::Client,
        kubernetes_namespace: &str,
        namespace: Namespace,
        ttl: Duration,
    ) -> Self {
        Self {
            api: Api::namespaced(client, kubernetes_namespace),
            namespace,
            ttl,
        }
    }

    fn ttl_seconds(&self) -> i32 {
        i32::try_from(self.ttl.as_secs().max(1)).unwrap_or(i32::MAX)
    }

    /// One attempt: the held Lease, or `None` while someone else holds it.
    async fn try_acquire(
        &self,
        name: &str,
        holder: &str,
        seen: &mut Option<(String, Instant)>,
    ) -> Result<Option<Lease>> {
        let now = MicroTime(Timestamp::now());
        let Some(current) = self.api.get_opt(name).await.map_err(unavailable)? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name.to_owned()),
                    labels: Some(
                        [(
                            "app.kubernetes.io/part-of".to_owned(),
                            "breakroom".to_owned(),
                        )]
                        .into(),
                    ),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(holder.to_owned()),
                    lease_duration_seconds: Some(self.ttl_seconds()),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => Ok(Some(created)),
                Err(kube::Error::Api(status)) if status.code == 409 => Ok(None),
                Err(e) => Err(unavailable(e)),
            };
        };
        let version = current
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        let spec = current.spec.clone().unwrap_or_default();
        let released = spec.holder_identity.as_deref().is_none_or(str::is_empty);
        // Expiry on our own clock: how long this exact record has been standing unchanged.
        let first_seen = match seen {
            Some((seen_version, at)) if *seen_version == version => *at,
            _ => {
                *seen = Some((version, Instant::now()));
                Instant::now()
            }
        };
        let duration = spec
            .lease_duration_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map_or(self.ttl, Duration::from_secs);
        if !released && first_seen.elapsed() < duration {
            return Ok(None);
        }
        let mut taken = current;
        let transitions = spec.lease_transitions.unwrap_or(0).saturating_add(1);
        taken.spec = Some(LeaseSpec {
            holder_identity: Some(holder.to_owned()),
            lease_duration_seconds: Some(self.ttl_seconds()),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_transitions: Some(transitions),
            ..spec
        });
        match self.api.replace(name, &PostParams::default(), &taken).await {
            Ok(replaced) => Ok(Some(replaced)),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait::async_trait]
impl LeaseBackend for KubernetesLeases {
    async fn acquire(
        &self,
        key: &str,
        holder: &str,
        cancel: &CancellationToken,
    ) -> Option<Box<dyn LeaseGuard>> {
        let name = kubernetes_name(&self.namespace, key);
        let poll = (self.ttl / 4).max(Duration::from_millis(100));
        let mut seen = None;
        let mut waiting_logged = false;
        loop {
            let attempt = tokio::select! {
                _ = cancel.cancelled() => return None,
                attempt = self.try_acquire(&name, holder, &mut seen) => attempt,
            };
            match attempt {
                Ok(Some(lease)) => {
                    tracing::info!(lease = name, holder, "Kubernetes lease acquired");
                    return Some(Box::new(KubernetesLease {
                        api: self.api.clone(),
                        name,
                        lease,
                        ttl: self.ttl,
                    }));
                }
                Ok(None) if !waiting_logged => {
                    tracing::info!(
                        lease = name,
                        holder,
                        "Kubernetes lease held elsewhere, standing by"
                    );
                    waiting_logged = true;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(lease = name, error = %e, "lease acquisition failed"),
            }
            tokio::select! {
                _ = cancel.cancelled() => return None,
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

/// A held Kubernetes Lease: the object as last written by us, with its resourceVersion.
pub struct KubernetesLease {
    api: Api<Lease>,
    name: String,
    lease: Lease,
    ttl: Duration,
}

impl std::fmt::Debug for KubernetesLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesLease")
            .field("name", &self.name)
            .field("resource_version", &self.lease.metadata.resource_version)
            .finish()
    }
}

#[async_trait::async_trait]
impl LeaseGuard for KubernetesLease {
    fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    async fn renew(&mut self) -> Result<()> {
        let mut renewed = self.lease.clone();
        if let Some(spec) = renewed.spec.as_mut() {
            spec.renew_time = Some(MicroTime(Timestamp::now()));
        }
        let params = PostParams::default();
        let write = self.api.replace(&self.name, &params, &renewed);
        match tokio::time::timeout(self.renew_every(), write).await {
            Ok(Ok(written)) => {
                self.lease = written;
                Ok(())
            }
            Ok(Err(kube::Error::Api(status))) if status.code == 409 => Err(Error::Unavailable(
                format!("lease {} lost: written by another holder", self.name),
            )),
            Ok(Err(e)) => Err(Error::Unavailable(format!("lease {} lost: {e}", self.name))),
            Err(_) => Err(Error::Unavailable(format!(
                "lease {} lost: renewal unanswered",
                self.name
            ))),
        }
    }

    async fn release(self: Box<Self>) {
        let mut released = self.lease.clone();
        if let Some(spec) = released.spec.as_mut() {
            spec.holder_identity = None;
            spec.renew_time = Some(MicroTime(Timestamp::now()));
        }
        match self
            .api
            .replace(&self.name, &PostParams::default(), &released)
            .await
        {
            Ok(_) => tracing::info!(lease = self.name, "Kubernetes lease released"),
            Err(e) => tracing::warn!(lease = self.name, error = %e, "lease release failed"),
        }
    }
}

fn unavailable(e: kube::Error) -> Error {
    Error::Unavailable(format!("Kubernetes API: {e}"))
}
