//! Group handlers: CreateGroup, GetGroup, ListMyGroups, UpdateGroup, AddGroupMembers,
//! RemoveGroupMembers.

use breakroom_base::{error::Violations, paging::Page};
use breakroom_proto::feed::v1::{self as pb, PostingPolicy};
use chrono::Utc;
use tonic::{Request, Response};

use super::{Reply, convert, written};
use crate::{
    app::{
        App,
        access::{GroupAccess, require_manager},
        groups::NewGroup,
    },
    domain::group::{Group, GroupCommand},
    names,
    queries::groups::{self, GroupRow},
};

/// The read-model shape of a group just written, for the reply.
fn row_of(id: &str, state: &Group, caller_id: &str, before: Option<&GroupRow>) -> GroupRow {
    GroupRow {
        id: id.to_owned(),
        kind: state.kind(),
        display_name: state.display_name.clone(),
        description: state.description.clone(),
        store_id: state.store_id.clone(),
        department_id: state.department_id.clone(),
        posting_policy: PostingPolicy::try_from(state.posting_policy)
            .unwrap_or(PostingPolicy::Everyone),
        create_time: before.map_or_else(Utc::now, |b| b.create_time),
        explicit: state.members.get(caller_id).copied(),
    }
}

fn policy(v: &mut Violations, field: &str, value: i32) -> PostingPolicy {
    match PostingPolicy::try_from(value) {
        Ok(PostingPolicy::Unspecified) => PostingPolicy::Everyone,
        Ok(policy) => policy,
        Err(_) => {
            v.add(field, "not a PostingPolicy value");
            PostingPolicy::Everyone
        }
    }
}

fn members(v: &mut Violations, tenant: &str, list: &[String], min: usize) -> Vec<String> {
    if list.len() < min || list.len() > 1000 {
        v.add("members", format!("{min}-1000 people"));
    }
    let mut ids = Vec::new();
    for (i, name) in list.iter().enumerate() {
        match names::user(&format!("members[{i}]"), name) {
            Ok((t, user)) if t == tenant => ids.push(user),
            Ok(_) => v.add(format!("members[{i}]"), "must be a person of this tenant"),
            Err(e) => {
                v.check::<()>(Err(e));
            }
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// `CreateGroup`.
pub async fn create(app: &App, request: Request<pb::CreateGroupRequest>) -> Reply<pb::Group> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let tenant = names::tenant("parent", &body.parent)?;
    caller.see_tenant(&tenant, &body.parent)?;
    require_manager(&caller)?;
    let group = body.group.unwrap_or_default();
    let mut v = Violations::new();
    convert::text(&mut v, "group.display_name", &group.display_name, 1, 100);
    convert::text(&mut v, "group.description", &group.description, 0, 1000);
    let posting_policy = policy(&mut v, "group.posting_policy", group.posting_policy);
    let member_ids = members(&mut v, &tenant, &body.members, 0);
    v.finish()?;
    let meta = caller.meta(&body.request_id)?;
    let new = NewGroup {
        display_name: group.display_name,
        description: group.description,
        posting_policy,
        members: member_ids,
    };
    let (id, committed) = app.create_group(&caller, &tenant, new, &meta).await?;
    let row = row_of(&id, &committed.state, caller.id(), None);
    let access = GroupAccess::of(&caller, &row);
    Ok(written(
        convert::group(&tenant, &row, &access, 0),
        committed.sequence,
    ))
}

/// `GetGroup`.
pub async fn get(app: &App, request: Request<pb::GetGroupRequest>) -> Reply<pb::Group> {
    let caller = app.caller(&request).await?;
    let (tenant, group) = names::group("name", &request.get_ref().name)?;
    let (row, access) = app.group(&caller, &tenant, &group).await?;
    access.require_member()?;
    let unread = groups::unread(app.read().pool(), &tenant, &group, caller.id()).await?;
    Ok(Response::new(convert::group(
        &tenant, &row, &access, unread,
    )))
}

/// `ListMyGroups`.
pub async fn list_mine(
    app: &App,
    request: Request<pb::ListMyGroupsRequest>,
) -> Reply<pb::ListMyGroupsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let tenant = names::tenant("parent", &body.parent)?;
    caller.see_tenant(&tenant, &body.parent)?;
    let page = Page::parse(body.page_size, &body.page_token, "my_groups")?;
    let rank = |row: &GroupRow| format!("{:02}", row.kind as i32);
    let all = groups::my_groups(app.read().pool(), &tenant, caller.id()).await?;
    let (after_rank, after_id) = page.after_key();
    let mut rows: Vec<(GroupRow, i64)> = all
        .into_iter()
        .filter(|(r, _)| match after_rank {
            Some(after) => (rank(r).as_str(), r.id.as_str()) > (after, after_id),
            None => true,
        })
        .collect();
    rows.sort_by(|(a, _), (b, _)| (rank(a), &a.id).cmp(&(rank(b), &b.id)));
    rows.truncate(page.limit() as usize);
    let (rows, next_page_token) = page.finish(rows, |(r, _)| (rank(r), r.id.clone()));
    let out = rows
        .iter()
        .map(|(row, unread)| convert::group(&tenant, row, &GroupAccess::of(&caller, row), *unread))
        .collect();
    Ok(Response::new(pb::ListMyGroupsResponse {
        groups: out,
        next_page_token,
    }))
}

/// `UpdateGroup`.
pub async fn update(app: &App, request: Request<pb::UpdateGroupRequest>) -> Reply<pb::Group> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let group = body.group.unwrap_or_default();
    let (tenant, id) = names::group("group.name", &group.name)?;
    let (before, access) = app.group(&caller, &tenant, &id).await?;
    access.require_admin()?;
    let mut v = Violations::new();
    let paths = body.update_mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        v.add(
            "update_mask",
            "name at least one of display_name, description, posting_policy",
        );
    }
    let mut command = (None, None, None);
    for (i, path) in paths.iter().enumerate() {
        match path.as_str() {
            "display_name" => {
                convert::text(&mut v, "group.display_name", &group.display_name, 1, 100);
                command.0 = Some(group.display_name.clone());
            }
            "description" => {
                convert::text(&mut v, "group.description", &group.description, 0, 1000);
                command.1 = Some(group.description.clone());
            }
            "posting_policy" => {
                command.2 = Some(policy(&mut v, "group.posting_policy", group.posting_policy));
            }
            _ => v.add(
                format!("update_mask.paths[{i}]"),
                "must be display_name, description or posting_policy",
            ),
        }
    }
    v.finish()?;
    let meta = caller.meta(&body.request_id)?;
    let command = GroupCommand::Update {
        display_name: command.0,
        description: command.1,
        posting_policy: command.2,
    };
    let committed = app
        .update_group(&caller, &tenant, &id, command, &meta)
        .await?;
    let row = row_of(&id, &committed.state, caller.id(), Some(&before));
    Ok(written(
        convert::group(&tenant, &row, &access, 0),
        committed.sequence,
    ))
}

async fn change(
    app: &App,
    caller: &breakroom_directory::Caller,
    group_name: &str,
    list: &[String],
    request_id: &str,
    make: impl FnOnce(Vec<String>) -> GroupCommand,
) -> Reply<pb::Group> {
    let (tenant, id) = names::group("group", group_name)?;
    let (before, access) = app.group(caller, &tenant, &id).await?;
    access.require_admin()?;
    let mut v = Violations::new();
    let user_ids = members(&mut v, &tenant, list, 1);
    v.finish()?;
    let meta = caller.meta(request_id)?;
    let committed = app
        .change_members(caller, &tenant, &id, make(user_ids), &meta)
        .await?;
    let row = row_of(&id, &committed.state, caller.id(), Some(&before));
    let access = GroupAccess::of(caller, &row);
    Ok(written(
        convert::group(&tenant, &row, &access, 0),
        committed.sequence,
    ))
}

/// `AddGroupMembers`.
pub async fn add_members(
    app: &App,
    request: Request<pb::AddGroupMembersRequest>,
) -> Reply<pb::Group> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let admins = body.admins;
    change(
        app,
        &caller,
        &body.group,
        &body.members,
        &body.request_id,
        |user_ids| GroupCommand::AddMembers { user_ids, admins },
    )
    .await
}

/// `RemoveGroupMembers`.
pub async fn remove_members(
    app: &App,
    request: Request<pb::RemoveGroupMembersRequest>,
) -> Reply<pb::Group> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    change(
        app,
        &caller,
        &body.group,
        &body.members,
        &body.request_id,
        |user_ids| GroupCommand::RemoveMembers { user_ids },
    )
    .await
}
