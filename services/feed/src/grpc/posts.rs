//! Post handlers: CreatePost, GetPost, UpdatePost, DeletePost, PinPost, ListGroupPosts,
//! ListTimeline, ReportPost, ModeratePost.

use breakroom_base::{Error, Result, error::Violations, paging::Page};
use breakroom_directory::{Caller, refuse_offboarded};
use breakroom_proto::feed::v1::{self as pb, ModerationAction};
use tonic::{Request, Response};

use super::{Reply, convert, written};
use crate::{
    app::{
        App,
        access::require_announcer,
        posts::{Moderation, NewPost, PostRef},
    },
    names,
    queries::posts,
};

/// Entries per page when the client names no size.
pub const DEFAULT_PAGE: i32 = 20;

fn post_ref(field: &str, name: &str) -> Result<PostRef> {
    let (tenant, group, post) = names::post(field, name)?;
    Ok(PostRef {
        tenant,
        group,
        post,
    })
}

/// The post as `caller` sees it once the read model has applied `sequence`. Should the
/// read model lag more than the wait allows, the write has still happened: the reply is
/// then built from the post's events (without counts and the caller's own state) rather
/// than answering UNAVAILABLE for a committed command.
pub async fn view(app: &App, caller: &Caller, at: &PostRef, sequence: u64) -> Result<pb::Post> {
    if let Err(error) = app.read().catch_up_to(sequence).await {
        if !matches!(error, Error::Unavailable(_)) {
            return Err(error);
        }
        tracing::warn!(%error, post = %at.name(), "read model behind; replying from the events");
        let loaded = app.posts().load(&at.tenant, &at.post).await?;
        return Ok(convert::post_of(at, &loaded.state));
    }
    let row = posts::get(app.read().pool(), &at.tenant, &at.post, caller.id())
        .await?
        .ok_or_else(|| Error::NotFound(at.name()))?;
    Ok(convert::post(&at.tenant, &row))
}

/// `CreatePost`.
pub async fn create(app: &App, request: Request<pb::CreatePostRequest>) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let (tenant, group) = names::group("parent", &body.parent)?;
    let (row, access) = app.group(&caller, &tenant, &group).await?;
    access.require_member()?;
    if !access.can_post(&row) {
        return Err(Error::denied(
            "POSTING_RESTRICTED",
            "only the group's admins may post here",
        )
        .into());
    }
    let post = body.post.unwrap_or_default();
    if let Some(announcement) = &post.announcement {
        require_announcer(&caller, announcement)?;
    }
    let mut v = Violations::new();
    let content = convert::content(&mut v, &tenant, &post, post.announcement.is_some());
    let announcement = post
        .announcement
        .as_ref()
        .map(|a| convert::announcement(&mut v, a));
    v.finish()?;
    let meta = caller.meta(&body.request_id)?;
    let new = NewPost {
        content,
        announcement,
    };
    let (id, sequence, _) = app
        .create_post(&caller, &tenant, &group, new, &meta)
        .await?;
    let at = PostRef {
        tenant,
        group,
        post: id,
    };
    Ok(written(view(app, &caller, &at, sequence).await?, sequence))
}

/// `GetPost`.
pub async fn get(app: &App, request: Request<pb::GetPostRequest>) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let at = post_ref("name", &request.get_ref().name)?;
    let (row, _) = app.visible_post(&caller, &at).await?;
    Ok(Response::new(convert::post(&at.tenant, &row)))
}

/// `UpdatePost`.
pub async fn update(app: &App, request: Request<pb::UpdatePostRequest>) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let post = body.post.unwrap_or_default();
    let at = post_ref("post.name", &post.name)?;
    let found = app.post_in(&caller, &at).await?;
    found.access.require_member()?;
    if found.post.author_id != caller.id() {
        return Err(Error::denied("NOT_THE_AUTHOR", "only the author edits a post").into());
    }
    let mut v = Violations::new();
    let content = convert::content(&mut v, &at.tenant, &post, found.post.announcement.is_some());
    v.finish()?;
    let meta = caller.meta(&body.request_id)?;
    let committed = app
        .update_post(&caller, &at, content, body.material_change, &meta)
        .await?;
    Ok(written(
        view(app, &caller, &at, committed.sequence).await?,
        committed.sequence,
    ))
}

/// `DeletePost`.
pub async fn delete(app: &App, request: Request<pb::DeletePostRequest>) -> Reply<()> {
    let caller = app.caller(&request).await?;
    let at = post_ref("name", &request.get_ref().name)?;
    app.may_delete_post(&caller, &at).await?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let committed = app.delete_post(&caller, &at, &meta).await?;
    Ok(written((), committed.sequence))
}

/// `PinPost`.
pub async fn pin(app: &App, request: Request<pb::PinPostRequest>) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let at = post_ref("name", &body.name)?;
    app.may_pin_post(&caller, &at).await?;
    let meta = caller.meta(&body.request_id)?;
    let committed = app.pin_post(&caller, &at, body.pinned, &meta).await?;
    Ok(written(
        view(app, &caller, &at, committed.sequence).await?,
        committed.sequence,
    ))
}

/// `ListGroupPosts`.
pub async fn list_group(
    app: &App,
    request: Request<pb::ListGroupPostsRequest>,
) -> Reply<pb::ListGroupPostsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let (tenant, group) = names::group("parent", &body.parent)?;
    let (_, access) = app.group(&caller, &tenant, &group).await?;
    access.require_member()?;
    let page = Page::parse_with_default(body.page_size, &body.page_token, &group, DEFAULT_PAGE)?;
    let mut items = Vec::new();
    if body.page_token.is_empty() {
        for row in posts::pinned(app.read().pool(), &tenant, &group, caller.id()).await? {
            items.push(convert::item(&tenant, &row));
        }
    }
    let rows = posts::group_page(app.read().pool(), &tenant, &group, caller.id(), &page).await?;
    let (rows, next_page_token) = page.finish(rows, posts::cursor);
    items.extend(rows.iter().map(|r| convert::item(&tenant, r)));
    Ok(Response::new(pb::ListGroupPostsResponse {
        items,
        next_page_token,
    }))
}

/// `ListTimeline`: the most frequent call, so it is one statement. The caller's state is
/// read by the page's statement (`breakroom_directory::read::inline::state_of`); only an
/// empty page, a service account or bad input looks the caller up on its own.
pub async fn timeline(
    app: &App,
    request: Request<pb::ListTimelineRequest>,
) -> Reply<pb::ListTimelineResponse> {
    let directory = app.directory();
    let principal = directory.authenticate(&request)?;
    if principal.service_account {
        directory.caller_of(principal.clone()).await?;
    }
    let body = request.get_ref();
    let asked = names::tenant("parent", &body.parent).and_then(|tenant| {
        if tenant != principal.tenant {
            return Err(Error::NotFound(body.parent.clone()));
        }
        let page =
            Page::parse_with_default(body.page_size, &body.page_token, "timeline", DEFAULT_PAGE)?;
        Ok((tenant, page))
    });
    let (tenant, page) = match asked {
        Ok(asked) => asked,
        Err(error) => {
            // Who asks is checked before what they ask.
            directory.caller_of(principal).await?;
            return Err(error.into());
        }
    };
    let rows = posts::timeline(app.read().pool(), &tenant, &principal.user, &page).await?;
    match rows.first() {
        Some(row) => refuse_offboarded(row.reader_state.as_deref())?,
        None => {
            directory.caller_of(principal).await?;
        }
    }
    let unread_count = rows.first().and_then(|r| r.unread).unwrap_or(0);
    let (rows, next_page_token) = page.finish(rows, posts::cursor);
    Ok(Response::new(pb::ListTimelineResponse {
        items: rows.iter().map(|r| convert::item(&tenant, r)).collect(),
        next_page_token,
        unread_count,
    }))
}

/// `ReportPost`.
pub async fn report(app: &App, request: Request<pb::ReportPostRequest>) -> Reply<()> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let at = post_ref("name", &body.name)?;
    app.may_take_part(&caller, &at).await?;
    let mut v = Violations::new();
    convert::text(&mut v, "reason", &body.reason, 1, 1000);
    v.finish()?;
    let meta = caller.meta(&body.request_id)?;
    let committed = app.report_post(&caller, &at, body.reason, &meta).await?;
    Ok(written((), committed.sequence))
}

/// `ModeratePost`.
pub async fn moderate(app: &App, request: Request<pb::ModeratePostRequest>) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let at = post_ref("name", &body.name)?;
    app.post_in(&caller, &at)
        .await?
        .access
        .require_moderator()?;
    let mut v = Violations::new();
    convert::text(&mut v, "reason", &body.reason, 0, 1000);
    let action = match ModerationAction::try_from(body.action) {
        Ok(ModerationAction::Hide) => Moderation::Hide,
        Ok(ModerationAction::Restore) => Moderation::Restore,
        Ok(ModerationAction::Delete) => Moderation::Delete,
        _ => {
            v.add("action", "must be HIDE, RESTORE or DELETE");
            Moderation::Hide
        }
    };
    v.finish()?;
    let meta = caller.meta(&body.request_id)?;
    let committed = app
        .moderate_post(&caller, &at, action, body.reason, &meta)
        .await?;
    Ok(written(
        view(app, &caller, &at, committed.sequence).await?,
        committed.sequence,
    ))
}
