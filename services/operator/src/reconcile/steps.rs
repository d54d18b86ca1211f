//! The steps of a reconciliation, each against identity: the chain, its stores, its first
//! HQ admins and their invite codes (into a Secret), and, on deletion with
//! `deletionPolicy: Delete`, closing the stores and deactivating the admins.

use std::collections::BTreeMap;

use breakroom_proto::identity::v1 as pb;
use k8s_openapi::{api::core::v1::Secret, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::json;
use tonic::Code;

use super::{Context, request_id};
use crate::{
    Error, Result,
    crd::{StoreSpec, Tenant},
    identity::{Identity, reason},
};

pub(super) async fn ensure_tenant(tenant: &Tenant, identity: &mut Identity) -> Result<()> {
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
pub(super) async fn ensure_stores(
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

pub(super) async fn create_store(
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

pub(super) async fn update_store(
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
pub(super) async fn ensure_hq_admins(
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
pub(super) async fn write_invite_codes(
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
pub(super) async fn deactivate(tenant: &Tenant, identity: &mut Identity) -> Result<()> {
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
