//! Reconciling a `Tenant`: make identity hold the chain, its stores and its first HQ
//! admins, and report what exists in the resource's status.
//!
//! Every identity mutation carries a request id derived from the resource's uid, its
//! generation and the step (UUID v5), so a retried reconciliation of the same generation
//! is deduplicated by identity, and a new generation is a new request. Before writing,
//! the reconciler reads (GetTenant, ListStores, ListUsers): a reconciliation of a chain
//! that is already as declared writes nothing to identity.
//!
//! Deleting a `Tenant` never deletes data unless `deletionPolicy: Delete`; only then is a
//! finalizer added, and on deletion the declared stores are closed and the declared HQ
//! admins deactivated (identity cannot erase a tenant: its history stays).

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use k8s_openapi::jiff::Timestamp;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::controller::Action,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Error, Result,
    crd::{Condition, DeletionPolicy, Tenant, TenantStatus},
    identity::Identity,
};

mod steps;

pub use steps::secret_key;
use steps::{deactivate, ensure_hq_admins, ensure_stores, ensure_tenant, write_invite_codes};

/// Finalizer present only on tenants whose `deletionPolicy` is `Delete`.
pub const FINALIZER: &str = "breakroom.io/deactivate-on-delete";
/// Namespace of request ids: UUID v5 of `<uid>/<generation>/<step>`.
const REQUEST_IDS: Uuid = Uuid::from_u128(0x6272_6b72_6f6f_4d00_8000_7465_6e61_6e74);
/// How often a ready tenant is checked again for drift.
const RESYNC: Duration = Duration::from_secs(300);

/// What every reconciliation shares.
#[derive(Clone)]
pub struct Context {
    /// The Kubernetes client.
    pub client: kube::Client,
    /// A channel to identity (`BREAKROOM_IDENTITY_URL`).
    pub identity: tonic::transport::Channel,
    /// The platform operator token (`BREAKROOM_OPERATOR_TOKEN`).
    pub token: String,
    /// Consecutive failures per tenant uid, for the backoff.
    pub failures: Arc<std::sync::Mutex<BTreeMap<String, u32>>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}

/// The request id of `step` for this generation of `tenant`.
pub fn request_id(tenant: &Tenant, step: &str) -> String {
    let uid = tenant.uid().unwrap_or_default();
    let generation = tenant.metadata.generation.unwrap_or_default();
    Uuid::new_v5(
        &REQUEST_IDS,
        format!("{uid}/{generation}/{step}").as_bytes(),
    )
    .to_string()
}

/// Reconciles one `Tenant`; failures are written to its status before they requeue.
pub async fn reconcile(tenant: Arc<Tenant>, ctx: Arc<Context>) -> Result<Action> {
    let api: Api<Tenant> = Api::namespaced(
        ctx.client.clone(),
        &tenant.namespace().unwrap_or_else(|| "default".into()),
    );
    let result = reconcile_inner(&tenant, &ctx, &api).await;
    let uid = tenant.uid().unwrap_or_default();
    match result {
        Ok(action) => {
            ctx.failures.lock().map(|mut f| f.remove(&uid)).ok();
            Ok(action)
        }
        Err(e) => {
            tracing::warn!(tenant = tenant.name_any(), error = %e, "reconciliation failed");
            if tenant.meta().deletion_timestamp.is_none() {
                let condition = condition(&tenant, "False", e.reason(), &e.to_string());
                let status = json!({ "status": {
                    "observedGeneration": tenant.metadata.generation,
                    "conditions": [condition],
                }});
                let patched = api
                    .patch_status(
                        &tenant.name_any(),
                        &PatchParams::default(),
                        &Patch::Merge(&status),
                    )
                    .await;
                if let Err(patch) = patched {
                    tracing::warn!(error = %patch, "status not written");
                }
            }
            Err(e)
        }
    }
}

/// Requeues a failed tenant with exponential backoff: 5 s doubling up to 5 minutes.
pub fn error_policy(tenant: Arc<Tenant>, _error: &Error, ctx: Arc<Context>) -> Action {
    let uid = tenant.uid().unwrap_or_default();
    let attempts = ctx
        .failures
        .lock()
        .map(|mut failures| {
            let n = failures.entry(uid).or_insert(0);
            *n = n.saturating_add(1);
            *n
        })
        .unwrap_or(1);
    let delay = Duration::from_secs(5).saturating_mul(1 << attempts.min(6).saturating_sub(1));
    Action::requeue(delay.min(RESYNC))
}

async fn reconcile_inner(tenant: &Tenant, ctx: &Context, api: &Api<Tenant>) -> Result<Action> {
    let name = tenant.name_any();
    let policy = tenant.spec.deletion_policy;
    let has_finalizer = tenant.finalizers().iter().any(|f| f == FINALIZER);
    let previous = tenant.status.as_ref().and_then(|s| s.identity_sequence);
    let mut identity =
        Identity::new(ctx.identity.clone(), &ctx.token)?.after(previous.unwrap_or_default());
    if tenant.meta().deletion_timestamp.is_some() {
        if has_finalizer {
            if policy == DeletionPolicy::Delete {
                deactivate(tenant, &mut identity).await?;
            }
            set_finalizer(api, tenant, false).await?;
        }
        return Ok(Action::await_change());
    }
    match (policy, has_finalizer) {
        (DeletionPolicy::Delete, false) => set_finalizer(api, tenant, true).await?,
        (DeletionPolicy::Retain, true) => set_finalizer(api, tenant, false).await?,
        _ => {}
    }

    ensure_tenant(tenant, &mut identity).await?;
    let stores = ensure_stores(tenant, &mut identity).await?;
    let invited = ensure_hq_admins(tenant, &mut identity).await?;
    let invite_secret = format!("{name}-hq-invites");
    if !invited.is_empty() {
        write_invite_codes(ctx, tenant, &invite_secret, invited).await?;
    }
    let had_secret = tenant.status.as_ref().and_then(|s| s.invite_secret.clone());
    let status = TenantStatus {
        observed_generation: tenant.metadata.generation,
        conditions: vec![condition(
            tenant,
            "True",
            "Reconciled",
            "the tenant, its stores and its HQ admins exist in identity",
        )],
        stores_created: u32::try_from(stores.len()).unwrap_or(u32::MAX),
        stores,
        invite_secret: had_secret.or(Some(invite_secret)),
        identity_sequence: Some(identity.seen()).filter(|s| *s > 0),
    };
    if tenant.status.as_ref() != Some(&status) {
        let patch = json!({ "status": status });
        api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
    }
    Ok(Action::requeue(RESYNC))
}

/// The `Ready` condition; its transition time stays while its status does not change.
fn condition(tenant: &Tenant, status: &str, reason: &str, message: &str) -> Condition {
    let previous = tenant
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"));
    let last_transition_time = match previous {
        Some(c) if c.status == status => c.last_transition_time.clone(),
        _ => Timestamp::now()
            .round(k8s_openapi::jiff::Unit::Second)
            .map_or_else(|_| Timestamp::now().to_string(), |t| t.to_string()),
    };
    Condition {
        type_: "Ready".into(),
        status: status.into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time,
        observed_generation: tenant.metadata.generation,
    }
}

async fn set_finalizer(api: &Api<Tenant>, tenant: &Tenant, present: bool) -> Result<()> {
    let mut finalizers: Vec<String> = tenant
        .finalizers()
        .iter()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    if present {
        finalizers.push(FINALIZER.into());
    }
    // A JSON merge patch replaces the list; the resourceVersion makes it conditional, so
    // another writer's finalizer is never dropped (a conflict requeues).
    let patch = json!({ "metadata": {
        "finalizers": finalizers,
        "resourceVersion": tenant.resource_version(),
    }});
    api.patch(
        &tenant.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await?;
    Ok(())
}
