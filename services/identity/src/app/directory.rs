//! Tenants (chains) and their stores.

use breakroom_base::{Error, Result};
use breakroom_events::{
    envelope::{CommandMeta, new_aggregate_id},
    repository::Committed,
};

use super::{App, caller::Caller};
use crate::{
    domain::{
        claim::ClaimKind,
        store::{Store, StoreAttributes, StoreCommand},
        tenant::{Tenant, TenantCommand},
        values::{DepartmentId, DisplayName, Locale, StoreCode, TimeZone},
    },
    names,
};

/// A store to create; without a time zone it takes the tenant's.
#[derive(Debug, Clone)]
pub struct NewStore {
    /// Human-readable name.
    pub display_name: DisplayName,
    /// The chain's code, unique per tenant.
    pub store_code: StoreCode,
    /// Region, free text.
    pub region: String,
    /// Time zone, or the tenant's.
    pub time_zone: Option<TimeZone>,
    /// First departments.
    pub departments: Vec<(DepartmentId, DisplayName)>,
}

/// Changes to a store; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StoreChanges {
    /// New name.
    pub display_name: Option<DisplayName>,
    /// New code (claimed, the old one released).
    pub store_code: Option<StoreCode>,
    /// New region.
    pub region: Option<String>,
    /// New time zone.
    pub time_zone: Option<TimeZone>,
    /// Close (`true`) or reopen (`false`).
    pub closed: Option<bool>,
    /// The full department list (existing ones plus new ones).
    pub departments: Option<Vec<(DepartmentId, DisplayName)>>,
}

impl App {
    /// Creates a tenant; only the platform operator may.
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        tenant: &str,
        display_name: DisplayName,
        time_zone: TimeZone,
        locale: Locale,
        meta: &CommandMeta,
    ) -> Result<Committed<Tenant>> {
        caller.require_operator()?;
        let command = TenantCommand::Create {
            display_name,
            time_zone,
            locale,
        };
        self.inner
            .tenants
            .execute(tenant, tenant, meta, &command)
            .await
            .map_err(|e| match e {
                Error::AlreadyExists { reason, .. } => {
                    Error::exists(reason, names::tenant_name(tenant))
                }
                other => other,
            })
    }

    /// A tenant's state; NOT_FOUND when it does not exist.
    pub async fn existing_tenant(&self, tenant: &str) -> Result<Tenant> {
        let loaded = self.inner.tenants.load(tenant, tenant).await?;
        if loaded.state.exists {
            Ok(loaded.state)
        } else {
            Err(Error::NotFound(names::tenant_name(tenant)))
        }
    }

    /// A store's state; NOT_FOUND when it does not exist.
    pub async fn existing_store(&self, tenant: &str, store: &str) -> Result<Store> {
        let loaded = self.inner.stores.load(tenant, store).await?;
        if loaded.state.exists {
            Ok(loaded.state)
        } else {
            Err(Error::NotFound(names::store_name(tenant, store)))
        }
    }

    /// Creates a store (HQ admins, integrations, the operator) and claims its code.
    pub async fn create_store(
        &self,
        caller: &Caller,
        tenant: &str,
        store: NewStore,
        meta: &CommandMeta,
    ) -> Result<(String, Committed<Store>)> {
        let parent = names::tenant_name(tenant);
        caller.require_admin(tenant, &parent)?;
        let defaults = self.existing_tenant(tenant).await?;
        let time_zone = match store.time_zone {
            Some(zone) => zone,
            None => TimeZone::parse("store.time_zone", &defaults.time_zone)?,
        };
        let id = new_aggregate_id(tenant, "store", meta.request_id.as_deref());
        let code = store.store_code.canonical();
        let took = self
            .claim(tenant, ClaimKind::StoreCode, &code, &id, meta)
            .await?;
        let command = StoreCommand::Create {
            attributes: StoreAttributes {
                display_name: store.display_name,
                store_code: store.store_code,
                region: store.region,
                time_zone,
            },
            departments: store.departments,
        };
        match self.inner.stores.execute(tenant, &id, meta, &command).await {
            Ok(committed) => Ok((id, committed)),
            Err(e) => {
                if took && super::unwritten(&e) {
                    self.release(tenant, ClaimKind::StoreCode, &code, &id, &meta.actor)
                        .await;
                }
                Err(e)
            }
        }
    }

    /// Updates a store (HQ admins, integrations, the operator).
    pub async fn update_store(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        changes: StoreChanges,
        meta: &CommandMeta,
    ) -> Result<Committed<Store>> {
        let name = names::store_name(tenant, id);
        caller.require_admin(tenant, &name)?;
        let current = self.existing_store(tenant, id).await?;
        let old = &current.attributes;
        let old_code = StoreCode::parse("store.store_code", &old.store_code)?;
        let new_code = changes.store_code.clone();
        let code_moves = new_code
            .as_ref()
            .is_some_and(|code| code.canonical() != old_code.canonical());
        let attributes = StoreAttributes {
            display_name: match changes.display_name {
                Some(name) => name,
                None => DisplayName::parse("store.display_name", &old.display_name)?,
            },
            store_code: new_code.clone().unwrap_or(old_code.clone()),
            region: changes.region.unwrap_or_else(|| old.region.clone()),
            time_zone: match changes.time_zone {
                Some(zone) => zone,
                None => TimeZone::parse("store.time_zone", &old.time_zone)?,
            },
        };
        let took = code_moves
            && self
                .claim(
                    tenant,
                    ClaimKind::StoreCode,
                    &attributes.store_code.canonical(),
                    id,
                    meta,
                )
                .await?;
        let command = StoreCommand::Update {
            attributes: Some(attributes.clone()),
            closed: changes.closed,
            departments: changes.departments,
            expected_code: old.store_code.clone(),
        };
        let result = self.inner.stores.execute(tenant, id, meta, &command).await;
        // The code not in use after this update is given up: the old one on success, the
        // newly claimed one when the update certainly did not happen.
        match &result {
            Ok(_) if code_moves => {
                self.release(
                    tenant,
                    ClaimKind::StoreCode,
                    &old_code.canonical(),
                    id,
                    &meta.actor,
                )
                .await;
            }
            Err(e) if took && (super::unwritten(e) || matches!(e, Error::Conflict(_))) => {
                let new = attributes.store_code.canonical();
                self.release(tenant, ClaimKind::StoreCode, &new, id, &meta.actor)
                    .await;
            }
            _ => {}
        }
        result
    }
}
