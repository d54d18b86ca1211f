//! Groups: every group the person is in (the chain's news and help, their store's and
//! department's, custom groups) with unread counts, and one group's posts, newest first
//! (pinned first), with "New post" in it when they may post there.

use askama::Template;
use axum::{
    Extension,
    extract::{Path, Query},
    http::StatusCode,
    response::Response,
};
use breakroom_proto::feed::v1 as pb;
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    layout::{Chrome, Nav},
    screens::{
        home::unread,
        post::{foreign, id},
        views::PostView,
    },
};

/// A group as listed.
#[derive(Debug, Clone)]
pub struct GroupRow {
    /// `/groups/{id}`.
    pub path: String,
    /// Display name.
    pub label: String,
    /// Its description (may be empty).
    pub description: String,
    /// Posts the person has not seen.
    pub unread: i64,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    c: Chrome,
    groups: Vec<GroupRow>,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    c: Chrome,
    label: String,
    description: String,
    new_post: Option<String>,
    items: Vec<PostView>,
    older: String,
}

/// `GET /groups`.
pub async fn page_groups(Extension(ctx): Extension<Ctx>) -> Response {
    let mut feed = ctx.app.feed();
    let groups = feed.list_my_groups(ctx.req(pb::ListMyGroupsRequest {
        parent: ctx.session.tenant.clone(),
        page_size: 100,
        page_token: String::new(),
    }));
    let (groups, unread) = tokio::join!(groups, unread(&ctx));
    let groups = match groups {
        Ok(g) => g.into_inner().groups,
        Err(status) => return ctx.fail(status),
    };
    let groups = groups
        .into_iter()
        .map(|g| GroupRow {
            path: format!("/groups/{}", g.name.rsplit('/').next().unwrap_or_default()),
            label: g.display_name,
            description: g.description,
            unread: g.unread_count,
        })
        .collect();
    page(
        StatusCode::OK,
        GroupsPage {
            c: ctx.chrome(Nav::Home, unread),
            groups,
        },
    )
}

/// `?page=<token>` of the next page.
#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    page: Option<String>,
}

/// `GET /groups/{group}`.
pub async fn page_group(
    Extension(ctx): Extension<Ctx>,
    Path(group): Path<String>,
    Query(q): Query<GroupQuery>,
) -> Response {
    let Some(group_id) = id(&group) else {
        return ctx.fail(WebError::NotFound);
    };
    let name = format!("{}/groups/{group_id}", ctx.session.tenant);
    let (mut a, mut b) = (ctx.app.feed(), ctx.app.feed());
    let got = a.get_group(ctx.req(pb::GetGroupRequest { name: name.clone() }));
    let posts = b.list_group_posts(ctx.req(pb::ListGroupPostsRequest {
        parent: name.clone(),
        page_size: 20,
        page_token: q.page.unwrap_or_default(),
    }));
    let (got, posts, unread) = tokio::join!(got, posts, unread(&ctx));
    let (got, posts) = match (got, posts) {
        (Ok(g), Ok(p)) => (g.into_inner(), p.into_inner()),
        (Err(status), _) | (_, Err(status)) => return ctx.fail(foreign(status)),
    };
    let zone = ctx.session.time_zone.as_str();
    let items = posts
        .items
        .iter()
        .filter_map(|item| match &item.item {
            Some(pb::timeline_item::Item::Post(post)) => Some(PostView::new(&ctx.t, post, zone)),
            _ => None,
        })
        .collect();
    page(
        StatusCode::OK,
        GroupPage {
            c: ctx.chrome(Nav::Home, unread),
            label: got.display_name,
            description: got.description,
            new_post: got
                .can_post
                .then(|| format!("/new?group={}", crate::layout::encode(&name))),
            items,
            older: if posts.next_page_token.is_empty() {
                String::new()
            } else {
                format!(
                    "/groups/{group_id}?page={}",
                    crate::layout::encode(&posts.next_page_token)
                )
            },
        },
    )
}
