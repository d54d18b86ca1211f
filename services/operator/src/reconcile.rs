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

use breakroom_proto::identity::v1 as pb;
use k8s_openapi::{
    api::core::v1::Secret, apimachinery::pkg::apis::meta::v1::ObjectMeta, jiff::Timestamp,
};
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams, PostParams},
    runtime::controller::Action,
};
use serde_json::json;
use tonic::Code;
use uuid::Uuid;

use crate::{
    Error, Result,
    crd::{Condition, DeletionPolicy, StoreSpec, Tenant, TenantStatus},
    identity::{Identity, reason},
};

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

async fn ensure_tenant(tenant: &Tenant, identity: &mut Identity) -> Result<()> {
    let id = tenant.name_any();
    if identity.get_tenant(&id).await?.is_some() {
        return Ok(());
    }
    let created = identity
        .create_tenant(pb::CreateTenantRequest {
            tenant_id: id.clone(),
            tenant: Some(pb::Tenant {
                display_name: tenant.spec.display_name.clone(),
                time_zone: tenant.spec.time_zone.clone(),
                locale: tenant.spec.locale.clone(),
                ..Default::default()
            }),
            request_id: request_id(tenant, "tenant"),
        })
        .await;
    match created {
        // Created concurrently (or by an earlier reconciliation whose reply was lost): the
        // tenant id is the resource's name, which this resource owns.
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        other => other.map(|_| ()).map_err(Error::from),
    }
}

/// Creates missing stores, updates those whose attributes differ; returns the declared
/// stores as identity now has them.
async fn ensure_stores(
    tenant: &Tenant,
    identity: &mut Identity,
) -> Result<Vec<crate::crd::StoreStatus>> {
    let id = tenant.name_any();
    let mut existing: BTreeMap<String, pb::Store> = identity
        .list_stores(&id)
        .await?
        .into_iter()
        .map(|s| (s.store_code.clone(), s))
        .collect();
    let mut result = Vec::new();
    for wanted in &tenant.spec.stores {
        let store = match existing.remove(&wanted.code) {
            Some(store) => update_store(tenant, identity, wanted, store).await?,
            None => create_store(tenant, identity, wanted).await?,
        };
        result.push(crate::crd::StoreStatus {
            code: wanted.code.clone(),
            name: store.name,
        });
    }
    Ok(result)
}

async fn create_store(
    tenant: &Tenant,
    identity: &mut Identity,
    wanted: &StoreSpec,
) -> Result<pb::Store> {
    let id = tenant.name_any();
    let created = identity
        .create_store(pb::CreateStoreRequest {
            parent: format!("tenants/{id}"),
            store: Some(pb::Store {
                display_name: wanted.name.clone(),
                store_code: wanted.code.clone(),
                region: wanted.region.clone(),
                time_zone: wanted.time_zone.clone().unwrap_or_default(),
                ..Default::default()
            }),
            request_id: request_id(tenant, &format!("store/{}", wanted.code)),
        })
        .await;
    match created {
        Ok(store) => Ok(store),
        // Created since we listed: read it back and bring it in line.
        Err(status) if reason(&status) == "STORE_CODE_TAKEN" => {
            let store = identity
                .list_stores(&id)
                .await?
                .into_iter()
                .find(|s| s.store_code == wanted.code)
                .ok_or(Error::Identity(status))?;
            update_store(tenant, identity, wanted, store).await
        }
        Err(status) => Err(status.into()),
    }
}

async fn update_store(
    tenant: &Tenant,
    identity: &mut Identity,
    wanted: &StoreSpec,
    store: pb::Store,
) -> Result<pb::Store> {
    let mut paths = Vec::new();
    if store.display_name != wanted.name {
        paths.push("display_name");
    }
    if store.region != wanted.region {
        paths.push("region");
    }
    if let Some(zone) = &wanted.time_zone
        && store.time_zone != *zone
    {
        paths.push("time_zone");
    }
    if paths.is_empty() {
        return Ok(store);
    }
    let updated = identity
        .update_store(pb::UpdateStoreRequest {
            store: Some(pb::Store {
                display_name: wanted.name.clone(),
                region: wanted.region.clone(),
                time_zone: wanted.time_zone.clone().unwrap_or_default(),
                ..store
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: paths.into_iter().map(String::from).collect(),
            }),
            request_id: request_id(tenant, &format!("store-update/{}", wanted.code)),
        })
        .await?;
    Ok(updated)
}

/// Invites declared HQ admins identity does not know yet; returns (email, invite code).
async fn ensure_hq_admins(
    tenant: &Tenant,
    identity: &mut Identity,
) -> Result<Vec<(String, String)>> {
    let id = tenant.name_any();
    let known: Vec<String> = identity
        .list_hq_admins(&id)
        .await?
        .into_iter()
        .map(|u| u.email.to_lowercase())
        .collect();
    let mut invited = Vec::new();
    for admin in &tenant.spec.hq_admins {
        if known.contains(&admin.email.to_lowercase()) {
            continue;
        }
        let reply = identity
            .invite_user(pb::InviteUserRequest {
                parent: format!("tenants/{id}"),
                user: Some(pb::User {
                    display_name: admin.display_name.clone(),
                    email: admin.email.clone(),
                    memberships: vec![pb::Membership {
                        role: pb::Role::HqAdmin as i32,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: request_id(tenant, &format!("hq-admin/{}", admin.email)),
            })
            .await;
        match reply {
            Ok(reply) if !reply.invite_code.is_empty() => {
                invited.push((admin.email.clone(), reply.invite_code));
            }
            Ok(_) => {}
            // Someone with this e-mail exists already (without the HQ role): left to people.
            Err(status) if reason(&status) == "EMAIL_TAKEN" => {
                return Err(Error::Conflict(format!(
                    "{} is already a user of the chain without the HQ admin role",
                    admin.email
                )));
            }
            Err(status) => return Err(status.into()),
        }
    }
    Ok(invited)
}

/// Adds invite codes to the tenant's Secret (created owned by the Tenant, so that it goes
/// when the resource goes). The codes never enter the status.
async fn write_invite_codes(
    ctx: &Context,
    tenant: &Tenant,
    secret: &str,
    codes: Vec<(String, String)>,
) -> Result<()> {
    let namespace = tenant.namespace().unwrap_or_else(|| "default".into());
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let string_data: BTreeMap<String, String> = codes
        .into_iter()
        .map(|(email, code)| (secret_key(&email), code))
        .collect();
    let created = Secret {
        metadata: ObjectMeta {
            name: Some(secret.into()),
            owner_references: tenant.controller_owner_ref(&()).map(|r| vec![r]),
            labels: Some(
                [(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "breakroom-operator".to_owned(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        string_data: Some(string_data.clone()),
        ..Default::default()
    };
    match api.create(&PostParams::default(), &created).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let patch = json!({ "stringData": string_data });
            api.patch(secret, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// A Secret key for an e-mail address (`[-._a-zA-Z0-9]`): `@` becomes `_at_`.
pub fn secret_key(email: &str) -> String {
    email
        .replace('@', "_at_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `deletionPolicy: Delete`: closes the declared stores and deactivates the declared HQ
/// admins. Identity keeps their history; it has no way to erase a tenant.
async fn deactivate(tenant: &Tenant, identity: &mut Identity) -> Result<()> {
    let id = tenant.name_any();
    if identity.get_tenant(&id).await?.is_none() {
        return Ok(());
    }
    let declared: Vec<&str> = tenant.spec.stores.iter().map(|s| s.code.as_str()).collect();
    for store in identity.list_stores(&id).await? {
        if declared.contains(&store.store_code.as_str())
            && store.state != pb::store::State::Closed as i32
        {
            let step = format!("close/{}", store.store_code);
            identity
                .update_store(pb::UpdateStoreRequest {
                    store: Some(pb::Store {
                        state: pb::store::State::Closed as i32,
                        ..store
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["state".into()],
                    }),
                    request_id: request_id(tenant, &step),
                })
                .await?;
        }
    }
    let emails: Vec<String> = tenant
        .spec
        .hq_admins
        .iter()
        .map(|a| a.email.to_lowercase())
        .collect();
    for user in identity.list_hq_admins(&id).await? {
        if emails.contains(&user.email.to_lowercase())
            && user.state != pb::user::State::Deactivated as i32
        {
            let step = format!("deactivate/{}", user.email);
            identity
                .deactivate_user(pb::DeactivateUserRequest {
                    name: user.name,
                    request_id: request_id(tenant, &step),
                })
                .await?;
        }
    }
    Ok(())
}
