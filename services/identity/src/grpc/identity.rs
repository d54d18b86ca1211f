//! `IdentityService`: tenants, stores, users, roles and service accounts.
//!
//! Every handler authenticates first, then refuses callers who may not call it at all
//! (decided about the caller alone), then parses names and the tenant check, and only
//! then validates the rest of the input: a stranger learns nothing about valid input.

use breakroom_base::{Error, error::Violations};
use breakroom_proto::identity::v1::{self as pb, identity_service_server::IdentityService};
use tonic::{Request, Response, Status};

use super::reply;
use super::{IdentityGrpc, convert};
use crate::{
    app::{
        directory::{NewStore, StoreChanges},
        invitations::Invitation,
        people::UserChanges,
    },
    domain::{
        role::Role,
        values::{DisplayName, Locale, StoreCode, TenantId, TimeZone},
    },
    names, queries,
};

type Reply<T> = Result<Response<T>, Status>;

fn invitation(tenant: &str, invitation: &Invitation) -> pb::InviteUserResponse {
    pb::InviteUserResponse {
        user: Some(convert::user(
            tenant,
            &invitation.user_id,
            &invitation.committed.state,
        )),
        invite_code: invitation.code.clone(),
        invite_expire_time: Some(invitation.expires.into()),
    }
}

#[tonic::async_trait]
impl IdentityService for IdentityGrpc {
    async fn create_tenant(&self, request: Request<pb::CreateTenantRequest>) -> Reply<pb::Tenant> {
        let caller = self.app.caller(&request).await?;
        caller.require_operator()?;
        let body = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(TenantId::parse("tenant_id", &body.tenant_id));
        let tenant = body.tenant.unwrap_or_default();
        let display_name = v.check(DisplayName::parse(
            "tenant.display_name",
            &tenant.display_name,
        ));
        let time_zone = v.check(TimeZone::parse("tenant.time_zone", &tenant.time_zone));
        let locale = v.check(Locale::parse("tenant.locale", &tenant.locale));
        v.finish()?;
        let (Some(id), Some(display_name), Some(time_zone), Some(locale)) =
            (id, display_name, time_zone, locale)
        else {
            return Err(Error::invalid("tenant", "is incomplete").into());
        };
        let meta = convert::meta(caller.actor(), &body.request_id)?;
        let committed = self
            .app
            .create_tenant(&caller, id.as_str(), display_name, time_zone, locale, &meta)
            .await?;
        let state = committed.state;
        Ok(reply(
            pb::Tenant {
                name: names::tenant_name(id.as_str()),
                display_name: state.display_name,
                time_zone: state.time_zone,
                locale: state.locale,
                create_time: Some(meta.now().into()),
            },
            committed.sequence,
        ))
    }

    async fn get_tenant(&self, request: Request<pb::GetTenantRequest>) -> Reply<pb::Tenant> {
        let caller = self.app.caller(&request).await?;
        let tenant = names::tenant("name", &request.get_ref().name)?;
        caller.see_tenant(&tenant, &request.get_ref().name)?;
        self.app.read().catch_up(&request).await?;
        let found = queries::tenant(self.app.read().pool(), &tenant).await?;
        Ok(Response::new(found.ok_or_else(|| {
            Error::NotFound(names::tenant_name(&tenant))
        })?))
    }

    async fn create_store(&self, request: Request<pb::CreateStoreRequest>) -> Reply<pb::Store> {
        let caller = self.app.caller(&request).await?;
        caller.require_some_admin()?;
        let tenant = names::tenant("parent", &request.get_ref().parent)?;
        caller.require_admin(&tenant, &request.get_ref().parent)?;
        let body = request.into_inner();
        let store = body.store.unwrap_or_default();
        let mut v = Violations::new();
        let display_name = v.check(DisplayName::parse(
            "store.display_name",
            &store.display_name,
        ));
        let store_code = v.check(StoreCode::parse("store.store_code", &store.store_code));
        let time_zone = if store.time_zone.is_empty() {
            None
        } else {
            v.check(TimeZone::parse("store.time_zone", &store.time_zone))
        };
        let departments = convert::departments(&mut v, &store);
        if store.region.chars().count() > 100 {
            v.add("store.region", "must be at most 100 characters");
        }
        v.finish()?;
        let (Some(display_name), Some(store_code)) = (display_name, store_code) else {
            return Err(Error::invalid("store", "is incomplete").into());
        };
        let meta = convert::meta(caller.actor(), &body.request_id)?;
        let new = NewStore {
            display_name,
            store_code,
            region: store.region.trim().to_owned(),
            time_zone,
            departments,
        };
        let (id, committed) = self.app.create_store(&caller, &tenant, new, &meta).await?;
        Ok(reply(
            convert::store(&tenant, &id, &committed.state),
            committed.sequence,
        ))
    }

    async fn get_store(&self, request: Request<pb::GetStoreRequest>) -> Reply<pb::Store> {
        let caller = self.app.caller(&request).await?;
        let (tenant, id) = names::store("name", &request.get_ref().name)?;
        caller.see_tenant(&tenant, &request.get_ref().name)?;
        self.app.read().catch_up(&request).await?;
        let found = queries::store(self.app.read().pool(), &tenant, &id).await?;
        Ok(Response::new(found.ok_or_else(|| {
            Error::NotFound(names::store_name(&tenant, &id))
        })?))
    }

    async fn list_stores(
        &self,
        request: Request<pb::ListStoresRequest>,
    ) -> Reply<pb::ListStoresResponse> {
        let caller = self.app.caller(&request).await?;
        let tenant = names::tenant("parent", &request.get_ref().parent)?;
        caller.see_tenant(&tenant, &request.get_ref().parent)?;
        let page = queries::Page::parse(
            request.get_ref().page_size,
            &request.get_ref().page_token,
            "",
        )?;
        self.app.read().catch_up(&request).await?;
        self.app.existing_tenant(&tenant).await?;
        let (stores, next_page_token) =
            queries::stores(self.app.read().pool(), &tenant, &page).await?;
        Ok(Response::new(pb::ListStoresResponse {
            stores,
            next_page_token,
        }))
    }

    async fn update_store(&self, request: Request<pb::UpdateStoreRequest>) -> Reply<pb::Store> {
        let caller = self.app.caller(&request).await?;
        caller.require_some_admin()?;
        let name = request
            .get_ref()
            .store
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let (tenant, id) = names::store("store.name", &name)?;
        caller.require_admin(&tenant, &name)?;
        let body = request.into_inner();
        let store = body.store.unwrap_or_default();
        let allowed = [
            "display_name",
            "store_code",
            "region",
            "time_zone",
            "state",
            "departments",
        ];
        let paths = convert::mask_paths(body.update_mask.as_ref(), &allowed, |path| match path {
            "display_name" => !store.display_name.is_empty(),
            "store_code" => !store.store_code.is_empty(),
            "region" => !store.region.is_empty(),
            "time_zone" => !store.time_zone.is_empty(),
            "state" => store.state != 0,
            _ => !store.departments.is_empty(),
        })?;
        let mut v = Violations::new();
        let mut changes = StoreChanges::default();
        for path in &paths {
            match path.as_str() {
                "display_name" => {
                    changes.display_name = v.check(DisplayName::parse(
                        "store.display_name",
                        &store.display_name,
                    ))
                }
                "store_code" => {
                    changes.store_code =
                        v.check(StoreCode::parse("store.store_code", &store.store_code))
                }
                "region" => changes.region = Some(store.region.trim().to_owned()),
                "time_zone" => {
                    changes.time_zone =
                        v.check(TimeZone::parse("store.time_zone", &store.time_zone))
                }
                "state" => {
                    changes.closed = match pb::store::State::try_from(store.state) {
                        Ok(pb::store::State::Open) => Some(false),
                        Ok(pb::store::State::Closed) => Some(true),
                        _ => {
                            v.add("store.state", "must be STATE_OPEN or STATE_CLOSED");
                            None
                        }
                    }
                }
                _ => changes.departments = Some(convert::departments(&mut v, &store)),
            }
        }
        v.finish()?;
        let meta = convert::meta(caller.actor(), &body.request_id)?;
        let committed = self
            .app
            .update_store(&caller, &tenant, &id, changes, &meta)
            .await?;
        Ok(reply(
            convert::store(&tenant, &id, &committed.state),
            committed.sequence,
        ))
    }

    async fn invite_user(
        &self,
        request: Request<pb::InviteUserRequest>,
    ) -> Reply<pb::InviteUserResponse> {
        let caller = self.app.caller(&request).await?;
        caller.require_some_manager()?;
        let tenant = names::tenant("parent", &request.get_ref().parent)?;
        caller.see_tenant(&tenant, &request.get_ref().parent)?;
        let body = request.into_inner();
        let draft = convert::invite_draft(&tenant, "user", body.user.as_ref())?;
        let meta = convert::meta(caller.actor(), &body.request_id)?;
        let invited = self.app.invite(&caller, &tenant, draft, &meta).await?;
        let sequence = invited.committed.sequence;
        Ok(reply(invitation(&tenant, &invited), sequence))
    }

    async fn batch_invite_users(
        &self,
        request: Request<pb::BatchInviteUsersRequest>,
    ) -> Reply<pb::BatchInviteUsersResponse> {
        let caller = self.app.caller(&request).await?;
        caller.require_some_manager()?;
        let tenant = names::tenant("parent", &request.get_ref().parent)?;
        caller.see_tenant(&tenant, &request.get_ref().parent)?;
        let body = request.into_inner();
        if body.requests.is_empty() || body.requests.len() > 1000 {
            return Err(Error::invalid("requests", "must hold 1 to 1000 invitations").into());
        }
        let mut v = Violations::new();
        let mut drafts = Vec::with_capacity(body.requests.len());
        for (index, entry) in body.requests.iter().enumerate() {
            if !entry.parent.is_empty() && entry.parent != body.parent {
                v.add(
                    format!("requests[{index}].parent"),
                    "must be empty or equal to parent",
                );
            }
            if let Some(draft) = v.check(convert::invite_draft(
                &tenant,
                &format!("requests[{index}].user"),
                entry.user.as_ref(),
            )) {
                drafts.push(draft);
            }
        }
        v.finish()?;
        let meta = convert::meta(caller.actor(), &body.request_id)?;
        let invited = self
            .app
            .batch_invite(&caller, &tenant, drafts, &meta)
            .await?;
        let sequence = invited
            .iter()
            .map(|i| i.committed.sequence)
            .max()
            .unwrap_or_default();
        Ok(reply(
            pb::BatchInviteUsersResponse {
                invitations: invited.iter().map(|i| invitation(&tenant, i)).collect(),
            },
            sequence,
        ))
    }

    async fn activate_user(&self, request: Request<pb::ActivateUserRequest>) -> Reply<pb::User> {
        let body = request.into_inner();
        let mut v = Violations::new();
        let tenant = v.check(names::tenant("tenant", &body.tenant));
        if body.invite_code.is_empty() {
            v.add("invite_code", "is required");
        }
        if body.password.is_empty() {
            v.add("password", "is required");
        }
        v.finish()?;
        let tenant = tenant.unwrap_or_default();
        let meta = convert::meta("system/activation".into(), &body.request_id)?;
        let (id, committed) = self
            .app
            .activate(&tenant, &body.invite_code, &body.password, &meta)
            .await?;
        Ok(reply(
            convert::user(&tenant, &id, &committed.state),
            committed.sequence,
        ))
    }

    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> Reply<pb::User> {
        let caller = self.app.caller(&request).await?;
        let (tenant, id) = names::user("name", &request.get_ref().name)?;
        caller.see_tenant(&tenant, &request.get_ref().name)?;
        self.app.read().catch_up(&request).await?;
        let found = queries::user(self.app.read().pool(), &tenant, &id)
            .await?
            .ok_or_else(|| Error::NotFound(names::user_name(&tenant, &id)))?;
        Ok(Response::new(convert::redact(&caller, &tenant, found)))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Reply<pb::ListUsersResponse> {
        let caller = self.app.caller(&request).await?;
        let tenant = names::tenant("parent", &request.get_ref().parent)?;
        caller.see_tenant(&tenant, &request.get_ref().parent)?;
        let body = request.get_ref();
        let mut v = Violations::new();
        let store = if body.store.is_empty() {
            None
        } else {
            match v.check(names::store("store", &body.store)) {
                Some((store_tenant, _)) if store_tenant != tenant => {
                    v.add("store", "must be a store of this tenant");
                    None
                }
                other => other.map(|(_, id)| id),
            }
        };
        let role = match body.role {
            0 => None,
            value => {
                let role = Role::from_proto(value);
                if role.is_none() {
                    v.add("role", "unknown role");
                }
                role
            }
        };
        let filter = format!("{}|{}", body.store, body.role);
        let page = v.check(queries::Page::parse(
            body.page_size,
            &body.page_token,
            &filter,
        ));
        v.finish()?;
        let page = page.ok_or_else(|| Error::invalid("page_token", "invalid"))?;
        self.app.read().catch_up(&request).await?;
        self.app.existing_tenant(&tenant).await?;
        let (users, next_page_token) = queries::users(
            self.app.read().pool(),
            &tenant,
            store.as_deref(),
            role,
            &page,
        )
        .await?;
        Ok(Response::new(pb::ListUsersResponse {
            users: users
                .into_iter()
                .map(|u| convert::redact(&caller, &tenant, u))
                .collect(),
            next_page_token,
        }))
    }

    async fn update_user(&self, request: Request<pb::UpdateUserRequest>) -> Reply<pb::User> {
        let caller = self.app.caller(&request).await?;
        let name = request
            .get_ref()
            .user
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let (tenant, id) = names::user("user.name", &name)?;
        caller.see_tenant(&tenant, &name)?;
        caller.require_self_or_manager(&tenant, &id)?;
        let body = request.into_inner();
        let user = body.user.unwrap_or_default();
        let allowed = ["display_name", "email", "phone"];
        let paths = convert::mask_paths(body.update_mask.as_ref(), &allowed, |path| match path {
            "display_name" => !user.display_name.is_empty(),
            "email" => !user.email.is_empty(),
            _ => !user.phone.is_empty(),
        })?;
        let mut v = Violations::new();
        let mut changes = UserChanges::default();
        let (email, phone) = convert::contacts(&mut v, "user", &user.email, &user.phone);
        for path in &paths {
            match path.as_str() {
                "display_name" => {
                    changes.display_name =
                        v.check(DisplayName::parse("user.display_name", &user.display_name))
                }
                "email" => changes.email = Some(email.clone()),
                _ => changes.phone = Some(phone.clone()),
            }
        }
        v.finish()?;
        let meta = convert::meta(caller.actor(), &body.request_id)?;
        let committed = self
            .app
            .update_user(&caller, &tenant, &id, changes, &meta)
            .await?;
        Ok(reply(
            convert::user(&tenant, &id, &committed.state),
            committed.sequence,
        ))
    }

    async fn deactivate_user(
        &self,
        request: Request<pb::DeactivateUserRequest>,
    ) -> Reply<pb::User> {
        let caller = self.app.caller(&request).await?;
        caller.require_some_manager()?;
        let (tenant, id) = names::user("name", &request.get_ref().name)?;
        caller.see_tenant(&tenant, &request.get_ref().name)?;
        let meta = convert::meta(caller.actor(), &request.get_ref().request_id)?;
        let committed = self.app.deactivate(&caller, &tenant, &id, &meta).await?;
        Ok(reply(
            convert::user(&tenant, &id, &committed.state),
            committed.sequence,
        ))
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
        let caller = self.app.caller(&request).await?;
        caller.require_some_hq_admin()?;
        let tenant = names::tenant("parent", &request.get_ref().parent)?;
        caller.require_hq_admin(&tenant, &request.get_ref().parent)?;
        let body = request.into_inner();
        let account = body.service_account.unwrap_or_default();
        let display_name =
            DisplayName::parse("service_account.display_name", &account.display_name)?;
        let meta = convert::meta(caller.actor(), &body.request_id)?;
        let (id, api_key, committed) = self
            .app
            .create_service_account(&caller, &tenant, display_name, &meta)
            .await?;
        Ok(reply(
            pb::CreateServiceAccountResponse {
                service_account: Some(pb::ServiceAccount {
                    name: names::service_account_name(&tenant, &id),
                    display_name: committed.state.display_name,
                    create_time: Some(meta.now().into()),
                }),
                api_key,
            },
            committed.sequence,
        ))
    }

    async fn delete_service_account(
        &self,
        request: Request<pb::DeleteServiceAccountRequest>,
    ) -> Reply<()> {
        let caller = self.app.caller(&request).await?;
        caller.require_some_hq_admin()?;
        let (tenant, id) = names::service_account("name", &request.get_ref().name)?;
        caller.require_hq_admin(&tenant, &request.get_ref().name)?;
        let meta = convert::meta(caller.actor(), &request.get_ref().request_id)?;
        let sequence = self
            .app
            .delete_service_account(&caller, &tenant, &id, &meta)
            .await?;
        Ok(reply((), sequence))
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
