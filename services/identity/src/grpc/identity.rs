//! `IdentityService`: tenants, stores, users, roles and service accounts. Each RPC is
//! answered in the module of its resource (`tenants`, `stores`, `users`, `accounts`);
//! granting and revoking roles are here.
//!
//! Every handler authenticates first, then refuses callers who may not call it at all
//! (decided about the caller alone), then parses names and the tenant check, and only
//! then validates the rest of the input: a stranger learns nothing about valid input.

use breakroom_base::Error;
use breakroom_proto::identity::v1::{self as pb, identity_service_server::IdentityService};
use tonic::{Request, Response, Status};

use super::reply;
use super::{IdentityGrpc, accounts, convert, stores, tenants, users};
use crate::names;

/// What a handler answers.
pub(super) type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl IdentityService for IdentityGrpc {
    async fn create_tenant(&self, request: Request<pb::CreateTenantRequest>) -> Reply<pb::Tenant> {
        tenants::create(self, request).await
    }

    async fn get_tenant(&self, request: Request<pb::GetTenantRequest>) -> Reply<pb::Tenant> {
        tenants::get(self, request).await
    }

    async fn create_store(&self, request: Request<pb::CreateStoreRequest>) -> Reply<pb::Store> {
        stores::create(self, request).await
    }

    async fn get_store(&self, request: Request<pb::GetStoreRequest>) -> Reply<pb::Store> {
        stores::get(self, request).await
    }

    async fn list_stores(
        &self,
        request: Request<pb::ListStoresRequest>,
    ) -> Reply<pb::ListStoresResponse> {
        stores::list(self, request).await
    }

    async fn update_store(&self, request: Request<pb::UpdateStoreRequest>) -> Reply<pb::Store> {
        stores::update(self, request).await
    }

    async fn invite_user(
        &self,
        request: Request<pb::InviteUserRequest>,
    ) -> Reply<pb::InviteUserResponse> {
        users::invite(self, request).await
    }

    async fn batch_invite_users(
        &self,
        request: Request<pb::BatchInviteUsersRequest>,
    ) -> Reply<pb::BatchInviteUsersResponse> {
        users::batch_invite(self, request).await
    }

    async fn activate_user(&self, request: Request<pb::ActivateUserRequest>) -> Reply<pb::User> {
        users::activate(self, request).await
    }

    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> Reply<pb::User> {
        users::get(self, request).await
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Reply<pb::ListUsersResponse> {
        users::list(self, request).await
    }

    async fn update_user(&self, request: Request<pb::UpdateUserRequest>) -> Reply<pb::User> {
        users::update(self, request).await
    }

    async fn deactivate_user(
        &self,
        request: Request<pb::DeactivateUserRequest>,
    ) -> Reply<pb::User> {
        users::deactivate(self, request).await
    }

    async fn grant_role(&self, request: Request<pb::GrantRoleRequest>) -> Reply<pb::User> {
        self.change_role(request.map(|r| (r.name, r.membership, r.request_id)), true)
            .await
    }

    async fn revoke_role(&self, request: Request<pb::RevokeRoleRequest>) -> Reply<pb::User> {
        self.change_role(request.map(|r| (r.name, r.membership, r.request_id)), false)
            .await
    }

    async fn create_service_account(
        &self,
        request: Request<pb::CreateServiceAccountRequest>,
    ) -> Reply<pb::CreateServiceAccountResponse> {
        accounts::create(self, request).await
    }

    async fn delete_service_account(
        &self,
        request: Request<pb::DeleteServiceAccountRequest>,
    ) -> Reply<()> {
        accounts::delete(self, request).await
    }
}

impl IdentityGrpc {
    async fn change_role(
        &self,
        request: Request<(String, Option<pb::Membership>, String)>,
        grant: bool,
    ) -> Reply<pb::User> {
        let caller = self.app.caller(&request).await?;
        caller.require_some_manager()?;
        let (tenant, id) = names::user("name", &request.get_ref().0)?;
        caller.see_tenant(&tenant, &request.get_ref().0)?;
        let (_, membership, request_id) = request.into_inner();
        let membership = membership.ok_or_else(|| Error::invalid("membership", "is required"))?;
        let membership = convert::membership(&tenant, "membership", &membership)?;
        let meta = convert::meta(caller.actor(), &request_id)?;
        let committed = self
            .app
            .change_role(&caller, &tenant, &id, membership, grant, &meta)
            .await?;
        Ok(reply(
            convert::user(&tenant, &id, &committed.state),
            committed.sequence,
        ))
    }
}
