//! The new-post form: a group the person may post in (ListMyGroups, `can_post`), an
//! optional title and a markdown body; refusals are shown next to their field.

use askama::Template;
use axum::{Extension, Form, http::StatusCode, response::Response};
use breakroom_proto::feed::v1 as pb;
use serde::Deserialize;

use crate::{
    context::Ctx,
    error::{WebError, page},
    layout::{Chrome, Nav},
    screens::{home::unread, views::post_path},
};

/// A group one may post in.
#[derive(Debug, Clone)]
pub struct GroupOption {
    /// `tenants/{t}/groups/{g}`.
    pub name: String,
    /// Display name.
    pub label: String,
    /// Chosen.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    c: Chrome,
    groups: Vec<GroupOption>,
    title: String,
    body: String,
    title_error: Option<&'static str>,
    body_error: Option<&'static str>,
    error: Option<&'static str>,
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct PostForm {
    group: String,
    #[serde(default)]
    title: String,
    body: String,
}

async fn render(ctx: &Ctx, form: Option<&PostForm>, error: Option<WebError>) -> Response {
    let mut feed = ctx.app.feed();
    let groups = feed.list_my_groups(ctx.req(pb::ListMyGroupsRequest {
        parent: ctx.session.tenant.clone(),
        page_size: 100,
        page_token: String::new(),
    }));
    let (groups, unread) = tokio::join!(groups, unread(ctx));
    let groups = match groups {
        Ok(g) => g.into_inner().groups,
        Err(status) => return ctx.fail(status),
    };
    let chosen = form.map(|f| f.group.as_str()).unwrap_or_default();
    let groups = groups
        .into_iter()
        .filter(|g| g.can_post)
        .map(|g| GroupOption {
            selected: g.name == chosen,
            name: g.name,
            label: g.display_name,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let general = match &error {
        Some(WebError::Invalid(_)) | None => None,
        Some(WebError::Forbidden) => Some("error-cannot-post"),
        Some(_) => Some("error-refused"),
    };
    page(
        status,
        ComposePage {
            c: ctx.chrome(Nav::Home, unread),
            groups,
            title: form.map(|f| f.title.clone()).unwrap_or_default(),
            body: form.map(|f| f.body.clone()).unwrap_or_default(),
            title_error: error.as_ref().and_then(|e| e.field("post.title")),
            body_error: error.as_ref().and_then(|e| e.field("post.body")),
            error: general,
        },
    )
}

/// `?group=` chosen in advance (a group's "New post").
#[derive(Debug, Deserialize)]
pub struct ComposeQuery {
    group: Option<String>,
}

/// `GET /new`.
pub async fn page_compose(
    Extension(ctx): Extension<Ctx>,
    axum::extract::Query(q): axum::extract::Query<ComposeQuery>,
) -> Response {
    let chosen = q.group.map(|group| PostForm {
        group,
        title: String::new(),
        body: String::new(),
    });
    render(&ctx, chosen.as_ref(), None).await
}

/// `POST /new`.
pub async fn create(Extension(ctx): Extension<Ctx>, Form(form): Form<PostForm>) -> Response {
    if !form
        .group
        .starts_with(&format!("{}/groups/", ctx.session.tenant))
    {
        return ctx.fail(WebError::NotFound);
    }
    let reply = ctx
        .app
        .feed()
        .create_post(ctx.req(pb::CreatePostRequest {
            parent: form.group.clone(),
            post: Some(pb::Post {
                title: form.title.clone(),
                body: form.body.clone(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await;
    match reply {
        Ok(reply) => {
            let path = post_path(&reply.get_ref().name);
            ctx.after_write(&path, &reply)
        }
        Err(status) => match WebError::from(status) {
            error @ (WebError::Invalid(_) | WebError::Forbidden | WebError::Refused) => {
                render(&ctx, Some(&form), Some(error)).await
            }
            error => ctx.fail(error),
        },
    }
}
