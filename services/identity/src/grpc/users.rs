//! `IdentityService`: people (invite, activate, read, change, offboard).

use breakroom_base::{Error, error::Violations};
use breakroom_proto::identity::v1 as pb;
use tonic::{Request, Response};

use super::{IdentityGrpc, convert, identity::Reply, reply};
use crate::{
    app::{invitations::Invitation, people::UserChanges},
    domain::{role::Role, values::DisplayName},
    names, queries,
};

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

/// `InviteUser`.
pub(super) async fn invite(
    grpc: &IdentityGrpc,
    request: Request<pb::InviteUserRequest>,
) -> Reply<pb::InviteUserResponse> {
    let caller = grpc.app.caller(&request).await?;
    caller.require_some_manager()?;
    let tenant = names::tenant("parent", &request.get_ref().parent)?;
    caller.see_tenant(&tenant, &request.get_ref().parent)?;
    let body = request.into_inner();
    let draft = convert::invite_draft(&tenant, "user", body.user.as_ref())?;
    let meta = convert::meta(caller.actor(), &body.request_id)?;
    let invited = grpc.app.invite(&caller, &tenant, draft, &meta).await?;
    let sequence = invited.committed.sequence;
    Ok(reply(invitation(&tenant, &invited), sequence))
}

/// `BatchInviteUsers`.
pub(super) async fn batch_invite(
    grpc: &IdentityGrpc,
    request: Request<pb::BatchInviteUsersRequest>,
) -> Reply<pb::BatchInviteUsersResponse> {
    let caller = grpc.app.caller(&request).await?;
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
    let invited = grpc
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

/// `ActivateUser`.
pub(super) async fn activate(
    grpc: &IdentityGrpc,
    request: Request<pb::ActivateUserRequest>,
) -> Reply<pb::User> {
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
    let (id, committed) = grpc
        .app
        .activate(&tenant, &body.invite_code, &body.password, &meta)
        .await?;
    Ok(reply(
        convert::user(&tenant, &id, &committed.state),
        committed.sequence,
    ))
}

/// `GetUser`.
pub(super) async fn get(
    grpc: &IdentityGrpc,
    request: Request<pb::GetUserRequest>,
) -> Reply<pb::User> {
    let caller = grpc.app.caller(&request).await?;
    let (tenant, id) = names::user("name", &request.get_ref().name)?;
    caller.see_tenant(&tenant, &request.get_ref().name)?;
    grpc.app.read().catch_up(&request).await?;
    let found = queries::user(grpc.app.read().pool(), &tenant, &id)
        .await?
        .ok_or_else(|| Error::NotFound(names::user_name(&tenant, &id)))?;
    Ok(Response::new(convert::redact(&caller, &tenant, found)))
}

/// `ListUsers`.
pub(super) async fn list(
    grpc: &IdentityGrpc,
    request: Request<pb::ListUsersRequest>,
) -> Reply<pb::ListUsersResponse> {
    let caller = grpc.app.caller(&request).await?;
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
    grpc.app.read().catch_up(&request).await?;
    grpc.app.existing_tenant(&tenant).await?;
    let (users, next_page_token) = queries::users(
        grpc.app.read().pool(),
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

/// `UpdateUser`.
pub(super) async fn update(
    grpc: &IdentityGrpc,
    request: Request<pb::UpdateUserRequest>,
) -> Reply<pb::User> {
    let caller = grpc.app.caller(&request).await?;
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
    let committed = grpc
        .app
        .update_user(&caller, &tenant, &id, changes, &meta)
        .await?;
    Ok(reply(
        convert::user(&tenant, &id, &committed.state),
        committed.sequence,
    ))
}

/// `DeactivateUser`.
pub(super) async fn deactivate(
    grpc: &IdentityGrpc,
    request: Request<pb::DeactivateUserRequest>,
) -> Reply<pb::User> {
    let caller = grpc.app.caller(&request).await?;
    caller.require_some_manager()?;
    let (tenant, id) = names::user("name", &request.get_ref().name)?;
    caller.see_tenant(&tenant, &request.get_ref().name)?;
    let meta = convert::meta(caller.actor(), &request.get_ref().request_id)?;
    let committed = grpc.app.deactivate(&caller, &tenant, &id, &meta).await?;
    Ok(reply(
        convert::user(&tenant, &id, &committed.state),
        committed.sequence,
    ))
}
