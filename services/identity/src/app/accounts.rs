//! Service accounts for integrations such as the chain's workforce-management system.
//!
//! Creation writes the API key's hash to the account's credential first, then the public
//! `ServiceAccountCreated`: stopped in between, it leaves a key for an account that does
//! not exist (no login can use it) until the retry with the same request id completes it.

use breakroom_base::{Error, Result};
use breakroom_events::{
    envelope::{CommandMeta, new_aggregate_id},
    repository::Committed,
};

use super::{App, caller::Caller};
use crate::{
    domain::{
        credential::CredentialCommand,
        service_account::{ServiceAccount, ServiceAccountCommand},
        values::DisplayName,
    },
    names,
    secrets::{self, digest},
};

impl App {
    /// Creates a service account and returns its API key (derived from the request id
    /// when there is one, so a retry returns the same key).
    pub async fn create_service_account(
        &self,
        caller: &Caller,
        tenant: &str,
        display_name: DisplayName,
        meta: &CommandMeta,
    ) -> Result<(String, String, Committed<ServiceAccount>)> {
        caller.require_hq_admin(tenant, &names::tenant_name(tenant))?;
        self.existing_tenant(tenant).await?;
        let request_id = meta.request_id.as_deref();
        let id = new_aggregate_id(tenant, "service_account", request_id);
        let secret = self
            .inner
            .secrets
            .token("api-key", &[tenant, &id], request_id);
        let api_key = secrets::api_key(tenant, &id, &secret);
        let key = CredentialCommand::IssueApiKey {
            api_key_hash: digest(&api_key),
        };
        self.credential(tenant, &id, meta, &key).await?;
        let command = ServiceAccountCommand::Create { display_name };
        let committed = self
            .inner
            .accounts
            .execute(tenant, &id, meta, &command)
            .await?;
        Ok((id, api_key, committed))
    }

    /// Deletes a service account; its key and tokens stop working in identity at once.
    pub async fn delete_service_account(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        meta: &CommandMeta,
    ) -> Result<u64> {
        let name = names::service_account_name(tenant, id);
        caller.require_hq_admin(tenant, &name)?;
        let committed = self
            .inner
            .accounts
            .execute(tenant, id, meta, &ServiceAccountCommand::Delete)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound(name),
                other => other,
            })?;
        self.tidy_credential(tenant, id, meta, &CredentialCommand::Revoke)
            .await;
        Ok(committed.sequence)
    }

    /// A service account's state; NOT_FOUND when missing or deleted.
    pub async fn existing_service_account(&self, tenant: &str, id: &str) -> Result<ServiceAccount> {
        let state = self.inner.accounts.load(tenant, id).await?.state;
        if state.exists && !state.deleted {
            Ok(state)
        } else {
            Err(Error::NotFound(names::service_account_name(tenant, id)))
        }
    }
}
