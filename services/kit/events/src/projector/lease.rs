//! Leases that make one replica the active instance of a projection.
//!
//! A projector asks a `LeaseBackend` for its projection's lease and gets a `LeaseGuard`
//! once it holds it; it renews the guard every `renew_every()` and stops projecting as
//! soon as a renewal fails, then stands by again. Two backends, chosen by
//! `BREAKROOM_LEASE_BACKEND` (the chassis's `lease::from_config`):
//!
//! - `nats` (default, `nats`): a key in the namespace's NATS KV bucket, created only when
//!   absent and updated only at the revision last written.
//! - `kubernetes` (`kubernetes`): a `coordination.k8s.io/v1` Lease in the pod's namespace,
//!   created only when absent and replaced only at the `resourceVersion` last seen.
//!
//! Both are fenced the same way: every write is conditional on the version the holder
//! last saw, so once someone else has written the lease, the old holder's next renewal
//! fails and it stops. A holder never believes it holds a lease that another took over.

pub mod kubernetes;
pub mod nats;

use std::time::Duration;

use breakroom_base::{error::Result, namespace::Namespace};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

pub use kubernetes::KubernetesLeases;
pub use nats::{NatsKvLeases, bucket};

/// Where projection leases live.
#[async_trait::async_trait]
pub trait LeaseBackend: Send + Sync + std::fmt::Debug + 'static {
    /// Waits until the lease `key` (`<owner>_<projection>`) is free and takes it for
    /// `holder`; `None` when `cancel` fires first.
    async fn acquire(
        &self,
        key: &str,
        holder: &str,
        cancel: &CancellationToken,
    ) -> Option<Box<dyn LeaseGuard>>;
}

/// A held lease.
#[async_trait::async_trait]
pub trait LeaseGuard: Send + std::fmt::Debug {
    /// How often to renew: a third of the TTL, so two renewals may fail before expiry.
    fn renew_every(&self) -> Duration;

    /// Extends the lease; an error means it is (or may be) lost and the holder must stop.
    async fn renew(&mut self) -> Result<()>;

    /// Gives the lease up so a standby takes over at once.
    async fn release(self: Box<Self>);
}

/// Longest Lease name: a DNS-1123 label, so that the name is valid wherever it is used.
const MAX_NAME: usize = 63;

/// The Kubernetes name of lease `key` in `namespace`: `<namespace>-<owner>-<projection>`,
/// lowercased, `_` as `-`; longer than 63 characters, it is cut to 54 and ends in `-`
/// and 8 hex digits of the full name's SHA-256, so distinct keys keep distinct names.
pub fn kubernetes_name(namespace: &Namespace, key: &str) -> String {
    let full: String = format!("{namespace}-{key}")
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-') => c,
            _ => '-',
        })
        .collect();
    let full = full.trim_matches('-').to_owned();
    if full.len() <= MAX_NAME {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hash}", full[..MAX_NAME - 9].trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn is_dns_label(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-')
    }

    #[test]
    fn kubernetes_lease_names_are_dns_labels_derived_from_namespace_owner_and_projection() {
        let dev = Namespace::parse("dev").unwrap();

        assert_eq!(
            kubernetes_name(&dev, "scheduling_identity_directory"),
            "dev-scheduling-identity-directory"
        );
    }

    #[test]
    fn long_lease_names_are_cut_and_hashed_so_they_stay_valid_and_distinct() {
        let ns = Namespace::parse(&"n".repeat(32)).unwrap();
        let a = kubernetes_name(&ns, &format!("scheduling_{}_a", "x".repeat(40)));
        let b = kubernetes_name(&ns, &format!("scheduling_{}_b", "x".repeat(40)));

        assert!(is_dns_label(&a), "{a}");
        assert!(is_dns_label(&b), "{b}");
        assert_ne!(a, b);
        assert_eq!(a.len(), 63);
    }
}
