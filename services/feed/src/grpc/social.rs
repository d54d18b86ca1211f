//! Handlers of comments, reactions and read markers: AddComment, ListComments,
//! DeleteComment, SetReaction, ClearReaction, MarkTimelineRead.

use breakroom_base::{Error, error::Violations, paging::Page};
use breakroom_proto::feed::v1::{self as pb, ReactionKind};
use chrono::{DateTime, Utc};
use tonic::{Request, Response};

use super::{
    Reply, convert,
    posts::{DEFAULT_PAGE, view},
    written,
};
use crate::{
    app::{App, posts::PostRef, social::NewComment},
    names,
    queries::comments,
};

fn post_ref(field: &str, name: &str) -> breakroom_base::Result<PostRef> {
    let (tenant, group, post) = names::post(field, name)?;
    Ok(PostRef {
        tenant,
        group,
        post,
    })
}

/// `AddComment`.
pub async fn add_comment(app: &App, request: Request<pb::AddCommentRequest>) -> Reply<pb::Comment> {
    let caller = app.caller(&request).await?;
    let body = request.into_inner();
    let at = post_ref("parent", &body.parent)?;
    app.may_take_part(&caller, &at).await?;
    let comment = body.comment.unwrap_or_default();
    let mut v = Violations::new();
    convert::text(
        &mut v,
        "comment.body",
        &comment.body,
        1,
        convert::MAX_COMMENT,
    );
    convert::markdown(&mut v, "comment.body", &comment.body);
    let mention_ids = convert::mentions(&mut v, "comment.mentions", &at.tenant, &comment.mentions);
    let parent_comment_id = if comment.parent_comment.is_empty() {
        String::new()
    } else {
        match names::comment("comment.parent_comment", &comment.parent_comment) {
            Ok((t, g, p, c))
                if (t.as_str(), g.as_str(), p.as_str()) == (&at.tenant, &at.group, &at.post) =>
            {
                c
            }
            Ok(_) => {
                v.add(
                    "comment.parent_comment",
                    "must be a comment of the same post",
                );
                String::new()
            }
            Err(e) => {
                v.check::<()>(Err(e));
                String::new()
            }
        }
    };
    v.finish()?;
    let meta = caller.meta(&body.request_id)?;
    let new = NewComment {
        body: comment.body,
        mention_ids,
        parent_comment_id,
    };
    let (id, sequence) = app.add_comment(&caller, &at, new, &meta).await?;
    app.read().catch_up_to(sequence).await?;
    let row = comments::get(app.read().pool(), &at.tenant, &id)
        .await?
        .ok_or_else(|| {
            Error::NotFound(names::comment_name(&at.tenant, &at.group, &at.post, &id))
        })?;
    Ok(written(
        convert::comment(&at.tenant, &at.group, &row),
        sequence,
    ))
}

/// `ListComments`.
pub async fn list_comments(
    app: &App,
    request: Request<pb::ListCommentsRequest>,
) -> Reply<pb::ListCommentsResponse> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let at = post_ref("parent", &body.parent)?;
    app.visible_post(&caller, &at).await?;
    let page = Page::parse_with_default(body.page_size, &body.page_token, &at.post, DEFAULT_PAGE)?;
    let rows = comments::list(app.read().pool(), &at.tenant, &at.post, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |r| {
        (
            r.thread_time
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            r.sort_key.clone(),
        )
    });
    Ok(Response::new(pb::ListCommentsResponse {
        comments: rows
            .iter()
            .map(|r| convert::comment(&at.tenant, &at.group, r))
            .collect(),
        next_page_token,
    }))
}

/// `DeleteComment`.
pub async fn delete_comment(app: &App, request: Request<pb::DeleteCommentRequest>) -> Reply<()> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let (tenant, group, post, comment) = names::comment("name", &body.name)?;
    let at = PostRef {
        tenant,
        group,
        post,
    };
    app.may_delete_comment(&caller, &at, &comment).await?;
    let meta = caller.meta(&body.request_id)?;
    let sequence = app.delete_comment(&caller, &at, &comment, &meta).await?;
    Ok(written((), sequence))
}

/// `SetReaction`.
pub async fn set_reaction(app: &App, request: Request<pb::SetReactionRequest>) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let at = post_ref("name", &body.name)?;
    app.may_take_part(&caller, &at).await?;
    let kind = match ReactionKind::try_from(body.kind) {
        Ok(ReactionKind::Unspecified) | Err(_) => {
            return Err(Error::invalid("kind", "must be one of the ReactionKind values").into());
        }
        Ok(kind) => kind,
    };
    let meta = caller.meta(&body.request_id)?;
    let sequence = app.react(&caller, &at, Some(kind), &meta).await?;
    Ok(written(view(app, &caller, &at, sequence).await?, sequence))
}

/// `ClearReaction`.
pub async fn clear_reaction(
    app: &App,
    request: Request<pb::ClearReactionRequest>,
) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let at = post_ref("name", &body.name)?;
    app.may_take_part(&caller, &at).await?;
    let meta = caller.meta(&body.request_id)?;
    let sequence = app.react(&caller, &at, None, &meta).await?;
    Ok(written(view(app, &caller, &at, sequence).await?, sequence))
}

/// `MarkTimelineRead`.
pub async fn mark_read(app: &App, request: Request<pb::MarkTimelineReadRequest>) -> Reply<()> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let tenant = names::tenant("parent", &body.parent)?;
    let group = if body.group.is_empty() {
        None
    } else {
        let (t, g) = names::group("group", &body.group)?;
        if t != tenant {
            return Err(Error::invalid("group", "must be a group of the parent tenant").into());
        }
        Some(g)
    };
    // Who may mark before what they mark.
    caller.see_tenant(&tenant, &body.parent)?;
    if let Some(group) = &group {
        app.group(&caller, &tenant, group)
            .await?
            .1
            .require_member()?;
    }
    let now = Utc::now();
    let through = match &body.read_through_time {
        None => now,
        Some(t) => DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32)
            .filter(|at| *at <= now + chrono::Duration::minutes(5))
            .ok_or_else(|| {
                Error::invalid(
                    "read_through_time",
                    "must be a valid instant, not in the future",
                )
            })?,
    };
    let meta = caller.meta(&body.request_id)?;
    let sequence = app
        .mark_read(&caller, &tenant, group.as_deref(), through, &meta)
        .await?;
    Ok(written((), sequence))
}
