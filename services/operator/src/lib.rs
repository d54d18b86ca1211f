//! Breakroom's Tenant operator: chains declared as `Tenant` resources in Git, onboarded
//! into identity through its gRPC API.
//!
//! - `crd`: the `Tenant` resource and its generated CRD.
//! - `identity`: identity's API as the operator calls it (operator token, read-your-writes).
//! - `reconcile`: the reconciler (idempotent request ids, status, finalizer policy).
//! - `config`: typed environment configuration.
//! - `application`: the process: build, run until SIGTERM, finish what is in flight.
#![forbid(unsafe_code)]

pub mod application;
pub mod config;
pub mod crd;
pub mod identity;
pub mod reconcile;

use std::sync::Arc;

use futures::StreamExt;
use kube::{Api, runtime::Controller, runtime::watcher};

/// Why a reconciliation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Identity refused or failed a call.
    #[error("identity: {}: {}", .0.code(), .0.message())]
    Identity(#[from] tonic::Status),
    /// The Kubernetes API refused or failed a call.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// The declared chain contradicts what identity holds.
    #[error("{0}")]
    Conflict(String),
}

impl Error {
    /// The `Ready` condition's reason for this failure.
    pub fn reason(&self) -> &'static str {
        use tonic::Code;
        match self {
            Self::Identity(status) => match status.code() {
                Code::InvalidArgument => "InvalidSpec",
                Code::Unauthenticated | Code::PermissionDenied => "OperatorTokenRefused",
                Code::AlreadyExists | Code::FailedPrecondition => "ConflictInIdentity",
                Code::Unavailable | Code::DeadlineExceeded | Code::Aborted => "IdentityUnavailable",
                _ => "IdentityError",
            },
            Self::Kube(_) => "KubernetesApiError",
            Self::Conflict(_) => "ConflictInIdentity",
        }
    }
}

/// The crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs the controller over every `Tenant` until `shutdown` resolves.
pub async fn run(
    ctx: reconcile::Context,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let tenants: Api<crd::Tenant> = Api::all(ctx.client.clone());
    Controller::new(tenants, watcher::Config::default().any_semantic())
        .graceful_shutdown_on(shutdown)
        .run(reconcile::reconcile, reconcile::error_policy, Arc::new(ctx))
        .for_each(|result| async move {
            match result {
                Ok((object, _)) => tracing::info!(tenant = object.name, "reconciled"),
                Err(e) => tracing::debug!(error = %e, "reconciliation did not complete"),
            }
        })
        .await;
}
